"""Flood limits in Redis: counters per window, distinct members per window, once per window.

Fixed windows (`now // window`), counted with INCR/SADD and forgotten by TTL: cheap (one
pipelined round trip) and good enough for limits that only need to hold "about N per
window". Key names never carry a phone number or an IP address: callers pass a contact id
or a client address, and the limiter names the key by a keyed hash of it.

  <prefix>limit:<name>:<hash>:<window>          counter (INCR)
  <prefix>limit:<name>:<hash>:<window>:set      the first N distinct members, hashed
  <prefix>limit:<name>:<hash>:once              set once per window (SET NX EX); holds "1",
                                                or the holder that took it (an outbox entry id)
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from math import ceil

from redis.asyncio import Redis


@dataclass(frozen=True, slots=True)
class Count:
    """How many hits the window holds, this one included."""

    count: int

    def over(self, limit: int) -> bool:
        return self.count > limit


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
        self._id_key = id_key
        self._prefix = prefix
        self._admit = redis.register_script(_ADMIT)
        self._take = redis.register_script(_TAKE)

    def _name(self, name: str, key: str) -> str:
        digest = hmac.new(self._id_key, key.encode(), hashlib.sha256).hexdigest()[:24]
        return f"{self._prefix}limit:{name}:{digest}"

    async def hit(self, name: str, key: str, window_s: int, now: float) -> Count:
        """Count one hit for `key` in the current window of `window_s` seconds."""
        counter = f"{self._name(name, key)}:{int(now // window_s)}"
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
        members = f"{self._name(name, key)}:{int(now // window_s)}:set"
        tag = hmac.new(self._id_key, member.encode(), hashlib.sha256).hexdigest()[:24]
        return bool(await self._admit(keys=[members], args=[tag, limit, window_s + 1]))

    async def once(self, name: str, key: str, window_s: float, holder: str = "") -> bool:
        """True the first time in `window_s` seconds (from this call on) for `key`.

        With a `holder`, the slot remembers who took it: that holder gets True again within
        the window (a retry of the same work), anyone else False. Without one, only the first
        call gets True, and the slot is held by no one who could ask again ("1")."""
        marker = f"{self._name(name, key)}:once"
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


class PageGate:
    """On-call is paged once per parent, kind of alert (crisis, handoff) and reason per
    window: the delivery router asks before it makes the alert's jobs; the flood guard takes
    the slot itself for a handoff request over its client's limit, so that one is not paged.
    The reason keeps each promise: a RIDE after a TALK (or a suicide text after a relapse
    one) is a new request the bot said the team would hear of, never swallowed."""

    def __init__(self, limiter: Limiter, window_s: float) -> None:
        self._limiter = limiter
        self.window_s = window_s

    async def first(self, contact: str, kind: str, reason: str = "", holder: str = "") -> bool:
        """True for the first alert of this kind and reason for this parent in the window.

        `holder` (the outbox entry id) is who asks: that entry read again after a crash
        between this call and its alert's jobs gets True again, so its page is not lost."""
        if self.window_s <= 0:
            return True
        key = f"{contact}|{kind}|{reason}" if reason else f"{contact}|{kind}"
        return await self._limiter.once("page", key, self.window_s, holder)
