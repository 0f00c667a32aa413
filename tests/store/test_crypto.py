"""Sealing values at rest, loading the data key, and contact ids derived from it."""

from __future__ import annotations

import base64
import json
import logging
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import ConfigError, DecryptionError
from bot.settings import Settings
from bot.store.crypto import (
    CURRENT_VERSION,
    KEY_FILE,
    NONCE_BYTES,
    TAG_BYTES,
    Cipher,
    cipher_from_settings,
    json_bytes,
    load_key,
    new_key_text,
    parse_key,
)
from bot.store.keys import KeyBuilder

KEY = bytes(range(32))


def make_settings(tmp_path: Path, **values: Any) -> Settings:
    values.setdefault("var_dir", tmp_path / "var")
    return Settings(_env_file=None, **values)


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATA_ENCRYPTION_KEY", raising=False)


@settings(max_examples=200, deadline=None)
@given(plaintext=st.binary(max_size=2000), aad=st.text(max_size=80))
def test_sealed_values_open_with_the_same_place(plaintext: bytes, aad: str) -> None:
    cipher = Cipher(KEY)
    assert cipher.decrypt(cipher.encrypt(plaintext, aad), aad) == plaintext


def test_layout_is_version_nonce_ciphertext() -> None:
    """1 version byte + 12-byte nonce + ciphertext + 16-byte tag; fresh nonce each time."""
    cipher = Cipher(KEY)
    first, second = cipher.encrypt(b"x" * 72, "k"), cipher.encrypt(b"x" * 72, "k")

    assert len(first) == 1 + NONCE_BYTES + 72 + TAG_BYTES
    assert first[0] == CURRENT_VERSION
    assert first != second


@pytest.mark.parametrize(
    "spoil",
    [
        lambda blob: blob[:-1] + bytes([blob[-1] ^ 1]),  # tampered tag
        lambda blob: blob[:20] + bytes([blob[20] ^ 1]) + blob[21:],  # tampered body
        lambda blob: bytes([9]) + blob[1:],  # a key version we do not have
        lambda blob: blob[:10],  # truncated
    ],
)
def test_spoiled_values_raise_decryption_error(spoil: Any) -> None:
    cipher = Cipher(KEY)
    with pytest.raises(DecryptionError):
        cipher.decrypt(spoil(cipher.encrypt(b"hello", "k")), "k")


def test_a_value_read_at_another_place_does_not_open() -> None:
    cipher = Cipher(KEY)
    with pytest.raises(DecryptionError):
        cipher.decrypt(cipher.encrypt(b"hello", "{c:1}:plan"), "{c:2}:plan")


def test_another_key_does_not_open_it() -> None:
    with pytest.raises(DecryptionError):
        Cipher(bytes(32)).decrypt(Cipher(KEY).encrypt(b"hello", "k"), "k")


def test_older_keys_still_open_their_values() -> None:
    """After a rotation, values sealed under version 1 open with the version-2 cipher."""
    old = Cipher(KEY, version=1)
    new = Cipher(bytes(32), version=2, older={1: KEY})
    assert new.decrypt(old.encrypt(b"kept", "k"), "k") == b"kept"
    assert new.encrypt(b"x", "k")[0] == 2


def test_key_from_settings_is_used(tmp_path: Path) -> None:
    text = base64.urlsafe_b64encode(KEY).decode()
    assert load_key(make_settings(tmp_path, data_encryption_key=text)) == KEY
    assert load_key(make_settings(tmp_path, data_encryption_key=text.rstrip("="))) == KEY
    assert not (tmp_path / "var" / KEY_FILE).exists()


@pytest.mark.parametrize("bad", ["not base64 at all!", base64.urlsafe_b64encode(b"short").decode()])
def test_a_bad_key_is_a_config_error_that_does_not_echo_it(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError, match="DATA_ENCRYPTION_KEY") as caught:
        load_key(make_settings(tmp_path, data_encryption_key=bad))
    assert bad not in str(caught.value)


def test_dev_key_is_generated_once_with_mode_0600_and_reused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No key set: one is written to var/data.key and every later start reads the same one."""
    caplog.set_level(logging.INFO)
    settings = make_settings(tmp_path)
    first = cipher_from_settings(settings)
    path = settings.var_dir / KEY_FILE

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = cipher_from_settings(settings)
    assert second.decrypt(first.encrypt(b"kept", "k"), "k") == b"kept"
    assert KeyBuilder(first.id_key).contact_id("+1") == KeyBuilder(second.id_key).contact_id("+1")
    assert path.read_text().strip() not in caplog.text
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE]


def test_a_corrupt_key_file_names_the_file(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    settings.var_dir.mkdir()
    (settings.var_dir / KEY_FILE).write_text("garbage")
    with pytest.raises(ConfigError, match=KEY_FILE):
        load_key(settings)


def test_contact_ids_are_stable_per_key_and_differ_across_keys() -> None:
    """The id is a hash tag of 32 hex chars; the same phone maps alike under one key only."""
    one, two = KeyBuilder(Cipher(KEY).id_key), KeyBuilder(Cipher(bytes(32)).id_key)
    contact = one.contact_id("+18605550142")

    assert re.fullmatch(r"\{c:[0-9a-f]{32}\}", contact)
    assert contact == one.contact_id("+18605550142")
    assert contact != one.contact_id("+18605550143")
    assert contact != two.contact_id("+18605550142")
    assert one.for_address("+18605550142").session == contact + ":session"


def test_generated_keys_parse() -> None:
    assert len(parse_key(new_key_text())) == 32


def test_large_json_is_deflated_before_sealing_and_small_or_old_values_still_open() -> None:
    """A session-sized value seals to a fraction of its JSON; short values are left plain;
    a value sealed before compression existed (plain JSON) opens as before."""
    cipher = Cipher(KEY)
    session = {"history": [["out", "Thanks, Sam. What is your ZIP code?", "2026-12-05"]] * 30}
    plain_size = len(json.dumps(session, separators=(",", ":")))
    sealed = cipher.encrypt_json(session, "k")
    assert len(sealed) < plain_size / 4
    assert cipher.decrypt_json(sealed, "k") == session
    assert len(cipher.encrypt_json({"a": 1}, "k")) == 1 + NONCE_BYTES + TAG_BYTES + 7
    old = cipher.encrypt(json.dumps(session).encode(), "k")  # written before compression
    assert cipher.decrypt_json(old, "k") == session
    with pytest.raises(DecryptionError):
        cipher.decrypt_json(cipher.encrypt(b"x not zlib", "k"), "k")


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=40,
    )
)
@settings(max_examples=60)
def test_every_json_value_opens_to_itself(value: Any) -> None:
    cipher = Cipher(KEY)
    assert cipher.decrypt_json(cipher.encrypt_json(value, "k"), "k") == value


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.text()
        | st.floats(allow_nan=False, allow_infinity=False),
        lambda inner: st.lists(inner) | st.dictionaries(st.text() | st.integers(), inner),
        max_leaves=40,
    )
)
@settings(max_examples=200)
def test_values_are_written_as_json_dumps_writes_them(value: Any) -> None:
    """orjson where it can, json where it cannot (big integers, keys that are not text):
    read back, the value is what json.dumps would have stored (int keys become text)."""
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    assert json.loads(json_bytes(value)) == json.loads(expected)


def test_an_integer_past_64_bits_comes_back_as_the_same_integer() -> None:
    """orjson refuses to write it and would read it as a float: json writes and reads it."""
    cipher = Cipher(KEY)
    for value in (-(2**63) - 1, 2**64, {"n": [2**70, 1], "k": "é"}):
        assert cipher.decrypt_json(cipher.encrypt_json(value, "k"), "k") == value
