"""Bearer tokens and webhook secrets: made here, stored only as salted hashes, checked safely."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from functools import cache

TOKEN_ID = r"^[a-z0-9][a-z0-9-]{1,39}$"  # noqa: S105 - a pattern, not a password
_TOKEN = re.compile(r"^sst_([a-z0-9][a-z0-9-]{1,39})\.([A-Za-z0-9_-]{32,128})$")
# scrypt at N=2**14, r=8 costs ~16 MiB and tens of ms: slow for guessing, fine per request
# because verified tokens are cached (see Directory.authenticate's caller).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_PBKDF2_MIN_ROUNDS = 200_000


def hash_token_secret(secret: str, *, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$salt$hash` (base64): what the directory stores instead of the token."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return "$".join(
        ("scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), _b64(salt), _b64(digest))
    )


def verify_token_secret(secret: str, stored: str) -> bool:
    """Check a secret against a stored scrypt or pbkdf2_sha256 hash, in constant time."""
    parts = stored.split("$")
    try:
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = (int(x) for x in parts[1:4])
            salt, expected = _unb64(parts[4]), _unb64(parts[5])
            got = hashlib.scrypt(
                secret.encode(), salt=salt, n=n, r=r, p=p, dklen=len(expected), maxmem=2**26
            )
        elif parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            salt, expected = _unb64(parts[2]), _unb64(parts[3])
            got = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, int(parts[1]), len(expected))
        else:
            return False
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(got, expected)


@cache
def stand_in_hash() -> str:
    """A hash no secret matches, made like every new one: checked for unknown token ids."""
    return hash_token_secret(secrets.token_urlsafe(32))


def new_api_token(token_id: str) -> tuple[str, str]:
    """A fresh bearer token `sst_<id>.<secret>` and the hash to put in the directory."""
    if not re.match(TOKEN_ID, token_id):
        raise ValueError("a token id is 2-40 lower-case letters, digits or dashes")
    secret = secrets.token_urlsafe(32)
    return f"sst_{token_id}.{secret}", hash_token_secret(secret)


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def split_token(token: str) -> tuple[str, str] | None:
    """(token id, secret) of a well-formed `sst_<id>.<secret>`, else None."""
    match = _TOKEN.match(token)
    return (match.group(1), match.group(2)) if match else None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def check_hash_shape(stored: str) -> str:
    """The stored hash itself, if it is one this module can check and strong enough."""
    parts = stored.split("$")
    if parts[0] == "scrypt" and len(parts) == 6:
        n = int(parts[1]) if parts[1].isdigit() else 0
        if n < 2**14:
            raise ValueError("scrypt N must be at least 16384")
    elif parts[0] == "pbkdf2_sha256" and len(parts) == 4:
        rounds = int(parts[1]) if parts[1].isdigit() else 0
        if rounds < _PBKDF2_MIN_ROUNDS:
            raise ValueError(f"pbkdf2_sha256 needs at least {_PBKDF2_MIN_ROUNDS} rounds")
    else:
        raise ValueError(
            "not a token hash: use `python -m bot careteam token ID` to make one "
            "(scrypt$N$r$p$salt$hash or pbkdf2_sha256$rounds$salt$hash)"
        )
    try:
        _unb64(parts[-2])
        _unb64(parts[-1])
    except (ValueError, binascii.Error):
        raise ValueError("salt and hash must be base64") from None
    return stored
