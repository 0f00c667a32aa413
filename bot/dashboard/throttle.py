"""Sign-in limits: lockouts per member id and address, a slowdown per member id across
addresses, a cap per address, and an operator's time-limited unlock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from bot.dashboard.config import DashboardConfig
from bot.store.care_access import CareAccess
from bot.store.keys.dashboard import DashKeys

# Directory member ids have this shape; anything else typed into the form shares one bucket,
# so made-up names cannot create keys without end.
_MEMBER_ID = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
OTHER = "_other"


def bucket_for(member_id: str) -> str:
    return member_id if _MEMBER_ID.match(member_id) else OTHER


@dataclass(frozen=True, slots=True)
class Lock:
    until: datetime


class SignInThrottle:
    """Sign-in limits that slow guessing down without handing anyone a way to lock a
    member out.

    - A lockout is per member id *and* client address: `max_failures` wrong passwords from
      one address lock that id from that address only. The member signs in from anywhere
      else, so five wrong tries from five addresses lock no one out.
    - Across addresses, once a member id has had `member_failures` wrong passwords within
      `failure_window`, every address gets a single wrong try for it before its lockout:
      spreading guesses over many addresses buys one guess per address per window.
    - Every address is capped at `attempts_per_address` attempts per window, whatever ids.
    - An operator can give a member a time-limited unlock (`python -m bot.dashboard unlock
      MEMBER_ID`): it clears the member's lockouts, and while it lasts the right password
      signs in even through a new one (wrong ones still count).

    Failures count per member id, known or not, so a lockout says nothing about which ids
    exist. Times come from the caller's clock; the store's expiries only clean up."""

    def __init__(self, records: CareAccess, config: DashboardConfig) -> None:
        self._records = records
        self._config = config

    async def lock_of(self, member_id: str, address: str, now: datetime) -> Lock | None:
        raw = await self._records.lock_until(bucket_for(member_id), DashKeys.address_tag(address))
        if raw is None:
            return None
        until = datetime.fromisoformat(raw)
        return Lock(until) if until > now else None

    async def unlocked(self, member_id: str) -> bool:
        """An operator's unlock holds for this member id."""
        return await self._records.has_unlock(bucket_for(member_id))

    async def unlock(self, member_id: str, lasting: timedelta) -> None:
        """Clear the member's lockouts and failures; the right password passes any lockout
        for `lasting`."""
        await self._records.grant_unlock(bucket_for(member_id), ceil(lasting.total_seconds()))

    async def address_allowed(self, address: str, now: datetime) -> bool:
        """Count this attempt from `address`; False once the last window holds too many.

        A sliding window (a sorted set of attempt times), so a burst cannot use two fixed
        windows' allowance across their boundary.
        """
        window_s = self._config.attempt_window.total_seconds()
        tag = DashKeys.address_tag(address)
        count = await self._records.count_attempt(tag, now.timestamp(), window_s)
        return count <= self._config.attempts_per_address

    async def failed(self, member_id: str, address: str, now: datetime) -> Lock | None:
        """Record a wrong password; the lock it caused, if this was one failure too many."""
        bucket = bucket_for(member_id)
        tag = DashKeys.address_tag(address)
        window = ceil(self._config.failure_window.total_seconds())
        here, everywhere = await self._records.add_failure(bucket, tag, window)
        # Guessing spread over many addresses: one wrong try per address from now on.
        allowed = 1 if everywhere > self._config.member_failures else self._config.max_failures
        if here < allowed:
            return None
        until = now + self._config.lockout
        lockout_s = ceil(self._config.lockout.total_seconds())
        await self._records.lock(bucket, tag, until.isoformat(), lockout_s)
        return Lock(until)

    async def succeeded(self, member_id: str, address: str) -> None:
        await self._records.clear_failures(bucket_for(member_id), DashKeys.address_tag(address))
