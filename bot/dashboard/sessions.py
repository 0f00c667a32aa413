"""Dashboard sessions: server-side in Redis, a random id in the cookie, a CSRF token each.

The cookie holds 32 random bytes; Redis holds only their SHA-256, so someone who can read
Redis cannot sign in as anyone. A session starts anonymous (it carries the sign-in form's
CSRF token) and is replaced by a new one, with a new id and token, at sign-in.

Each member's signed-in sessions are listed in an index, so a password change
(`set-password`) or a removal from the directory ends them all at once. A request only
touches a session that still exists: one ended meanwhile is never written back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from math import ceil
from typing import Any, Literal

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


# Touch a session only if it still exists: an end_all meanwhile must not be undone.
# KEYS: session. ARGV: seen, ttl s.
_TOUCH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'seen', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


class SessionStore:
    def __init__(self, redis: Redis, keys: DashKeys, config: DashboardConfig) -> None:
        self._redis = redis
        self._keys = keys
        self._config = config
        self._touch = redis.register_script(_TOUCH)

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
            await self.end(session)
            return Loaded(None, ended if session.member else None)
        touched = replace(session, seen=now)
        if not await self._touch_saved(touched):
            return Loaded(None)  # ended while this request read it
        return Loaded(touched)

    async def end(self, session: CareSession) -> None:
        digest = _digest(session.token)
        # Program-wide keys in different slots: a plain pipeline, not a transaction.
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.delete(self._keys.session(digest))
            if session.member:
                pipe.srem(self._keys.member_sessions(session.member), digest)
            await pipe.execute()

    async def end_all(self, member: str) -> int:
        """End every signed-in session of `member`; how many there were."""
        index = self._keys.member_sessions(member)
        digests = [_text(d) for d in await self._redis.smembers(index)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for digest in digests:
                pipe.delete(self._keys.session(digest))
            pipe.delete(index)
            results = await pipe.execute()
        return sum(int(r) for r in results[:-1])

    async def end_removed(self, members: Iterable[str]) -> int:
        """End the sessions of every member no longer in the directory (at start-up: a
        directory loaded without them). How many sessions ended."""
        known = set(members)
        prefix = self._keys.member_sessions("")
        ended = 0
        async for raw in self._redis.scan_iter(match=self._keys.member_sessions_pattern()):
            member = _text(raw)[len(prefix) :]
            if member not in known:
                ended += await self.end_all(member)
        return ended

    def _ended(self, session: CareSession, now: datetime) -> Ended | None:
        if session.member is None:
            return "expired" if now - session.seen > self._config.anonymous_ttl else None
        if now - session.created > self._config.session_max:
            return "expired"
        if now - session.seen > self._config.idle:
            return "idle"
        return None

    def _ttl_s(self, session: CareSession) -> int:
        idle = self._config.idle if session.member else self._config.anonymous_ttl
        # Redis forgets a session a little after the clock would end it.
        return ceil(idle.total_seconds()) + 60

    def _index_ttl_s(self) -> int:
        return ceil(self._config.session_max.total_seconds()) + 60

    async def _touch_saved(self, session: CareSession) -> bool:
        key = self._keys.session(_digest(session.token))
        args: list[Any] = [session.seen.isoformat(), self._ttl_s(session)]
        return bool(await self._touch(keys=[key], args=args))

    async def _save(self, session: CareSession) -> None:
        digest = _digest(session.token)
        key = self._keys.session(digest)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(
                key,
                mapping={
                    "member": session.member or "",
                    "csrf": session.csrf,
                    "created": session.created.isoformat(),
                    "seen": session.seen.isoformat(),
                },
            )
            pipe.expire(key, self._ttl_s(session))
            if session.member:
                # Outlives every session in it: each lasts session_max at most.
                index = self._keys.member_sessions(session.member)
                pipe.sadd(index, digest)
                pipe.expire(index, self._index_ttl_s())
            await pipe.execute()
