"""Packing before sealing: preset dictionaries shrink small values, and every form ever
written (plain JSON, zlib, zlib with a dictionary, Zstandard) opens by its first byte."""

from __future__ import annotations

import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import DecryptionError
from bot.store import packing
from bot.store.packing import dictionaries, pack, unpack

# A shipped dictionary never changes: values name it by this checksum and need it to open.
SHIPPED = {"v1.bin": 0x19B925D7}

AUDIT_LINE = json.dumps(
    {
        "at": "2027-02-11T08:15:02.118302+00:00",
        "actor": "valley_clinic",
        "organization": "valley",
        "action": "deliver",
        "what": "health v2",
        "result": "200",
        "webhook_id": "msg_8d2f0c4e6b1a49e7a3c5d9f1b2e4a6c8",
        "attempt": 1,
    },
    separators=(",", ":"),
).encode()


# A Zstandard form byte keeps its meaning for good: what it names, and that form's bytes.
ZSTD_FORMS = {0x01: "v1.bin"}
V1 = 0x19B925D7


FROZEN_V1_AUDIT_LINE = (
    "0120cee5020062840f15a05507a87cdc5556ca6101f6b66d7b4bc9f457254e89cf965676a79a61b2"
    "a855d9b3d385d369d308f0231ee4a16808376a92f4079acb7ca514fea13950080003d98dfd954cf4"
    "1c0cb0fc5c104a0370f4743f98adfae10a04"
)


def test_shipped_dictionaries_are_never_changed_or_removed() -> None:
    for name, checksum in SHIPPED.items():
        data = (packing.DICTIONARY_FOLDER / name).read_bytes()
        assert zlib.adler32(data) == checksum, f"{name} changed: add a new file instead"
        assert dictionaries()[checksum] == data
    assert packing.ZSTD_FORMS == ZSTD_FORMS
    assert set(ZSTD_FORMS.values()) <= set(SHIPPED)
    assert packing.CURRENT_FORM in ZSTD_FORMS


def test_a_small_line_packs_far_smaller_with_the_dictionary() -> None:
    packed = pack(AUDIT_LINE)
    assert packed[0] == packing.CURRENT_FORM
    assert len(packed) < 0.6 * len(AUDIT_LINE)
    assert len(packed) < 0.75 * len(zlib.compress(AUDIT_LINE, 9))
    assert len(packed) <= len(zlib_packed(AUDIT_LINE, dictionaries()[V1]))
    assert unpack(packed) == AUDIT_LINE


def test_every_older_form_still_opens() -> None:
    """Plain JSON (before compression), zlib without a dictionary (before dictionaries),
    zlib with the v1 dictionary (before Zstandard)."""
    assert unpack(AUDIT_LINE) == AUDIT_LINE
    assert unpack(zlib.compress(AUDIT_LINE, 1)) == AUDIT_LINE
    assert unpack(zlib_packed(AUDIT_LINE, dictionaries()[V1])) == AUDIT_LINE


def test_a_form_byte_opens_the_same_bytes_forever() -> None:
    """A value of form 0x01 as Zstandard 1.5 wrote it on 2026-12-05: frame without magic,
    content size, no checksum, no dictionary id; against v1.bin."""
    stored = bytes.fromhex(FROZEN_V1_AUDIT_LINE)
    assert unpack(stored) == AUDIT_LINE


def test_an_unknown_dictionary_or_a_cut_value_is_a_decryption_error() -> None:
    packer = zlib.compressobj(
        1, zlib.DEFLATED, zlib.MAX_WBITS, 9, zlib.Z_DEFAULT_STRATEGY, b"?" * 64
    )
    foreign = packer.compress(AUDIT_LINE) + packer.flush()
    with pytest.raises(DecryptionError, match="unknown dictionary"):
        unpack(foreign)
    with pytest.raises(DecryptionError, match="inflate"):
        unpack(zlib_packed(AUDIT_LINE, dictionaries()[V1])[:-6])
    with pytest.raises(DecryptionError, match="decompress"):
        unpack(pack(AUDIT_LINE)[:-6])


@given(st.binary(max_size=3000) | st.text(max_size=3000).map(str.encode))
@settings(max_examples=200)
def test_whatever_is_packed_unpacks_to_itself(plain: bytes) -> None:
    if plain[:1] in (b"x", b"\x01"):  # pack() is only given JSON, which cannot start so
        plain = b" " + plain
    packed = pack(plain)
    assert len(packed) <= len(plain)
    assert unpack(packed) == plain


def zlib_packed(plain: bytes, zdict: bytes) -> bytes:
    """zlib's own stream with a preset dictionary, as pack() writes it."""
    packer = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS, 8, zlib.Z_DEFAULT_STRATEGY, zdict)
    return packer.compress(plain) + packer.flush()


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=60,
).map(lambda value: json.dumps({"v": value}, separators=(",", ":")).encode())


@given(JSONISH | st.binary(min_size=48, max_size=3000))
@settings(max_examples=200)
def test_unpack_reads_what_zlib_s_own_reader_reads(plain: bytes) -> None:
    """unpack reads a dictionary value with a copy of a primed raw inflater, checking the
    header and the Adler-32 itself: it gives what zlib's reader gives, and anything that
    is not exactly header, stream and checksum goes through zlib's reader as before."""
    zdict = dictionaries()[V1]
    packed = zlib_packed(plain, zdict)
    reader = zlib.decompressobj(zlib.MAX_WBITS, zdict)
    assert reader.decompress(packed) + reader.flush() == plain
    assert unpack(packed) == plain
    assert packing._inflate_fast(packed, zdict) == plain
    # zlib's reader ignores bytes after the checksum: so does unpack (the slower way).
    assert packing._inflate_fast(packed + b"junk", zdict) is None
    assert unpack(packed + b"junk") == plain


def test_a_changed_checksum_is_a_decryption_error() -> None:
    packed = bytearray(zlib_packed(AUDIT_LINE, dictionaries()[V1]))
    packed[-1] ^= 1
    with pytest.raises(DecryptionError, match="inflate"):
        unpack(bytes(packed))
