"""One lease implementation for every "exactly one process does this" in the product: the
reminders' leader (it runs APScheduler's jobs and sends), the care-team outbox reader and
the outbox relay's sweep.

A lease is a Redis key holding its holder's token with an expiry: taken only when free (or
already ours), extended and given back only by its holder (compare, then act, in one
script), so at most one process holds it, and a dead holder's lease simply runs out.

**A lease outlives a failover.** Redis replicates asynchronously: a primary that dies right
after granting a lease can take it along, and the replica that takes over would then hand
it to a second process while the first still leads. So on a primary with replicas a lease
counts only once a replica that could be promoted holds it too (bot/store/replicated.py:
the script, then `WAIT 1` on the same connection); if none acknowledges in time the lease
is given back and reported as not ours, and the caller tries again on its next round. A
failover promotes a replica that has the lease, and with it the holder.
`tests/store/test_lease_failover.py` kills a primary whose replica missed a write.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from enum import IntEnum
from typing import Any

from redis.asyncio import Redis

from bot.store.replicated import CONFIRM_MS, replicated

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
    def __init__(
        self,
        redis: Redis,
        key: str,
        ttl: timedelta,
        token: str | None = None,
        *,
        confirm_ms: int = CONFIRM_MS,
    ) -> None:
        self.key = key
        self.token = token or secrets.token_hex(12)
        self._ttl_ms = int(ttl.total_seconds() * 1000)
        if self._ttl_ms < 1:
            raise ValueError("a lease must last")
        self._redis: Any = redis
        self._confirm_ms = confirm_ms
        self._release = redis.register_script(_RELEASE)

    async def acquire(self) -> bool:
        """Take the lease if it is free (or ours already)."""
        return await self.hold() is not Held.BY_ANOTHER

    async def renew(self) -> bool:
        """Extend the lease if it is still ours."""
        return bool(await self._granted(_RENEW))

    async def hold(self) -> Held:
        """Take the lease if free or extend it if ours, in one round trip (two when a
        replica must acknowledge it)."""
        return Held(await self._granted(_HOLD))

    async def release(self) -> None:
        """Give the lease back if it is still ours (else it is another's: leave it)."""
        await self._release(keys=[self.key], args=[self.token])

    async def _granted(self, script: str) -> int:
        """The script's answer (0: not ours) once a replica, if any, holds the lease too."""
        command = ("EVAL", script, 1, self.key, self.token, self._ttl_ms)
        answer, durable = await replicated(self._redis, self.key, command, self._confirm_ms)
        if not durable:
            await self.release()  # not on a replica: as if never granted
            return 0
        return int(answer)
