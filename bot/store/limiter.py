"""Flood limits in Redis (the `Limits` interface, limits.py): counters per window with
INCR, distinct members per window with SADD, once per window with SET NX EX, all forgotten by
TTL: cheap (one pipelined round trip). Key names come from keys/limits.py; a once-slot holds
"1", or the holder that took it (an outbox entry id).
"""

from __future__ import annotations

from math import ceil

from redis.asyncio import Redis

from bot.store.keys.limits import LimitKeys
from bot.store.limits import Count, PageGate

__all__ = ["Count", "Limiter", "PageGate"]


# Admit `member` to a window's set if it is in already or the set has room.
# KEYS: set. ARGV: member, limit, ttl s. Returns 1 admitted, 0 refused.
_ADMIT = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('SADD', KEYS[1], ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
"""

# Take a once-per-window slot for a holder, or find it already taken by that same holder.
# KEYS: marker. ARGV: holder, ttl s. Returns 1 taken (now or before, by this holder), 0 not.
_TAKE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
return 0
"""


class Limiter:
    def __init__(self, redis: Redis, id_key: bytes, prefix: str = "") -> None:
        self._redis = redis
        self._keys = LimitKeys(id_key, prefix)
        self._admit = redis.register_script(_ADMIT)
        self._take = redis.register_script(_TAKE)

    async def hit(self, name: str, key: str, window_s: int, now: float) -> Count:
        """Count one hit for `key` in the current window of `window_s` seconds."""
        counter = self._keys.counter(name, key, int(now // window_s))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(counter)
            pipe.expire(counter, window_s + 1)
            count, _ = await pipe.execute()
        return Count(int(count))

    async def admit(
        self, name: str, key: str, member: str, limit: int, window_s: int, now: float
    ) -> bool:
        """Whether `member` is among the first `limit` distinct members of `key` this window
        (one already admitted stays admitted for the window)."""
        members = self._keys.members(name, key, int(now // window_s))
        tag = self._keys.tag(member)
        return bool(await self._admit(keys=[members], args=[tag, limit, window_s + 1]))

    async def once(self, name: str, key: str, window_s: float, holder: str = "") -> bool:
        """True the first time in `window_s` seconds (from this call on) for `key`.

        With a `holder`, the slot remembers who took it: that holder gets True again within
        the window (a retry of the same work), anyone else False. Without one, only the first
        call gets True, and the slot is held by no one who could ask again ("1")."""
        marker = self._keys.once(name, key)
        ttl_s = max(1, ceil(window_s))
        if not holder:
            return bool(await self._redis.set(marker, b"1", nx=True, ex=ttl_s))
        return bool(await self._take(keys=[marker], args=[holder, ttl_s]))

    async def expire(self, keys: list[str], ttl_s: int | None) -> None:
        """Let these keys go after `ttl_s` idle seconds (None: keep them for good)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                if ttl_s is None:
                    pipe.persist(key)
                else:
                    pipe.expire(key, ttl_s)
            await pipe.execute()
