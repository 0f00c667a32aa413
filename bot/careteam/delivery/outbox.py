"""The worker's reading half: the outbox stream, in order, by one process at a time.

One process holds the reader's lease (so a contact's events are applied in the order they
were written), reads `outbox:events` with its own consumer group, hands each entry to
`apply`, and acknowledges an entry only once it is done with: applied, or unusable and set
aside. A transient failure leaves the entry pending, to be read again; an entry failing
again and again for an unforeseen reason is buried (careteam:dead) rather than holding up
every later event of every parent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from typing import Any, cast

from redis.asyncio import Redis

from bot.careteam.delivery.base import TRANSIENT, DeliveryConfig
from bot.careteam.records import CareRecords
from bot.errors import DecryptionError
from bot.store.crypto import Cipher
from bot.store.outbox import OutboxEntry, ensure_group, open_entry, trim_done

log = logging.getLogger("bot.careteam.delivery")

# Giving the outbox lease back on shutdown may wait this long, no more.
RESIGN_TIMEOUT_S = 1.0

Apply = Callable[[OutboxEntry], Awaitable[None]]


class OutboxReader:
    """Reads and acknowledges outbox entries for one consumer of the care-team group."""

    def __init__(
        self, *, records: CareRecords, cipher: Cipher, stream: str, config: DeliveryConfig
    ) -> None:
        self.records = records
        self.config = config
        self._redis: Redis = records.redis
        self._cipher = cipher
        self._stream = stream
        self.leading = False
        self._prepared = False
        self._failures: dict[str, int] = {}

    async def prepare(self) -> None:
        """Create the consumer group (from the stream's start: earlier events count too)."""
        await ensure_group(self._redis, self._stream, self.config.group)
        self._prepared = True

    async def resign(self) -> None:
        """Give the lease back so a restarted worker need not wait it out.

        Bounded: this runs while the task is being cancelled, and a command interrupted
        mid-read can leave it waiting. If Redis is away the lease simply expires.
        """
        if not self.leading:
            return
        with suppress(*TRANSIENT, TimeoutError):
            await asyncio.wait_for(self.records.resign(self.config.consumer), RESIGN_TIMEOUT_S)
        self.leading = False

    async def consume(self, apply: Apply) -> int:
        """Apply outbox entries in order, if this process holds the reader's lease.

        Returns how many were done with; 0 when an entry must wait, so the loop backs off
        instead of spinning on it.
        """
        if not self._prepared:
            await self.prepare()
        lead = await self.records.lead(self.config.consumer, self.config.leader_ttl_ms)
        if lead == 0:
            self.leading = False
            return 0
        if lead == 2 or not self.leading:
            await self._claim_abandoned()
        self.leading = True
        # Our own pending entries first (retries, or taken over from a dead reader), in order.
        entries = await self._read("0") or await self._read(">")
        done: list[str] = []
        try:
            for entry_id, fields in entries:
                if not fields:
                    log.error("outbox entry %s was trimmed before delivery; it is lost", entry_id)
                elif not await self._apply_raw(entry_id, fields, apply):
                    break
                done.append(entry_id)
        finally:
            if done:
                await self._redis.xack(self._stream, self.config.group, *done)
                # What every consumer group is done with leaves the stream now.
                await trim_done(self._redis, self._stream, self.config.outbox_groups)
        return len(done)

    async def _read(self, start: str) -> list[tuple[str, Mapping[bytes, bytes] | None]]:
        reply = await self._redis.xreadgroup(
            self.config.group, self.config.consumer, {self._stream: start}, count=self.config.batch
        )
        batches = reply.values() if isinstance(reply, dict) else [b[1] for b in reply or []]
        found: list[tuple[str, Mapping[bytes, bytes] | None]] = []
        for batch in batches:
            for entry_id, fields in cast(Sequence[Any], batch):
                ident = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
                found.append((ident, fields))
        return found

    async def _claim_abandoned(self) -> None:
        """Take over what a previous reader left unacknowledged (it lost or gave up the lease)."""
        cursor = "0-0"
        while True:
            reply = await self._redis.xautoclaim(
                self._stream,
                self.config.group,
                self.config.consumer,
                min_idle_time=0,
                start_id=cursor,
                count=self.config.batch,
            )  # not justid: redis-py then drops the cursor from the reply
            raw_cursor = reply[0]
            cursor = raw_cursor.decode() if isinstance(raw_cursor, bytes) else str(raw_cursor)
            deleted = reply[2] if len(reply) > 2 else []
            if deleted:
                log.error("%d outbox entries were trimmed before delivery", len(deleted))
                await self._redis.xack(self._stream, self.config.group, *deleted)
            if cursor == "0-0":
                return

    async def _apply_raw(self, entry_id: str, fields: Mapping[bytes, bytes], apply: Apply) -> bool:
        """True when the entry is done with (applied, or unusable); False to retry it later."""
        try:
            entry = open_entry(self._cipher, self._stream, entry_id, fields)
        except (DecryptionError, ValueError, KeyError, TypeError) as exc:
            # Not retryable: a sealed value that does not open will not open next time.
            log.error("outbox entry %s cannot be read: %s", entry_id, type(exc).__name__)
            await self.records.bury(entry_id, fields, type(exc).__name__)
            return True
        try:
            await apply(entry)
        except TRANSIENT as exc:
            log.warning("outbox entry %s deferred: %s", entry_id, type(exc).__name__)
            return False
        except Exception as exc:
            failures = self._failures[entry_id] = self._failures.get(entry_id, 0) + 1
            log.exception("outbox entry %s failed (%d times)", entry_id, failures)
            if failures < self.config.bury_after:
                return False
            await self.records.bury(entry_id, fields, type(exc).__name__)
        self._failures.pop(entry_id, None)
        return True
