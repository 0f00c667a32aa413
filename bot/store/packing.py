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
    """A compressor that has read `zdict` and nothing else, to be copied for each value."""
    return zlib.compressobj(LEVEL, zlib.DEFLATED, zlib.MAX_WBITS, 8, zlib.Z_DEFAULT_STRATEGY, zdict)


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
            unpacker = zlib.decompressobj(zlib.MAX_WBITS, zdict)
            plain = unpacker.decompress(stored) + unpacker.flush()
            if not unpacker.eof:
                raise zlib.error("truncated")
            return plain
        return zlib.decompress(stored)
    except zlib.error:
        raise DecryptionError("stored value does not inflate") from None
