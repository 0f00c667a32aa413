"""EVALSHA for the two scripts of every text, on one pooled connection, without redis-py's
per-command machinery.

redis-py's client wraps each command in a retry helper, observability hooks and response
callbacks, packs it through several layers of argument checks, and sends it inside
`asyncio.wait_for` (a new Task per send in Python 3.11): about 100 us of client CPU per
script call, twice per text. Here: the command packed in one pass (bot/store/resp.py),
written straight to the connection's stream (the write almost always goes out at once; only
a full socket buffer waits, under the socket timeout), and the reply read by the
connection's own parser. Same behaviour where it matters: a script Redis does not have is
loaded and run again; a broken pooled connection (Redis restarted) is retried once on a
fresh one; any other failure, cancellation included, drops the connection, whose state is
then unknown.

Uses redis-py's asyncio Connection internals (`_writer`), pinned in requirements.txt;
tests/store/test_hot_calls.py checks them against the running Redis.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import ConnectionPool
from redis.asyncio.connection import AbstractConnection
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.store.resp import packed_command


async def _send(conn: AbstractConnection, payload: bytes) -> None:
    if not conn.is_connected:
        await conn.connect()  # type: ignore[no-untyped-call]
    writer = conn._writer
    if writer is None:
        raise RedisConnectionError("the connection has no stream")
    try:
        writer.write(payload)
        if writer.transport.get_write_buffer_size():
            async with asyncio.timeout(conn.socket_timeout):
                await writer.drain()
    except TimeoutError:
        raise RedisTimeoutError("Timeout writing to socket") from None
    except OSError as exc:
        raise RedisConnectionError(f"Error writing to socket: {exc}") from exc


async def _call(conn: AbstractConnection, payload: bytes) -> Any:
    await _send(conn, payload)
    return await conn.read_response()


def _source(script: AsyncScript) -> str | bytes:
    source = script.script
    return source if isinstance(source, str | bytes) else bytes(source)


async def evalsha(
    pool: ConnectionPool, script: AsyncScript, keys: list[str], args: list[Any]
) -> Any:
    payload = packed_command("EVALSHA", script.sha, len(keys), *keys, *args)
    for attempt in range(2):
        conn = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            try:
                return await _call(conn, payload)
            except NoScriptError:
                await _call(conn, packed_command("SCRIPT", "LOAD", _source(script)))
                return await _call(conn, payload)
        except ResponseError:
            raise  # an answer (a script error): the connection is fine
        except RedisConnectionError:
            await conn.disconnect()
            if attempt:
                raise
        except BaseException:
            await conn.disconnect()
            raise
        finally:
            await pool.release(conn)
    raise AssertionError("unreachable")
