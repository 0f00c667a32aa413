"""`CareAccess` in Redis: the dashboard's program-wide keys (`DashKeys`) and parents' plan
links under their contact's hash tag."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from bot.settings import Settings
from bot.store.care_access import SessionRecord
from bot.store.embedded import connect_redis
from bot.store.keys.dashboard import DashKeys

# Touch a session only if it still exists: an end_all meanwhile must not be undone.
# KEYS: session. ARGV: seen, ttl s.
_TOUCH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'seen', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisCareAccess:
    def __init__(self, redis: Redis, keys: DashKeys) -> None:
        self._redis = redis
        self.keys = keys
        self._touch = redis.register_script(_TOUCH)

    async def password_hash(self, member: str) -> str | None:
        raw = await self._redis.get(self.keys.password(member))
        return None if raw is None else _text(raw)

    async def set_password_hash(self, member: str, digest: str) -> None:
        await self._redis.set(self.keys.password(member), digest.encode())

    async def save_session(
        self, digest: str, record: SessionRecord, ttl_s: int, index_ttl_s: int
    ) -> None:
        key = self.keys.session(digest)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(
                key,
                mapping={
                    "member": record.member or "",
                    "csrf": record.csrf,
                    "created": record.created,
                    "seen": record.seen,
                },
            )
            pipe.expire(key, ttl_s)
            if record.member:
                # Outlives every session in it: each lasts session_max at most.
                index = self.keys.member_sessions(record.member)
                pipe.sadd(index, digest)
                pipe.expire(index, index_ttl_s)
            await pipe.execute()

    async def session(self, digest: str) -> SessionRecord | None:
        raw = await self._redis.hgetall(self.keys.session(digest))
        if not raw:
            return None
        fields = {_text(k): _text(v) for k, v in raw.items()}
        return SessionRecord(
            fields["member"] or None, fields["csrf"], fields["created"], fields["seen"]
        )

    async def touch_session(self, digest: str, seen: str, ttl_s: int) -> bool:
        return bool(await self._touch(keys=[self.keys.session(digest)], args=[seen, ttl_s]))

    async def end_session(self, digest: str, member: str | None) -> None:
        # Program-wide keys in different slots: a plain pipeline, not a transaction.
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.delete(self.keys.session(digest))
            if member:
                pipe.srem(self.keys.member_sessions(member), digest)
            await pipe.execute()

    async def end_member_sessions(self, member: str) -> int:
        index = self.keys.member_sessions(member)
        digests = [_text(d) for d in await self._redis.smembers(index)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for digest in digests:
                pipe.delete(self.keys.session(digest))
            pipe.delete(index)
            results = await pipe.execute()
        return sum(int(r) for r in results[:-1])

    async def members_with_sessions(self) -> Sequence[str]:
        prefix = self.keys.member_sessions("")
        pattern = self.keys.member_sessions_pattern()
        return [_text(raw)[len(prefix) :] async for raw in self._redis.scan_iter(match=pattern)]

    async def lock_until(self, bucket: str, address_tag: str) -> str | None:
        raw = await self._redis.hget(self.keys.locked(bucket), address_tag)
        return None if raw is None else _text(raw)

    async def lock(self, bucket: str, address_tag: str, until: str, ttl_s: int) -> None:
        locked = self.keys.locked(bucket)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(locked, address_tag, until.encode())
            pipe.expire(locked, ttl_s)
            pipe.hdel(self.keys.failures(bucket), address_tag)
            await pipe.execute()

    async def has_unlock(self, bucket: str) -> bool:
        return bool(await self._redis.exists(self.keys.unlock(bucket)))

    async def grant_unlock(self, bucket: str, ttl_s: int) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.delete(self.keys.locked(bucket), self.keys.failures(bucket))
            pipe.delete(self.keys.member_failures(bucket))
            pipe.set(self.keys.unlock(bucket), b"1", ex=ttl_s)
            await pipe.execute()

    async def count_attempt(self, address_tag: str, at: float, window_s: float) -> int:
        # A sliding window (a sorted set of attempt times), so a burst cannot use two fixed
        # windows' allowance across their boundary.
        key = self.keys.attempts(address_tag)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", at - window_s)
            pipe.zadd(key, {f"{at}:{secrets.token_hex(4)}": at})
            pipe.zcard(key)
            pipe.expire(key, int(window_s) + 1)
            _, _, count, _ = await pipe.execute()
        return int(count)

    async def add_failure(self, bucket: str, address_tag: str, window_s: int) -> tuple[int, int]:
        failures, everywhere = self.keys.failures(bucket), self.keys.member_failures(bucket)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(failures, address_tag, 1)
            pipe.expire(failures, window_s, nx=True)
            pipe.incr(everywhere)
            pipe.expire(everywhere, window_s, nx=True)
            here, _, anywhere, _ = await pipe.execute()
        return int(here), int(anywhere)

    async def clear_failures(self, bucket: str, address_tag: str) -> None:
        await self._redis.hdel(self.keys.failures(bucket), address_tag)

    async def save_plan_link(self, contact: str, token: str, ttl_s: int) -> None:
        await self._redis.set(self.keys.plan_link(contact, token), b"1", ex=ttl_s)

    async def plan_link_exists(self, contact: str, token: str) -> bool:
        return bool(await self._redis.exists(self.keys.plan_link(contact, token)))


@asynccontextmanager
async def care_access_for(settings: Settings, prefix: str) -> AsyncIterator[RedisCareAccess]:
    """The app's dashboard records, for a command run beside it (an embedded Redis the app
    started is found through var/redis.url; one started here is stopped on the way out)."""
    redis, embedded, _ = await connect_redis(settings)
    try:
        yield RedisCareAccess(redis, DashKeys(prefix))
    finally:
        await redis.aclose()
        if embedded is not None:
            embedded.stop()
