"""How a JSON value is packed before it is sealed: plain, or compressed against a preset
dictionary (Zstandard now; zlib's deflate before, still read).

Most values are small and alike (a session, a plan, one consent version, one audit line), so
a compressor finds little to reuse inside one value. A preset dictionary gives it the words
these values share; an audit line goes from about 160 to 75 bytes.

Every form opens by its first byte alone, so values written before any of this still open:
- JSON text starts with neither a control byte nor 0x78 ("x");
- 0x01 (`ZSTD_FORMS`): a Zstandard frame without its 4-byte magic, compressed against the
  raw content of `dictionaries/v1.bin` (what the form's byte names, never the frame).
  Level 3, about 6 us for a 1.8 KB value where deflate took 20-70; reading it ~2 us;
- 0x78: a zlib stream (what was written before Zstandard); one with the FDICT flag carries
  the Adler-32 of its dictionary, which picks the dictionary from `dictionaries/`.
A dictionary file, once shipped, never changes and is never removed (values written with it
must keep opening); a better one is a new file under a new form byte.
"""

from __future__ import annotations

import threading
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import zstandard

from bot.errors import DecryptionError

# Values this long or longer are deflated when that makes them smaller.
COMPRESS_FROM = 48
ZLIB_HEAD = 0x78
_FDICT = 0x20
DICTIONARY_FOLDER = Path(__file__).with_name("dictionaries")
# The form byte of a Zstandard value -> the dictionary it was compressed against. A form,
# once written, keeps its meaning for good.
ZSTD_FORMS = {0x01: "v1.bin"}
CURRENT_FORM = 0x01
ZSTD_LEVEL = 3  # zstd's default: at 1 a value takes 1 us less and ~3 % more room
_ZSTD_FORMAT = zstandard.FORMAT_ZSTD1_MAGICLESS


@cache
def dictionaries() -> dict[int, bytes]:
    """Every shipped dictionary by its Adler-32 (the id a zlib header carries)."""
    found: dict[int, bytes] = {}
    for path in sorted(DICTIONARY_FOLDER.glob("*.bin")):
        data = path.read_bytes()
        found[zlib.adler32(data)] = data
    return found


def pack(plain: bytes) -> bytes:
    """The smaller of `plain` and its compressed form (see the module's docstring)."""
    if len(plain) < COMPRESS_FROM:
        return plain
    packed = _coders(CURRENT_FORM).compressor.compress(plain)
    if len(packed) + 1 >= len(plain):
        return plain
    return bytes((CURRENT_FORM,)) + packed


class _Coders(threading.local):
    """One Zstandard compressor and decompressor per form and thread, reused value after
    value (an object is not to be used by two threads at once; a new one per value would
    cost more than the compression)."""

    def __init__(self, form: int) -> None:
        data = (DICTIONARY_FOLDER / ZSTD_FORMS[form]).read_bytes()
        zdict = zstandard.ZstdCompressionDict(data, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
        zdict.precompute_compress(level=ZSTD_LEVEL)
        params = zstandard.ZstdCompressionParameters.from_level(
            ZSTD_LEVEL,
            format=_ZSTD_FORMAT,
            write_content_size=True,
            write_checksum=False,  # AES-GCM's tag already checks every byte
            write_dict_id=False,  # the form byte names the dictionary
        )
        self.compressor = zstandard.ZstdCompressor(dict_data=zdict, compression_params=params)
        self.decompressor = zstandard.ZstdDecompressor(dict_data=zdict, format=_ZSTD_FORMAT)


@cache
def _coders(form: int) -> _Coders:
    return _Coders(form)


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
    head = stored[0] if stored else -1
    if head in ZSTD_FORMS:
        try:
            plain: bytes = _coders(head).decompressor.decompress(stored[1:])
        except zstandard.ZstdError:
            raise DecryptionError("stored value does not decompress") from None
        return plain
    if head != ZLIB_HEAD:
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
