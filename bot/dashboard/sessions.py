"""Dashboard sessions: server-side in Redis, a random id in the cookie, a CSRF token each.

The cookie holds 32 random bytes; Redis holds only their SHA-256, so someone who can read
Redis cannot sign in as anyone. A session starts anonymous (it carries the sign-in form's
CSRF token) and is replaced by a new one, with a new id and token, at sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from math import ceil
from typing import Literal

from redis.asyncio import Redis

from bot.dashboard.config import DashboardConfig
from bot.dashboard.keys import DashKeys

Ended = Literal["idle", "expired"]


@dataclass(frozen=True, slots=True)
class CareSession:
    token: str  # the cookie value; never stored
    member: str | None
    csrf: str
    created: datetime
    seen: datetime

    def csrf_ok(self, offered: str) -> bool:
        return bool(offered) and hmac.compare_digest(offered.encode(), self.csrf.encode())


@dataclass(frozen=True, slots=True)
class Loaded:
    """A cookie's session, or why it ended (`session` None with `ended` set)."""

    session: CareSession | None
    ended: Ended | None = None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(self, redis: Redis, keys: DashKeys, config: DashboardConfig) -> None:
        self._redis = redis
        self._keys = keys
        self._config = config

    async def start(self, member: str | None, now: datetime) -> CareSession:
        session = CareSession(
            secrets.token_urlsafe(32), member, secrets.token_urlsafe(32), now, now
        )
        await self._save(session)
        return session

    async def load(self, token: str | None, now: datetime) -> Loaded:
        """The session behind a cookie, touched; an idle or too old one is deleted."""
        if not token or len(token) > 100:
            return Loaded(None)
        key = self._keys.session(_digest(token))
        raw = await self._redis.hgetall(key)
        if not raw:
            return Loaded(None)
        fields = {_text(k): _text(v) for k, v in raw.items()}
        session = CareSession(
            token,
            fields["member"] or None,
            fields["csrf"],
            datetime.fromisoformat(fields["created"]),
            datetime.fromisoformat(fields["seen"]),
        )
        ended = self._ended(session, now)
        if ended is not None:
            await self._redis.delete(key)
            return Loaded(None, ended if session.member else None)
        touched = replace(session, seen=now)
        await self._save(touched)
        return Loaded(touched)

    async def end(self, session: CareSession) -> None:
        await self._redis.delete(self._keys.session(_digest(session.token)))

    def _ended(self, session: CareSession, now: datetime) -> Ended | None:
        if session.member is None:
            return "expired" if now - session.seen > self._config.anonymous_ttl else None
        if now - session.created > self._config.session_max:
            return "expired"
        if now - session.seen > self._config.idle:
            return "idle"
        return None

    async def _save(self, session: CareSession) -> None:
        key = self._keys.session(_digest(session.token))
        idle = self._config.idle if session.member else self._config.anonymous_ttl
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                key,
                mapping={
                    "member": session.member or "",
                    "csrf": session.csrf,
                    "created": session.created.isoformat(),
                    "seen": session.seen.isoformat(),
                },
            )
            # Redis forgets a session a little after the clock would end it.
            pipe.expire(key, ceil(idle.total_seconds()) + 60)
            await pipe.execute()
