"""A command in Redis's wire format (RESP2 array of bulk strings), for the two hot scripts.

redis-py's `pack_command` does the same for any command, but checks and converts each
argument through several layers (~30 us for a commit with its sealed values); the hot
scripts only pass text, bytes and numbers.
"""

from __future__ import annotations

Arg = str | bytes | int | float


def _bulk(arg: Arg) -> bytes:
    if isinstance(arg, bytes):
        return arg
    if isinstance(arg, str):
        return arg.encode("utf-8")
    if isinstance(arg, bool):
        raise TypeError("Redis has no booleans: pass 0/1 or text")
    if isinstance(arg, int):
        return b"%d" % arg
    if isinstance(arg, float):
        return repr(arg).encode("ascii")
    raise TypeError(f"not a Redis argument: {type(arg).__name__}")


def packed_command(*args: Arg) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        value = _bulk(arg)
        parts += (b"$%d\r\n" % len(value), value, b"\r\n")
    return b"".join(parts)
