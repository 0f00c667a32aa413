"""When care-team jobs go: on the one scheduler (bot/scheduling/), kind `careteam`.

A job's try is a due entry in the `{rem}:due:careteam` stream carrying a planned time; the
job keeps the planned time of its current schedule as its due token (store: Job.due). A try
due now fires straight into the stream (behind the scheduler's fired guard, one entry per
job and planned time); a later one is a scheduler job `careteam:<contact>|<webhook-id>` with
no grace, which fires the same entry when its time comes. Every process reads the stream
through one consumer group, which gives each entry to one of them; an entry a process left
unacknowledged for `lease_s` (it died mid-post) is taken over by another, as the lease of the
old schedule (`careteam:due`) did.

Exactly once: the token is written before the entry can exist (create, unpark, retry: token
first, then the fire or the scheduler job), and the sender acknowledges an entry only after
the job is finished or its next token written. The sender drops an entry whose planned time
is not the job's token, or whose job is not pending, after planning the token again (a
worker that died between writing a retry's token and scheduling it left it unplanned; the
fired guard and the job id make planning twice harmless).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bot.careteam.delivery.base import Clock
from bot.scheduling.firing import Firer
from bot.scheduling.jobstore import from_micros, to_micros
from bot.scheduling.scheduler import JobSpec, Scheduler
from bot.store.care_records import CareRecordStore, Job, due_token, token_ms
from bot.store.keys.reminders import ReminderKeys
from bot.store.reminder_jobs import DueLog
from bot.store.streams import StreamGroup

log = logging.getLogger("bot.careteam.delivery")

KIND = "careteam"
GROUP = "careteam"


def job_id(contact: str, wid: str) -> str:
    return f"{KIND}:{contact}|{wid}"


@dataclass(frozen=True, slots=True)
class Due:
    """One due entry: which job, and the planned time it was fired for (as a due token)."""

    entry_id: str
    contact: str
    wid: str
    token: str


def _token_of(planned: str) -> str:
    """The due token of a planned time an entry carries (isoformat); "" if unreadable."""
    try:
        return str(to_micros(datetime.fromisoformat(planned)))
    except ValueError:
        return ""


def _due(entry_id: str, fields: Mapping[bytes, bytes] | None) -> Due | None:
    if fields is None:
        return None
    name = fields.get(b"job", b"").decode()
    kind, _, member = name.partition(":")
    contact, _, wid = member.partition("|")
    if kind != KIND or not wid:
        return None
    return Due(entry_id, contact, wid, _token_of(fields.get(b"planned", b"").decode()))


class DueStreams(Protocol):
    """Where the scheduler's kinds fire and how their streams are read (RedisReminderStorage)."""

    @property
    def keys(self) -> ReminderKeys: ...

    def due_log(self, kind: str) -> DueLog: ...

    def group(self, stream: str, group: str, consumer: str, batch: int = 100) -> StreamGroup: ...


@dataclass(frozen=True, slots=True)
class TimedWork:
    """The one scheduler with the care-team kind registered on it: what app.py hands the
    care team (register before the scheduler starts, or a leader fires a due care-team job
    with no firer for it)."""

    scheduler: Scheduler
    streams: DueStreams
    due: DueLog
    firer: Firer

    @classmethod
    def on(cls, scheduler: Scheduler, streams: DueStreams) -> TimedWork:
        due = streams.due_log(KIND)
        return cls(scheduler, streams, due, scheduler.register(KIND, due))


class DeliveryTimer:
    """Plans care-team jobs' tries on the scheduler and reads them when due."""

    def __init__(
        self,
        timed: TimedWork,
        store: CareRecordStore,
        *,
        consumer: str,
        batch: int,
        clock: Clock,
        lease_s: float,
    ) -> None:
        self.scheduler = timed.scheduler
        self.due = timed.due
        self.store = store
        stream = timed.streams.keys.due_of(KIND)
        self.group = timed.streams.group(stream, GROUP, consumer, batch)
        self._firer = timed.firer
        self._clock = clock
        self._lease_ms = int(lease_s * 1000)
        self._own_read = False
        self._prepared = False

    async def prepare(self) -> None:
        """Create the consumer group (from the stream's start); take() does it if needed."""
        await self.group.ensure_group()
        self._prepared = True

    async def plan(self, contact: str, wid: str, due_ms: float) -> None:
        """Make sure the try planned at `due_ms` (the job's token) comes: fired now if due,
        else a scheduler job. Idempotent (fired guard, deterministic job id)."""
        at = from_micros(int(due_token(due_ms)))
        # Due within the millisecond (a token just after the old one, after_token): now.
        if due_ms < self._clock() * 1000 + 1:
            planned = at.isoformat()  # as the scheduler's job would write it
            await self._firer.fire(job_id(contact, wid), planned, planned)
            return
        await self.scheduler.schedule(JobSpec(job_id(contact, wid), at, at, None), kind=KIND)

    async def plan_token(self, job: Job) -> None:
        """Plan a pending job's current token again (see the module docstring)."""
        if job.status == "pending" and job.due:
            await self.plan(job.contact, job.webhook_id, token_ms(job.due))

    async def take(self) -> list[Due]:
        """Entries to work on: taken over from a process gone quiet for the lease (or our
        own, left by a transient error), then, once after start, our own left pending, then
        new ones. At most a batch of each."""
        if not self._prepared:
            await self.prepare()
        entries = await self.group.claim_idle(self._lease_ms)
        if not self._own_read:
            entries += await self.group.read_pending()
            self._own_read = True
        if len(entries) < self.group.batch:
            entries += await self.group.read_new()
        found, skipped = [], []
        for entry_id, fields in entries:
            due = _due(entry_id, fields)
            if due is None:
                skipped.append(entry_id)
            else:
                found.append(due)
        await self.done(skipped)
        if found and not await self.group.confirm([d.entry_id for d in found]):
            # A failover now could hand them to another process too: left pending, they
            # are taken over after the lease (by whichever process, this one included).
            log.warning("care-team tries taken but not on a replica in time; left pending")
            return []
        return found

    async def done(self, entry_ids: Iterable[str]) -> None:
        """Acknowledge entries whose job is finished or planned again; they leave the stream."""
        await self.group.ack(entry_ids, trim_for=(GROUP,))

    async def run_due(self) -> int:
        """Fire what the scheduler holds due at this clock's time (tests, drain(), where the
        clock is not the machine's); the leader's scheduler does it on its own."""
        return await self.scheduler.run_due(datetime.fromtimestamp(self._clock(), UTC))

    async def forget(self, contact: str) -> int:
        """Erasure: the contact's scheduled tries, due entries and fired guards."""
        return await self.due.forget_jobs(job_id(contact, ""))

    async def backlog(self) -> int:
        """Tries due and not yet done (entries in the stream)."""
        return await self.due.backlog()

    async def create(self, job: Job, due_ms: float) -> bool:
        """Create a job (CareRecordStore.create_job) and plan its first try; a repeat plans
        the kept job's token again, so a crash between the two is made good by the outbox
        entry that comes round again. True when the job is new or revived."""
        token = await self.store.create_job(job, due_ms)
        if token:
            await self.plan(job.contact, job.webhook_id, token_ms(token))
            return True
        kept = await self.store.load_job(job.contact, job.webhook_id)
        if kept is not None:
            await self.plan_token(kept)
        return False

    async def upgrade(self, page: int = 1000) -> int:
        """Move the schedule of the previous release (`careteam:due`) onto the scheduler:
        each job's token set at its time, planned, then its member removed. Idempotent
        (every start runs it); returns how many moved."""
        moved, store = 0, self.store
        while batch := await store.legacy_due(page):
            for contact, wid, due_ms in batch:
                job = await store.load_job(contact, wid)
                if job is not None and job.status == "pending":
                    await store.set_due(job, due_ms)
                    await self.plan(contact, wid, due_ms)
                await store.drop_legacy_due(contact, wid)
                moved += 1
        if moved:
            log.info("care-team schedule moved onto the scheduler", extra={"jobs": moved})
        return moved
