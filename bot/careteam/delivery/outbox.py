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
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from datetime import timedelta

from bot.careteam.delivery.base import TRANSIENT, DeliveryConfig
from bot.careteam.records import CareRecords
from bot.errors import DecryptionError
from bot.store.care_records import CareCoordination
from bot.store.crypto import Cipher
from bot.store.lease import Held
from bot.store.outbox import OutboxEntry, open_entry

log = logging.getLogger("bot.careteam.delivery")

# Giving the outbox lease back on shutdown may wait this long, no more.
RESIGN_TIMEOUT_S = 1.0

Apply = Callable[[OutboxEntry], Awaitable[None]]


class OutboxReader:
    """Reads and acknowledges outbox entries for one consumer of the care-team group."""

    def __init__(
        self,
        *,
        records: CareRecords,
        coordination: CareCoordination,
        cipher: Cipher,
        stream: str,
        config: DeliveryConfig,
    ) -> None:
        self.records = records
        self.config = config
        self._cipher = cipher
        self._stream = stream
        # One reader at a time, so a contact's events are applied in the order written.
        self._lease = coordination.leader_lease(
            timedelta(milliseconds=config.leader_ttl_ms), config.consumer
        )
        self._group = coordination.outbox_group(stream, config.group, config.consumer, config.batch)
        self.leading = False
        self._prepared = False
        self._failures: dict[str, int] = {}

    async def prepare(self) -> None:
        """Create the consumer group (from the stream's start: earlier events count too)."""
        await self._group.ensure_group()
        self._prepared = True

    async def resign(self) -> None:
        """Give the lease back so a restarted worker need not wait it out.

        Bounded: this runs while the task is being cancelled, and a command interrupted
        mid-read can leave it waiting. If Redis is away the lease simply expires.
        """
        if not self.leading:
            return
        with suppress(*TRANSIENT, TimeoutError):
            await asyncio.wait_for(self._lease.release(), RESIGN_TIMEOUT_S)
        self.leading = False

    async def consume(self, apply: Apply) -> int:
        """Apply outbox entries in order, if this process holds the reader's lease.

        Returns how many were done with; 0 when an entry must wait, so the loop backs off
        instead of spinning on it.
        """
        if not self._prepared:
            await self.prepare()
        held = await self._lease.hold()
        if held is Held.BY_ANOTHER:
            self.leading = False
            return 0
        if held is Held.NEWLY or not self.leading:
            # Take over what a previous reader left unacknowledged (it lost or gave up the lease).
            await self._group.claim_idle(0, every_page=True)
        self.leading = True
        # Our own pending entries first (retries, or taken over from a dead reader), in order.
        entries = await self._group.read_pending() or await self._group.read_new()
        done: list[str] = []
        try:
            for entry_id, fields in entries:
                if not fields:
                    log.error("outbox entry %s was trimmed before delivery; it is lost", entry_id)
                elif not await self._apply_raw(entry_id, fields, apply):
                    break
                done.append(entry_id)
        finally:
            # What every consumer group is done with leaves the stream now.
            await self._group.ack(done, trim_for=self.config.outbox_groups)
        return len(done)

    async def _apply_raw(self, entry_id: str, fields: Mapping[bytes, bytes], apply: Apply) -> bool:
        """True when the entry is done with (applied, or unusable); False to retry it later."""
        try:
            entry = open_entry(self._cipher, self._stream, entry_id, fields)
        except (DecryptionError, ValueError, KeyError, TypeError) as exc:
            # Not retryable: a sealed value that does not open will not open next time.
            log.error("outbox entry %s cannot be read: %s", entry_id, type(exc).__name__)
            await self.records.store.bury(entry_id, fields, type(exc).__name__)
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
            await self.records.store.bury(entry_id, fields, type(exc).__name__)
        self._failures.pop(entry_id, None)
        return True
