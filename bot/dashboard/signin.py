"""One sign-in attempt: address cap, lockout, password, then a fresh session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.careteam.directory import Directory
from bot.dashboard.passwords import PasswordStore
from bot.dashboard.sessions import CareSession, SessionStore
from bot.dashboard.throttle import SignInThrottle

Outcome = Literal["signed_in", "wrong", "locked", "throttled"]


@dataclass(frozen=True, slots=True)
class SignInResult:
    outcome: Outcome
    session: CareSession | None = None
    locked_until: datetime | None = None


@dataclass(slots=True)
class SignIn:
    directory: Directory
    passwords: PasswordStore
    throttle: SignInThrottle
    sessions: SessionStore

    async def attempt(
        self, member_id: str, password: str, address: str, now: datetime
    ) -> SignInResult:
        """Wrong id and wrong password look the same; an id locked from this address is
        refused even with the right password, so guessing on cannot find it (unless an
        operator's unlock holds for it: then the right password passes)."""
        if not await self.throttle.address_allowed(address, now):
            return SignInResult("throttled")
        lock = await self.throttle.lock_of(member_id, address, now)
        if lock is not None and not await self.throttle.unlocked(member_id):
            return SignInResult("locked", locked_until=lock.until)
        member = self.directory.member_by_id.get(member_id)
        if await self.passwords.verify(member.id if member else None, password):
            assert member is not None
            await self.throttle.succeeded(member.id, address)
            return SignInResult("signed_in", await self.sessions.start(member.id, now))
        if lock is not None:
            await self.throttle.failed(member_id, address, now)
            return SignInResult("locked", locked_until=lock.until)
        lock = await self.throttle.failed(member_id, address, now)
        if lock is not None:
            return SignInResult("locked", locked_until=lock.until)
        return SignInResult("wrong")
