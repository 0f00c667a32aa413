"""The contacts index: one set beside the outbox stream that the commit keeps, so listing
every plan (dashboard, reports, erasure checks, the relay's sweep) never scans the keyspace,
on one server or a Cluster."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.errors import StoreUnavailable
from bot.store.keys import ContactKeys, KeyBuilder
from bot.store.redis_calls import as_bytes, guarded


class ContactIndex:
    def __init__(self, redis: Redis, keys: KeyBuilder, timeout_s: float) -> None:
        self._redis = redis
        self._keys = keys
        self._timeout_s = timeout_s

    async def contacts(self, batch: int = 500) -> AsyncIterator[str]:
        """Every contact id with a saved plan, from the contacts index (one set the commit
        keeps, beside the outbox stream): no keyspace SCAN, on one server or a Cluster."""
        # Listed but without a plan: erased, or its first commit never landed.
        async for keys, there in self.each("contacts", batch, "plan", "exists"):
            if there:
                yield keys.contact

    async def reindex(self, batch: int = 500, *, force: bool = False) -> int:
        """Put every contact whose plan predates the index into it, once per keyspace (the
        one migration the index needs; the app runs it at start-up, `python -m bot store
        reindex` forces it). Returns how many were added; 0 when it had run already."""
        async with guarded("reindex", self._timeout_s):
            if not force and await self._redis.exists(self._keys.indexed):
                return 0
        pattern = f"{self._keys.prefix}{{c:*}}:plan"
        start = len(self._keys.prefix)
        found = 0
        chunk: list[str] = []
        # Not bounded by the call timeout: a large keyspace takes a while, once. A Cluster
        # client scans every primary in turn.
        try:
            async for key in self._redis.scan_iter(match=pattern, count=batch):
                name = as_bytes(key).decode()
                chunk.append(name[start : name.index("}", start) + 1])
                if len(chunk) >= batch:
                    found += int(await self._redis.sadd(self._keys.contacts, *chunk))
                    chunk.clear()
            if chunk:
                found += int(await self._redis.sadd(self._keys.contacts, *chunk))
            await self._redis.set(self._keys.indexed, "1")
        except (RedisError, OSError) as exc:
            raise StoreUnavailable("redis did not answer (reindex)") from exc
        return found

    async def each(
        self, what: str, batch: int, key: str, command: str
    ) -> AsyncIterator[tuple[ContactKeys, Any]]:
        """Each indexed contact's keys with `command` run on one of its keys (pipelined per
        batch; per node on a Cluster)."""
        async for contacts in self.batches(batch):
            built = [self._keys.for_contact(c) for c in contacts]
            async with (
                guarded(what, self._timeout_s),
                self._redis.pipeline(transaction=False) as pipe,
            ):
                for keys in built:
                    getattr(pipe, command)(getattr(keys, key))
                replies = await pipe.execute()
            for keys, reply in zip(built, replies, strict=True):
                yield keys, reply

    async def batches(self, batch: int) -> AsyncIterator[list[str]]:
        cursor: int = 0
        while True:
            async with guarded("contacts", self._timeout_s):
                cursor, members = await self._redis.sscan(self._keys.contacts, cursor, count=batch)
            if members:
                yield [as_bytes(m).decode() for m in members]
            if cursor == 0:
                return
