"""One lease implementation for every "exactly one process does this" in the product: the
reminders' leader (it runs APScheduler's jobs and sends) and the care-team outbox reader.

A lease is a Redis key holding its holder's token with an expiry: taken only when free
(`SET NX PX`), extended and given back only by its holder (compare, then act, in one
script), so at most one process holds it, and a dead holder's lease simply runs out.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from enum import IntEnum

from redis.asyncio import Redis

# KEYS: lease. ARGV: token, ttl ms. Extend only our own lease.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# KEYS: lease. ARGV: token, ttl ms. 2 taken (it was free), 1 extended (ours), 0 another's.
_HOLD = """
local holder = redis.call('GET', KEYS[1])
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Held(IntEnum):
    BY_ANOTHER = 0
    STILL = 1
    NEWLY = 2  # taken just now: whatever a previous holder left is ours to pick up


class Lease:
    def __init__(self, redis: Redis, key: str, ttl: timedelta, token: str | None = None) -> None:
        self.key = key
        self.token = token or secrets.token_hex(12)
        self._ttl_ms = int(ttl.total_seconds() * 1000)
        if self._ttl_ms < 1:
            raise ValueError("a lease must last")
        self._redis = redis
        self._renew = redis.register_script(_RENEW)
        self._hold = redis.register_script(_HOLD)
        self._release = redis.register_script(_RELEASE)

    async def acquire(self) -> bool:
        """Take the lease if it is free."""
        return bool(await self._redis.set(self.key, self.token, nx=True, px=self._ttl_ms))

    async def renew(self) -> bool:
        """Extend the lease if it is still ours."""
        return bool(await self._renew(keys=[self.key], args=[self.token, self._ttl_ms]))

    async def hold(self) -> Held:
        """Take the lease if free or extend it if ours, in one round trip."""
        return Held(int(await self._hold(keys=[self.key], args=[self.token, self._ttl_ms])))

    async def release(self) -> None:
        """Give the lease back if it is still ours (else it is another's: leave it)."""
        await self._release(keys=[self.key], args=[self.token])
