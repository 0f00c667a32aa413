"""DELETE MY DATA, confirmed twice: tell the receivers, cancel what was queued, erase, log the fact.

Driven by the delivery worker's outbox reader when it meets ErasureRequested, in this order,
each step safe to run again if the worker dies midway (the entry is then read again):

1. Every endpoint that ever received or read something of the plan (its audit log says
   which) gets a `plan.deleted` notice: `{"type", "plan_id", "deleted_at"}`, nothing else.
   The notices live under `{erased}`, not under the contact, so they outlive step 4; they
   are due `notice_delay_s` later, so a post already in flight lands before its notice.
2. The contact's queued and parked deliveries leave the program-wide schedule (the
   scheduler's jobs, due entries and fired guards, and the parked list), and the outbox
   entries set aside for a person to look at (careteam:dead) go.
3. `forget(contact)` lets other parts drop their program-wide traces (reminders' jobs).
4. `store.erase_contact` deletes every key with the contact's hash tag: session, plan,
   consent, audit, snapshots, jobs, reminders' per-contact keys.
5. careteam:erasures records the fact (time, keys deleted, notices sent), never whose.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from bot.careteam.directory import DELETED_EVENT, Directory, Endpoint
from bot.careteam.entries import Job
from bot.careteam.payload import plan_id_of, webhook_id
from bot.careteam.records import CareRecords
from bot.store.base import ConversationStore
from bot.store.care_records import ERASED

log = logging.getLogger(__name__)

# Audit actions that mean an endpoint holds something of the plan.
_RECEIVED = frozenset({"deliver", "read"})

Forget = Callable[[str], Awaitable[None]]
Clock = Callable[[], float]


class Schedule(Protocol):
    """When jobs go (bot/careteam/delivery/timer.py's DeliveryTimer)."""

    async def create(self, job: Job, due_ms: float) -> bool: ...

    async def forget(self, contact: str) -> int: ...


async def forget_nothing(contact: str) -> None:
    """The default `forget`: nothing outside the contact's own keys to clean up."""


class Eraser:
    """Erases one contact everywhere the care-team side knows of (see the module docstring)."""

    def __init__(
        self,
        *,
        store: ConversationStore,
        records: CareRecords,
        directory: Directory,
        clock: Clock,
        notice_delay_s: float,
        timer: Schedule,
        forget: Forget = forget_nothing,
    ) -> None:
        self._store = store
        self._records = records
        self._directory = directory
        self._clock = clock
        self._delay_s = notice_delay_s
        self._forget = forget
        self._timer = timer

    async def recipients(self, contact: str) -> list[Endpoint]:
        """Endpoints the audit log shows were sent (or read) something of this plan."""
        seen = {a.actor for a in await self._records.audit_log(contact) if a.action in _RECEIVED}
        return [e for e in self._directory.endpoints if e.id in seen]

    async def erase(self, contact: str, entry_id: str) -> int:
        """Run the five steps for one ErasureRequested entry; returns how many keys went."""
        now = self._clock()
        recipients = await self.recipients(contact)
        deleted_at = datetime.fromtimestamp(now, UTC).isoformat()
        for endpoint in recipients:
            # From the entry, not the contact: nothing left behind links the notice to a phone.
            wid = webhook_id(entry_id, DELETED_EVENT, endpoint.id)
            body = {"type": DELETED_EVENT, "plan_id": plan_id_of(contact), "deleted_at": deleted_at}
            job = Job(wid, ERASED, DELETED_EVENT, endpoint.id, now, body=body)
            await self._timer.create(job, (now + self._delay_s) * 1000)
        cancelled = await self._timer.forget(contact)
        cancelled += await self._records.store.cancel_jobs(contact)
        cancelled += await self._records.store.purge_dead(contact)
        await self._forget(contact)
        keys = await self._store.erase_contact(contact)
        # The outbox still holds the parent's sealed events until it is trimmed: not after this.
        await self._store.erase_outbox(contact, entry_id)
        await self._records.store.log_erasure(
            datetime.fromtimestamp(now, UTC), keys, len(recipients)
        )
        log.info(
            "plan erased",
            extra={"event": "erasure", "keys": keys, "notified": len(recipients)},
        )
        log.debug("erasure cancelled %d queued deliveries and set-aside entries", cancelled)
        return keys
