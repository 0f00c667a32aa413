"""Sign-in limits: a lockout per member id after repeated failures, and a cap per address."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from math import ceil

from redis.asyncio import Redis

from bot.dashboard.config import DashboardConfig
from bot.dashboard.keys import DashKeys

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
    """Counts failures per member id (known or not, so a lockout says nothing about which ids
    exist) and attempts per client address. Times come from the caller's clock; Redis TTLs
    only clean up."""

    def __init__(self, redis: Redis, keys: DashKeys, config: DashboardConfig) -> None:
        self._redis = redis
        self._keys = keys
        self._config = config

    async def lock_of(self, member_id: str, now: datetime) -> Lock | None:
        raw = await self._redis.get(self._keys.locked(bucket_for(member_id)))
        if raw is None:
            return None
        until = datetime.fromisoformat(raw.decode() if isinstance(raw, bytes) else raw)
        return Lock(until) if until > now else None

    async def address_allowed(self, address: str, now: datetime) -> bool:
        """Count this attempt from `address`; False once the last window holds too many.

        A sliding window (a sorted set of attempt times), so a burst cannot use two fixed
        windows' allowance across their boundary.
        """
        window_s = self._config.attempt_window.total_seconds()
        key = self._keys.attempts(address)
        at = now.timestamp()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", at - window_s)
            pipe.zadd(key, {f"{at}:{secrets.token_hex(4)}": at})
            pipe.zcard(key)
            pipe.expire(key, ceil(window_s) + 1)
            _, _, count, _ = await pipe.execute()
        return int(count) <= self._config.attempts_per_address

    async def failed(self, member_id: str, now: datetime) -> Lock | None:
        """Record a wrong password; the lock it caused, if this was one failure too many."""
        bucket = bucket_for(member_id)
        key = self._keys.failures(bucket)
        window = ceil(self._config.failure_window.total_seconds())
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
            count, _ = await pipe.execute()
        if int(count) < self._config.max_failures:
            return None
        until = now + self._config.lockout
        ttl = ceil(self._config.lockout.total_seconds())
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._keys.locked(bucket), until.isoformat().encode(), ex=ttl)
            pipe.delete(key)
            await pipe.execute()
        return Lock(until)

    async def succeeded(self, member_id: str) -> None:
        await self._redis.delete(self._keys.failures(bucket_for(member_id)))
