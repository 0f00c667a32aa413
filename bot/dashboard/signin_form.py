"""The sign-in form's CSRF token, kept by the browser and not by Redis.

Showing the sign-in page writes nothing on the server: the browser gets a random nonce in a
strict, HttpOnly cookie, and the form a token that signs that nonce and the time it was
made (HMAC with a key derived from the data key). A sign-in POST is taken only with the
cookie and a token for it that is not too old: a page on another site can neither read the
form nor send the cookie. The session itself starts at a successful sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

FORM_COOKIE = "safestart_care_form"
_LABEL = b"safestart dashboard sign-in form"


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


class SignInForms:
    def __init__(self, secret: bytes, ttl: timedelta) -> None:
        self._key = hmac.new(secret, _LABEL, hashlib.sha256).digest()
        self._ttl = ttl

    def token(self, nonce: str, now: datetime) -> str:
        issued = str(int(now.timestamp()))
        return f"{issued}.{self._mac(nonce, issued)}"

    def valid(self, nonce: str | None, token: str, now: datetime) -> bool:
        """The token was made here for this nonce, no longer ago than the form lives."""
        issued, _, mac = token.partition(".")
        if not nonce or len(nonce) > 100 or not issued.isdigit() or not mac:
            return False
        if not hmac.compare_digest(mac.encode(), self._mac(nonce, issued).encode()):
            return False
        age = now.timestamp() - int(issued)
        return -60 <= age <= self._ttl.total_seconds()

    def _mac(self, nonce: str, issued: str) -> str:
        digest = hmac.new(self._key, f"{nonce}.{issued}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
