"""Encryption at rest (AES-256-GCM bound to the Redis key) and the data key's loading."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.errors import ConfigError, DecryptionError
from bot.settings import Settings
from bot.store.packing import pack, unpack

log = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
CURRENT_VERSION = 1
KEY_FILE = "data.key"

# Separate labels give independent subkeys: the contact-id key reveals nothing of the AES key.
_AES_LABEL = b"safe-start/aes-256-gcm/v1"
_ID_LABEL = b"safe-start/contact-id/v1"


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON, as json.dumps(separators=(",", ":"), ensure_ascii=False) writes it:
    orjson (a session in 2 us, json takes 40), json for what orjson refuses (integers past
    64 bits, keys that are not strings, which json writes as strings). orjson would read
    such an integer back as a float, so json's text starts with a space: JSON allows it, and
    `json_value` then reads it with json."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return b" " + json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_value(text: bytes) -> Any:
    """What json_bytes wrote (or json.dumps, before it)."""
    return json.loads(text) if text[:1] == b" " else orjson.loads(text)


def _derive(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=label).derive(master)


class Cipher:
    """Seals values as version byte + 12-byte nonce + ciphertext+tag; AAD = where it is stored.

    `older` holds earlier keys by version so values written before a rotation still open.
    Contact ids come from the current key, so rotating it needs a re-keying job (none yet).
    """

    def __init__(
        self,
        master_key: bytes,
        *,
        version: int = CURRENT_VERSION,
        older: Mapping[int, bytes] | None = None,
    ) -> None:
        if len(master_key) != KEY_BYTES:
            raise ConfigError(f"the data key must be {KEY_BYTES} bytes, got {len(master_key)}")
        if not 1 <= version <= 255:
            raise ConfigError("the data key version must fit in one byte (1-255)")
        self.version = version
        self._aead = {v: AESGCM(_derive(k, _AES_LABEL)) for v, k in (older or {}).items()}
        self._aead[version] = AESGCM(_derive(master_key, _AES_LABEL))
        self.id_key = _derive(master_key, _ID_LABEL)

    def encrypt(self, plaintext: bytes, aad: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead[self.version].encrypt(nonce, plaintext, aad.encode("utf-8"))
        return bytes((self.version,)) + nonce + sealed

    def decrypt(self, blob: bytes, aad: str) -> bytes:
        # The message never names the value or the key: it may reach a log line.
        if len(blob) < 1 + NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("stored value is too short to be sealed")
        aead = self._aead.get(blob[0])
        if aead is None:
            raise DecryptionError(f"stored value uses unknown key version {blob[0]}")
        try:
            return aead.decrypt(blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :], aad.encode())
        except InvalidTag:
            raise DecryptionError("stored value does not open here (wrong key or place)") from None

    def encrypt_json(self, value: Any, aad: str) -> bytes:
        """Seal a JSON value, packed first (see bot/store/packing.py).

        At rest only: nobody who can watch these lengths can also put text beside the secrets.
        """
        return self.seal_json_text(json_bytes(value), aad)

    def decrypt_json(self, blob: bytes, aad: str) -> Any:
        return json_value(self.open_json_text(blob, aad))

    def seal_json_text(self, text: bytes, aad: str) -> bytes:
        """Seal JSON text json_bytes wrote (packed first), for a caller that kept the text."""
        return self.encrypt(pack(text), aad)

    def open_json_text(self, blob: bytes, aad: str) -> bytes:
        """The JSON text of a sealed value (json_value reads it), not parsed yet."""
        return unpack(self.decrypt(blob, aad))


def new_key_text() -> str:
    """A fresh DATA_ENCRYPTION_KEY value."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def parse_key(text: str, source: str = "DATA_ENCRYPTION_KEY") -> bytes:
    """Urlsafe base64 of 32 bytes, padding optional; ConfigError that never echoes the key."""
    cleaned = text.strip()
    try:
        # validate=True: a stray character is an error, not silently dropped.
        key = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(
            f'{source} is not urlsafe base64; make one with `python -c "import base64,os;'
            'print(base64.urlsafe_b64encode(os.urandom(32)).decode())"`'
        ) from None
    if len(key) != KEY_BYTES:
        raise ConfigError(f"{source} must decode to {KEY_BYTES} bytes, got {len(key)}")
    return key


def _read_key_file(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("data key file %s is readable by others (mode %o); use 0600", path, mode)
    return parse_key(path.read_text(encoding="ascii"), source=str(path))


def _create_key_file(path: Path) -> None:
    """Write a new key to a temp file, then link it in: a racing process never sees half a key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(new_key_text() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
            log.info("generated a development data key in %s", path)
        except FileExistsError:
            pass  # another process won the race; use its key
    finally:
        tmp.unlink(missing_ok=True)


def load_key(settings: Settings) -> bytes:
    """DATA_ENCRYPTION_KEY if set; else `<var_dir>/data.key`, generated once (dev)."""
    if settings.data_encryption_key is not None:
        return parse_key(settings.data_encryption_key.get_secret_value())
    path = settings.var_dir / KEY_FILE
    try:
        if not path.exists():
            _create_key_file(path)
        return _read_key_file(path)
    except OSError as exc:
        raise ConfigError(
            f"cannot read or create the data key file {path}: {exc.strerror}"
        ) from exc


def cipher_from_settings(settings: Settings) -> Cipher:
    return Cipher(load_key(settings))
