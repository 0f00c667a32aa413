"""The one scheduler for timed work: APScheduler behind a small facade, paused everywhere,
one leader by Redis lease, tiny jobs that only append to a due stream.

Why 3.11 and this shape (measured, ../shared/tech-notes.md): 4.0 is an alpha without a Redis
store that ran jobs twice with two schedulers; several 3.11 schedulers must not process one
store. So every process starts its scheduler paused (it can still add, replace and remove
jobs), a lease in Redis elects one leader that resumes, and the leader calls wakeup() on
each renewal to see jobs other processes added. A job only appends a "due" entry to a
stream behind a SET NX key, before APScheduler's removal of it takes effect (_BatchScheduler):
a leader dying in between leaves the job to its successor, and a job both ran leaves one
entry. What a due entry means is its consumer's business (reminders: bot/reminders/
dispatcher.py, which runs in the leader only: so only processes that dispatch may contend
for the lease, start(contend=False) for the others).

The job store is ours (bot/scheduling/jobstore.py: compact records, bulk writes, bounded due
batches, kept in a JobTable of bot/store/) and APScheduler runs in its own thread
(BackgroundScheduler) over a synchronous table: 3.11's RedisJobStore under AsyncIOScheduler
took 35 s to add 100,000 jobs and held the event loop for 4 s while 10,000 fell due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent

from bot.scheduling.firing import _FIRERS, FIRE_REF, Firer, _BatchScheduler, _InlineExecutor
from bot.scheduling.jobstore import CompactJobStore, DateRecord
from bot.scheduling.loops import finish
from bot.store.redis_calls import TRANSIENT_ERRORS
from bot.store.reminder_jobs import DueLog, Fire, SchedulerStorage

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One job: its deterministic id, when it runs, what it is about (a reminder's
    occurrence) and how late it may still run."""

    job_id: str
    send_at: datetime
    occurrence: datetime
    grace: timedelta | None  # None: however late (a job that must not be dropped)


# The first kind of timed work (reminders) fires under the bare namespace, as every job
# stored before kinds existed does; another kind under "<namespace>#<kind>".
DEFAULT_KIND = ""


def namespace_of(prefix: str, kind: str) -> str:
    return f"{prefix}#{kind}" if kind else prefix


LeaderHook = Callable[[], Awaitable[None]]
MissedHook = Callable[[str], Coroutine[Any, Any, None]]


class Scheduler:
    """The facade: schedule / cancel by deterministic id from any process; run in one."""

    def __init__(
        self,
        storage: SchedulerStorage,
        *,
        lease_ttl: timedelta = timedelta(seconds=10),
        renew_every: timedelta = timedelta(seconds=2),
        on_elected: LeaderHook | None = None,
        on_demoted: LeaderHook | None = None,
        on_missed: MissedHook | None = None,
        batch_size: int = 100,
    ) -> None:
        if renew_every * 2 >= lease_ttl:
            raise ValueError("renew at least twice per lease ttl")
        self.keys = storage.keys
        self.due = storage.due
        self._store = CompactJobStore(storage.jobs, batch_size=batch_size)
        self._scheduler = _BatchScheduler(
            self._store,
            executors={"default": _InlineExecutor()},
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        self._scheduler.add_listener(self._on_job_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        self.lease = storage.lease(lease_ttl)
        self.firer = Firer(storage.due)
        self._firers: dict[str, Firer] = {DEFAULT_KIND: self.firer}
        self._contending = False
        self._renew_s = renew_every.total_seconds()
        self._lease_ttl_s = lease_ttl.total_seconds()
        # Public: wiring sets them once the parts they call exist.
        self.on_elected = on_elected
        self.on_demoted = on_demoted
        self.on_missed = on_missed
        self._leader = False
        self._task: asyncio.Task[None] | None = None
        self._held_until = 0.0
        self._background: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def store(self) -> CompactJobStore:
        return self._store

    @property
    def is_leader(self) -> bool:
        return self._leader

    # ---- life cycle --------------------------------------------------------------------

    async def start(self, *, contend: bool = True) -> None:
        """Start paused, then contend for the lease in the background.

        contend=False: only add, replace and remove jobs; never lead. For a process that does
        not dispatch (a script, a job writer): as leader it would fire every due job into the
        stream while no one sends them, and keep the lease from a process that would.
        """
        self._loop = asyncio.get_running_loop()
        self._scheduler.start(paused=True)
        if not contend:
            return
        self._contending = True
        for kind, firer in self._firers.items():
            _FIRERS.setdefault(namespace_of(self.keys.prefix, kind), []).append(firer)
        await self.elect_once()
        self._task = asyncio.create_task(self._lease_loop(), name="reminders-lease")

    async def stop(self) -> None:
        if self._task is not None:
            self._stopping = True
            await finish(self._task)
            self._task = None
        if self._leader:
            await self._demote()
            with contextlib.suppress(*TRANSIENT_ERRORS):  # else the lease simply expires
                await self.lease.release()
        for kind, firer in self._firers.items():
            registered = _FIRERS.get(namespace_of(self.keys.prefix, kind), [])
            if firer in registered:
                registered.remove(firer)
        self._contending = False
        if self._scheduler.running:
            # Joins the scheduler's thread: at most one batch's wait, off the loop.
            await asyncio.to_thread(self._scheduler.shutdown, False)
        await asyncio.gather(*self._background, return_exceptions=True)

    async def elect_once(self) -> None:
        """One round of the lease loop: renew (and wake up) as leader, else try to lead."""
        loop = asyncio.get_running_loop()
        try:
            if self._leader:
                if await self.lease.renew():
                    self._held_until = loop.time() + self._lease_ttl_s
                    # Jobs added by other processes are only seen on a wake-up.
                    self._scheduler.wakeup()
                else:
                    log.warning("reminder lease lost", extra={"event": "reminders_demoted"})
                    await self._demote()
            if not self._leader and await self.lease.acquire():
                self._held_until = loop.time() + self._lease_ttl_s
                await self._elect()
        except TRANSIENT_ERRORS as exc:
            log.warning("reminder lease round failed: %s", type(exc).__name__)
            # Unconfirmed for too long: another process may hold it now. Step down first.
            if self._leader and loop.time() >= self._held_until - self._renew_s:
                await self._demote()

    async def _lease_loop(self) -> None:
        self._stopping = False
        while not self._stopping:
            await asyncio.sleep(self._renew_s)
            await self.elect_once()

    async def _elect(self) -> None:
        self._leader = True
        log.info("reminder scheduler leads", extra={"event": "reminders_elected"})
        self._scheduler.resume()
        if self.on_elected is not None:
            await self.on_elected()

    async def _demote(self) -> None:
        self._leader = False
        if self._scheduler.running:
            self._scheduler.pause()
        if self.on_demoted is not None:
            await self.on_demoted()

    # ---- kinds of timed work ------------------------------------------------------------

    def register(self, kind: str, due: DueLog) -> Firer:
        """Another kind of timed work: its jobs (schedule(spec, kind=kind)) fire into `due`,
        a stream of its own that its own consumer reads. Before or after start()."""
        if not kind or "#" in kind or kind in self._firers:
            raise ValueError(f"kind {kind!r} is empty, holds '#' or is registered already")
        firer = self._firers[kind] = Firer(due)
        if self._contending:
            _FIRERS.setdefault(namespace_of(self.keys.prefix, kind), []).append(firer)
        return firer

    # ---- jobs --------------------------------------------------------------------------

    async def schedule(self, spec: JobSpec, *, kind: str = DEFAULT_KIND) -> None:
        await self.schedule_many([spec], kind=kind)

    async def schedule_many(self, specs: Sequence[JobSpec], *, kind: str = DEFAULT_KIND) -> None:
        """Add or replace jobs of one kind, in bulk. The store's client is synchronous: off
        the loop."""
        if kind not in self._firers:
            raise ValueError(f"no kind {kind!r} registered")
        if specs:
            await asyncio.to_thread(self._add_all, list(specs), kind)

    def _add_all(self, specs: list[JobSpec], kind: str) -> None:
        prefix = namespace_of(self.keys.prefix, kind)
        records = []
        for spec in specs:
            send_at = spec.send_at.astimezone(UTC)
            records.append(
                DateRecord(
                    spec.job_id,
                    FIRE_REF,
                    (
                        prefix,
                        spec.job_id,
                        spec.occurrence.astimezone(UTC).isoformat(),
                        send_at.isoformat(),
                    ),
                    send_at,
                    None if spec.grace is None else max(1, int(spec.grace.total_seconds())),
                )
            )
        self._store.put_records(records)
        if self._leader:
            self._scheduler.wakeup()  # one may be due before the scheduler's next wake-up

    async def cancel(self, job_ids: Sequence[str]) -> int:
        """Remove jobs that exist; missing ones (already run, never added) are fine."""
        if not job_ids:
            return 0
        return await asyncio.to_thread(self._store.remove_jobs, list(job_ids))

    async def forget(self, contact: str) -> int:
        """Remove everything program-wide that names the contact: its jobs, its due entries
        and its fired and sent guards (the due log's forget). Idempotent; for erasure only.
        Returns how many entries went."""
        return await self.due.forget(contact)

    async def planned(self, job_id: str) -> datetime | None:
        """When a job will run, or None if there is no such job."""
        job: Any = await asyncio.to_thread(self._store.lookup_job, job_id)
        return None if job is None else job.next_run_time

    # ---- firing at an injected time ------------------------------------------------------

    async def run_due(self, now: datetime) -> int:
        """Fire every job due at `now` (an injected time, not the machine's) into its kind's
        due stream, then remove it from the store, as a leader's wake-up does; a job past its
        grace is dropped as missed. For a fake clock (tests, drain()), where APScheduler,
        which reads the wall clock, would fire a whole schedule set in the real past at once.
        Returns how many entries this call appended (a job fired before meets its guard)."""
        fired = 0
        self._loop = self._loop or asyncio.get_running_loop()  # for on_missed
        while True:
            batch = await asyncio.to_thread(self._run_batch, now.astimezone(UTC))
            if batch is None:
                return fired
            fired += batch

    def _run_batch(self, now: datetime) -> int | None:
        """One batch of run_due, on a thread (the table is synchronous); None: nothing due."""
        jobs = self._store.get_due_jobs(now)
        if not jobs:
            return None
        by_firer: dict[int, tuple[Firer, list[Fire]]] = {}
        for job in jobs:
            namespace, job_id, occurrence, planned = job.args
            firer = self._firer_of(namespace)
            grace = job.misfire_grace_time
            if firer is None:
                log.error("due job of no kind registered", extra={"job": job_id})
            elif grace is not None and now - job.next_run_time > timedelta(seconds=grace):
                log.warning(
                    "reminder dropped: missed its grace period",
                    extra={"event": "reminder_missed", "job": job_id, "planned": planned},
                )
                if self.on_missed is not None and self._loop is not None:
                    self._loop.call_soon_threadsafe(self._missed_task, job_id)
            else:
                by_firer.setdefault(id(firer), (firer, []))[1].append((job_id, occurrence, planned))
        added = sum(
            sum(firer.fire_many_now(items)) for firer, items in by_firer.values()
        )  # before any of them leaves the store: a crash here leaves them to the next run
        self._store.remove_jobs([job.id for job in jobs])
        return added

    def _firer_of(self, namespace: str) -> Firer | None:
        for kind, firer in self._firers.items():
            if namespace_of(self.keys.prefix, kind) == namespace:
                return firer
        return None

    def _missed_task(self, job_id: str) -> None:
        if self.on_missed is None:
            return
        task = asyncio.get_running_loop().create_task(self.on_missed(job_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _on_job_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            # The one log line a dropped reminder gets; ids only, never a phone or a kind.
            log.warning(
                "reminder dropped: missed its grace period",
                extra={
                    "event": "reminder_missed",
                    "job": event.job_id,
                    "planned": event.scheduled_run_time.isoformat(),
                },
            )
            if self.on_missed is not None and self._loop is not None:
                # Called on the scheduler's thread: the hook runs on the app's loop.
                self._loop.call_soon_threadsafe(self._missed_task, event.job_id)
        else:
            log.error(
                "reminder job failed",
                extra={"event": "reminder_job_error", "job": event.job_id},
                exc_info=event.exception,
            )
