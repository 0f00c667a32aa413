"""DELETE MY DATA in Redis: every key of one contact (all under its hash tag, so one slot and
one node's scan) and its entries still in the outbox stream."""

from __future__ import annotations

from typing import Any, cast

from redis.asyncio import Redis

from bot.store.client import scan_slot
from bot.store.keys import KeyBuilder
from bot.store.redis_calls import as_bytes, guarded


class ContactEraser:
    def __init__(self, redis: Redis, keys: KeyBuilder, timeout_s: float) -> None:
        self._redis = redis
        self._keys = keys
        self._timeout_s = timeout_s

    async def contact(self, contact: str, batch: int = 500) -> int:
        """Delete every key of one contact (all share its hash tag); returns how many."""
        if not KeyBuilder.is_contact_id(contact):
            raise ValueError("not a contact id")
        pattern = f"{self._keys.prefix}{contact}*"
        # The session and plan go first: once they are gone nothing writes a key for this
        # contact again (record_delivery checks them), so the scan cannot be outrun.
        keys = self._keys.for_contact(contact)
        async with guarded("erase", self._timeout_s):
            deleted = int(await self._redis.unlink(keys.session, keys.plan))
            await self._redis.srem(self._keys.contacts, contact)
            await self._redis.hdel(self._keys.relayed, contact)
        # Every key of the contact is in one slot: on a cluster only its node is scanned.
        async with guarded("erase", self._timeout_s):
            found = [key async for key in scan_slot(self._redis, keys.session, pattern, batch)]
        for start in range(0, len(found), batch):
            async with guarded("erase", self._timeout_s):
                deleted += int(await self._redis.unlink(*found[start : start + batch]))
        return deleted

    async def outbox(self, contact: str, until: str, batch: int = 2000) -> int:
        """Delete the contact's entries from the outbox stream up to entry `until` (included).

        Sealed, but still readable with the data key until the stream is trimmed: after
        DELETE MY DATA they go at once. Entries after `until` belong to a fresh start and stay.
        A consumer that has not read a deleted entry never sees it; one holding it pending is
        handed nothing for it by XAUTOCLAIM.
        """
        stream = self._keys.outbox
        wanted = contact.encode()
        start, deleted = "-", 0
        while True:
            async with guarded("erase_outbox", self._timeout_s):
                chunk = cast(
                    list[Any], await self._redis.xrange(stream, min=start, max=until, count=batch)
                )
            if not chunk:
                return deleted
            doomed = [
                as_bytes(entry_id) for entry_id, fields in chunk if fields.get(b"contact") == wanted
            ]
            if doomed:
                async with guarded("erase_outbox", self._timeout_s):
                    deleted += int(await self._redis.xdel(stream, *doomed))
            if len(chunk) < batch:
                return deleted
            last = as_bytes(chunk[-1][0]).decode()
            start = "(" + last
