"""Dashboard sessions: kept server-side (`CareAccess`), a random id in the cookie, a CSRF
token each.

The cookie holds 32 random bytes; the store holds only their SHA-256, so someone who can
read it cannot sign in as anyone. A session starts anonymous (it carries the sign-in form's
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
from typing import Literal

from bot.dashboard.config import DashboardConfig
from bot.store.care_access import CareAccess, SessionRecord

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


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(self, records: CareAccess, config: DashboardConfig) -> None:
        self._records = records
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
        record = await self._records.session(_digest(token))
        if record is None:
            return Loaded(None)
        session = CareSession(
            token,
            record.member,
            record.csrf,
            datetime.fromisoformat(record.created),
            datetime.fromisoformat(record.seen),
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
        await self._records.end_session(_digest(session.token), session.member)

    async def end_all(self, member: str) -> int:
        """End every signed-in session of `member`; how many there were."""
        return await self._records.end_member_sessions(member)

    async def end_removed(self, members: Iterable[str]) -> int:
        """End the sessions of every member no longer in the directory (at start-up: a
        directory loaded without them). How many sessions ended."""
        known = set(members)
        ended = 0
        for member in await self._records.members_with_sessions():
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
        digest = _digest(session.token)
        return await self._records.touch_session(
            digest, session.seen.isoformat(), self._ttl_s(session)
        )

    async def _save(self, session: CareSession) -> None:
        record = SessionRecord(
            session.member, session.csrf, session.created.isoformat(), session.seen.isoformat()
        )
        await self._records.save_session(
            _digest(session.token), record, self._ttl_s(session), self._index_ttl_s()
        )
