"""Packing before sealing: preset dictionaries shrink small values, and every form ever
written opens by its first bytes."""

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


def test_shipped_dictionaries_are_never_changed_or_removed() -> None:
    for name, checksum in SHIPPED.items():
        data = (packing.DICTIONARY_FOLDER / name).read_bytes()
        assert zlib.adler32(data) == checksum, f"{name} changed: add a new file instead"
        assert dictionaries()[checksum] == data
    assert packing.CURRENT_DICTIONARY in SHIPPED


def test_a_small_line_packs_far_smaller_with_the_dictionary() -> None:
    with_dictionary, without = pack(AUDIT_LINE), pack(AUDIT_LINE, b"")
    assert len(with_dictionary) < 0.6 * len(AUDIT_LINE)
    assert len(with_dictionary) < 0.75 * len(without)
    assert unpack(with_dictionary) == unpack(without) == AUDIT_LINE


def test_every_older_form_still_opens() -> None:
    """Plain JSON (before compression), zlib without a dictionary (before dictionaries)."""
    assert unpack(AUDIT_LINE) == AUDIT_LINE
    assert unpack(zlib.compress(AUDIT_LINE, 1)) == AUDIT_LINE


def test_an_unknown_dictionary_or_a_cut_value_is_a_decryption_error() -> None:
    packer = zlib.compressobj(
        1, zlib.DEFLATED, zlib.MAX_WBITS, 9, zlib.Z_DEFAULT_STRATEGY, b"?" * 64
    )
    foreign = packer.compress(AUDIT_LINE) + packer.flush()
    with pytest.raises(DecryptionError, match="unknown dictionary"):
        unpack(foreign)
    with pytest.raises(DecryptionError, match="inflate"):
        unpack(pack(AUDIT_LINE)[:-6])


@given(st.binary(max_size=3000) | st.text(max_size=3000).map(str.encode))
@settings(max_examples=200)
def test_whatever_is_packed_unpacks_to_itself(plain: bytes) -> None:
    if plain[:1] == b"x":  # never JSON: pack() is only given JSON, which cannot start so
        plain = b" " + plain
    packed = pack(plain)
    assert len(packed) <= len(plain)
    assert unpack(packed) == plain
