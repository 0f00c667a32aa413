"""How a JSON value is packed before it is sealed: plain, deflated, or deflated against a
preset dictionary.

Most values are small and alike (a session, a plan, one consent version, one audit line), so
plain deflate finds little to reuse inside one value. A preset dictionary (zlib's `zdict`)
gives it the words these values share; an audit line goes from about 160 to 75 bytes.

Every form opens by its first bytes alone, so values written before any of this still open:
- JSON text never starts with 0x78 ("x"), zlib's header byte;
- a zlib header with the FDICT flag carries the Adler-32 of its dictionary, which picks the
  dictionary from `bot/store/dictionaries/`. A dictionary file, once shipped, never changes
  and is never removed (values written with it must keep opening); a better one is a new
  file, made current by `CURRENT_DICTIONARY`.
"""

from __future__ import annotations

import zlib
from functools import cache
from pathlib import Path
from typing import Any

from bot.errors import DecryptionError

# Values this long or longer are deflated when that makes them smaller.
COMPRESS_FROM = 48
LEVEL = 1  # a session: 23 us at level 1, 36 at level 6, for a few bytes less
ZLIB_HEAD = 0x78
_FDICT = 0x20
DICTIONARY_FOLDER = Path(__file__).with_name("dictionaries")
CURRENT_DICTIONARY = "v1.bin"


@cache
def dictionaries() -> dict[int, bytes]:
    """Every shipped dictionary by its Adler-32 (the id a zlib header carries)."""
    found: dict[int, bytes] = {}
    for path in sorted(DICTIONARY_FOLDER.glob("*.bin")):
        data = path.read_bytes()
        found[zlib.adler32(data)] = data
    return found


@cache
def current_dictionary() -> bytes:
    return (DICTIONARY_FOLDER / CURRENT_DICTIONARY).read_bytes()


def pack(plain: bytes, dictionary: bytes | None = None) -> bytes:
    """The smallest of `plain` and its deflated form (against `dictionary`, default the
    current one; b"" deflates without one)."""
    if len(plain) < COMPRESS_FROM:
        return plain
    zdict = current_dictionary() if dictionary is None else dictionary
    if zdict:
        packer = _primed(zdict).copy()  # a copy skips hashing the dictionary again: 25 us
        packed = packer.compress(plain) + packer.flush()
    else:
        packed = zlib.compress(plain, LEVEL)
    return packed if len(packed) < len(plain) else plain


@cache
def _primed(zdict: bytes) -> Any:
    """A compressor that has read `zdict` and nothing else, to be copied for each value.

    (A smaller window or memory level deflates a webhook value in 14 us instead of 19, but
    a finished plan then takes 130-510 bytes more of its 8 KB: not taken.)"""
    return zlib.compressobj(LEVEL, zlib.DEFLATED, zlib.MAX_WBITS, 8, zlib.Z_DEFAULT_STRATEGY, zdict)


@cache
def _inflater(zdict: bytes) -> Any:
    """A raw inflater that holds `zdict`, to be copied for each value (a fresh one with a
    dictionary costs about twice as much)."""
    return zlib.decompressobj(-zlib.MAX_WBITS, zdict)


def _inflate_fast(stored: bytes, zdict: bytes) -> bytes | None:
    """The plain bytes of a value as `pack` writes it (zlib header with the dictionary's id,
    raw deflate stream, Adler-32, nothing after), read by a copy of a primed raw inflater
    (5 us instead of 10 for a webhook value); None for anything else, which then goes
    through zlib's own reader."""
    if (stored[0] << 8 | stored[1]) % 31 or stored[0] != ZLIB_HEAD:
        return None
    inflater = _inflater(zdict).copy()
    try:
        plain: bytes = inflater.decompress(stored[6:-4])
    except zlib.error:
        return None
    if not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
        return None
    if zlib.adler32(plain).to_bytes(4, "big") != stored[-4:]:
        return None
    return plain


def unpack(stored: bytes) -> bytes:
    """The plain bytes of any form `pack` ever wrote (or of a value never packed)."""
    if stored[:1] != bytes((ZLIB_HEAD,)):
        return stored
    try:
        if len(stored) >= 6 and stored[1] & _FDICT:
            ident = int.from_bytes(stored[2:6], "big")
            zdict = dictionaries().get(ident)
            if zdict is None:
                raise DecryptionError(f"stored value needs an unknown dictionary {ident:#010x}")
            fast = _inflate_fast(stored, zdict) if len(stored) > 10 else None
            if fast is not None:
                return fast
            unpacker = zlib.decompressobj(zlib.MAX_WBITS, zdict)
            plain = unpacker.decompress(stored) + unpacker.flush()
            if not unpacker.eof:
                raise zlib.error("truncated")
            return plain
        return zlib.decompress(stored)
    except zlib.error:
        raise DecryptionError("stored value does not inflate") from None
