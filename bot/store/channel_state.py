"""Per-channel facts about a contact: WhatsApp's 24-hour window, links between channels,
texts held for a WhatsApp chat outside its window, and web-chat links.

Every key sits under the hash tag of the address it is about (`{c:<hmac>}`), so a
WhatsApp address and the SMS number it is linked to keep their own keys: the link is
written only after the parent proved, from WhatsApp, a code texted to the SMS number.
No raw address is stored here in clear: web-chat bindings are encrypted like answers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from bot.store.crypto import Cipher
from bot.store.keys import KeyBuilder

WINDOW = timedelta(hours=24)
CODE_TTL = timedelta(minutes=10)
CODE_TRIES = 5
HELD_MAX = 20


class ChannelState:
    """Redis records of the channels a contact uses (see the module's docstring)."""

    def __init__(self, redis: Redis, cipher: Cipher, prefix: str = "") -> None:
        self._redis = redis
        self._cipher = cipher
        self._keys = KeyBuilder(cipher.id_key, prefix)

    def _key(self, address: str, suffix: str) -> str:
        return f"{self._keys.prefix}{self._keys.contact_id(address)}:{suffix}"

    # -- the 24-hour customer-service window (WhatsApp) -----------------------------------

    async def touch(self, address: str, now: datetime) -> None:
        """The parent wrote from this address now: its window is open for 24 hours."""
        ttl = int(WINDOW.total_seconds()) + 60
        await self._redis.set(self._key(address, "lastin"), str(now.timestamp()), ex=ttl)

    async def last_inbound(self, address: str) -> datetime | None:
        raw = await self._redis.get(self._key(address, "lastin"))
        if raw is None:
            return None
        return datetime.fromtimestamp(float(raw), tz=UTC)

    async def in_window(self, address: str, now: datetime) -> bool:
        last = await self.last_inbound(address)
        return last is not None and now - last < WINDOW

    # -- texts held for a WhatsApp chat outside its window --------------------------------

    async def hold(self, address: str, text: str) -> None:
        """A text that could not go free-form: the template said one is waiting."""
        key = self._key(address, "held")
        sealed = self._cipher.encrypt(text.encode("utf-8"), key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, sealed)
            pipe.ltrim(key, -HELD_MAX, -1)
            pipe.expire(key, int(timedelta(days=14).total_seconds()))
            await pipe.execute()

    async def take_held(self, address: str) -> list[str]:
        """The held texts, oldest first, removed."""
        key = self._key(address, "held")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lrange(key, 0, -1)
            pipe.delete(key)
            blobs, _ = await pipe.execute()
        return [self._cipher.decrypt(blob, key).decode("utf-8") for blob in blobs]

    async def remember_sent(self, address: str, sid: str, text: str | None) -> None:
        """What a WhatsApp message carried (None: a template), for an SMS fallback if Twilio
        later reports WhatsApp could not deliver it."""
        key = self._key(address, f"wasent:{sid}")
        value = b"" if text is None else self._cipher.encrypt(text.encode("utf-8"), key)
        await self._redis.set(key, value, ex=3 * 86400)

    async def sent(self, address: str, sid: str) -> tuple[bool, str | None]:
        """(known, text): known False for a sid we did not send on WhatsApp; text None for
        a template (its held texts are what it announced)."""
        key = self._key(address, f"wasent:{sid}")
        blob = await self._redis.get(key)
        if blob is None:
            return False, None
        raw = _raw(blob)
        return True, (self._cipher.decrypt(raw, key).decode("utf-8") if raw else None)

    # -- "can't reach this way" -----------------------------------------------------------

    async def mark_unreachable(self, address: str, code: str, now: datetime) -> None:
        await self._redis.set(
            self._key(address, "unreachable"), f"{code}@{now.isoformat()}", ex=30 * 86400
        )

    async def unreachable(self, address: str) -> str | None:
        raw = await self._redis.get(self._key(address, "unreachable"))
        return _text(raw) if raw is not None else None

    async def clear_unreachable(self, address: str) -> None:
        await self._redis.delete(self._key(address, "unreachable"))

    async def allow_sms_fallback(self, address: str, allowed: bool) -> None:
        """The parent's explicit choice (WhatsApp address): texts may fall back to SMS."""
        key = self._key(address, "smsok")
        if allowed:
            await self._redis.set(key, b"1")
        else:
            await self._redis.delete(key)

    async def sms_fallback_allowed(self, address: str) -> bool:
        return bool(await self._redis.exists(self._key(address, "smsok")))

    # -- linking a WhatsApp chat to the SMS contact, after a code ---------------------------

    async def new_link_code(self, address: str) -> str:
        """A 6-digit code for `address` (the WhatsApp chat), valid CODE_TTL; only its hash kept."""
        code = f"{secrets.randbelow(1_000_000):06d}"
        key = self._key(address, "linkcode")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"hash": self._hash(address, code), "tries": 0})
            pipe.expire(key, int(CODE_TTL.total_seconds()))
            await pipe.execute()
        return code

    async def has_link_code(self, address: str) -> bool:
        return bool(await self._redis.exists(self._key(address, "linkcode")))

    async def check_link_code(self, address: str, code: str) -> bool | None:
        """True: right code (now used up); False: wrong; None: no code pending (or too many
        wrong tries: the code is dropped after CODE_TRIES)."""
        key = self._key(address, "linkcode")
        stored = await self._redis.hget(key, "hash")
        if stored is None:
            return None
        if hmac.compare_digest(_text(stored), self._hash(address, code)):
            await self._redis.delete(key)
            return True
        tries = await self._redis.hincrby(key, "tries", 1)
        if tries >= CODE_TRIES:
            await self._redis.delete(key)
        return False

    async def link(self, address: str, sms: str) -> None:
        """The chat at `address` continues the contact of the number `sms`; the SMS
        contact knows it has a WhatsApp chat too (texts may go there in its window)."""
        await self._redis.set(self._key(address, "linked"), b"sms")
        await self._redis.set(self._key(sms, "whatsapp"), b"1")

    async def unlink(self, address: str, sms: str) -> None:
        await self._redis.delete(self._key(address, "linked"), self._key(sms, "whatsapp"))

    async def has_whatsapp(self, sms: str) -> bool:
        """Whether the SMS contact `sms` has a linked WhatsApp chat."""
        return bool(await self._redis.exists(self._key(sms, "whatsapp")))

    async def linked(self, address: str) -> bool:
        return bool(await self._redis.exists(self._key(address, "linked")))

    def _hash(self, address: str, code: str) -> str:
        return hmac.new(
            self._cipher.id_key, f"{address}#{code}".encode(), hashlib.sha256
        ).hexdigest()

    # -- web-chat links: a private link that opens the web chat on a parent's own plan -----

    async def new_chat_link(self, address: str, ttl: timedelta) -> str:
        """A token for `address` (the parent's phone or WhatsApp address), valid `ttl`."""
        token = secrets.token_urlsafe(24)
        key = self._chat_link_key(token)
        await self._redis.set(
            key, self._cipher.encrypt(address.encode(), key), ex=int(ttl.total_seconds())
        )
        return token

    async def open_chat_link(self, token: str) -> str | None:
        """The address a valid, unexpired token was issued for; None otherwise."""
        if not 16 <= len(token) <= 64:
            return None
        key = self._chat_link_key(token)
        blob = await self._redis.get(key)
        return self._cipher.decrypt(_raw(blob), key).decode() if blob is not None else None

    async def bind_chat(self, chat_address: str, address: str, ttl: timedelta) -> None:
        """The web chat at `chat_address` speaks for `address` until `ttl` passes."""
        key = self._key(chat_address, "bound")
        await self._redis.set(
            key, self._cipher.encrypt(address.encode(), key), ex=int(ttl.total_seconds())
        )

    async def bound(self, chat_address: str) -> str | None:
        key = self._key(chat_address, "bound")
        blob = await self._redis.get(key)
        return self._cipher.decrypt(_raw(blob), key).decode() if blob is not None else None

    def _chat_link_key(self, token: str) -> str:
        digest = hmac.new(self._cipher.id_key, token.encode(), hashlib.sha256).hexdigest()
        # Its own hash tag: the token names no contact until it is opened.
        return f"{self._keys.prefix}{{chatlink:{digest[:32]}}}"


def _raw(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
