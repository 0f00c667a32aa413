"""How a scheduled job fires: one due entry per (job, planned time), atomically, in bounded
batches on APScheduler's own thread, before the job leaves the store.

`fire` is the job function APScheduler stores by reference (FIRE_REF). That reference names
bot/reminders/scheduler.py, where the scheduler lived first and which re-exports `fire`: jobs
stored under it (every reminder job in Redis) still run, and a process of the previous
release reads a job this one writes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

from bot.scheduling.jobstore import CompactJobStore
from bot.store.redis_calls import TRANSIENT_ERRORS
from bot.store.reminder_jobs import DueLog, Fire

log = logging.getLogger(__name__)

# The textual reference APScheduler stores with each job: renaming `fire` breaks stored jobs.
FIRE_REF = "bot.reminders.scheduler:fire"


class Firer:
    """What a job does when it runs: one due entry per (job, planned time), atomically (the
    due log's fired guard), retried through a store error (the guard makes a retry safe).

    The scheduler's jobs call fire_now (blocking, see _InlineExecutor); fire is the same for
    async callers (tests, tools).
    """

    # Async callers may start many fires at once: 1,000 would ask the client's pool
    # (100 connections by default in redis-py 8) for 1,000 connections.
    concurrency = 8
    attempts = 3

    def __init__(self, due: DueLog) -> None:
        self.due = due
        self._slots = asyncio.Semaphore(self.concurrency)

    async def fire(self, job_id: str, occurrence: str, planned: str) -> bool:
        """True if this call added the entry."""
        for attempt in range(self.attempts):
            try:
                async with self._slots:
                    return await self.due.fire(job_id, occurrence, planned)
            except TRANSIENT_ERRORS:
                if attempt + 1 == self.attempts:
                    raise
                await asyncio.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    def fire_now(self, job_id: str, occurrence: str, planned: str) -> bool:
        """fire(), blocking, for the scheduler's thread (the event loop): one round trip.
        Retried: once it returns, APScheduler removes the job, so giving up would lose the
        reminder (the error is logged as "reminder job failed")."""
        for attempt in range(self.attempts):
            try:
                return self.due.fire_now(job_id, occurrence, planned)
            except TRANSIENT_ERRORS:
                if attempt + 1 == self.attempts:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    def fire_many_now(self, items: Sequence[Fire]) -> list[bool]:
        """fire_now() for a batch in one round trip; whether each added its entry.
        Retried whole (the guards make repeats harmless)."""
        for attempt in range(self.attempts):
            try:
                return self.due.fire_many_now(items)
            except TRANSIENT_ERRORS:
                if attempt + 1 == self.attempts:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")


# Stored jobs name a namespace, not an object: each scheduler registers a firer per kind of
# timed work here (scheduler.namespace_of; several per namespace in tests that run two
# schedulers in one process; any one will do).
_FIRERS: dict[str, list[Firer]] = {}


# While the scheduler thread processes a batch, fire() only collects (see _BatchScheduler).
_BATCH = threading.local()
PendingFire = tuple[Firer, Fire]


def fire(namespace: str, job_id: str, occurrence: str, planned: str) -> None:
    """The job function: takes only ids and times; reloads everything it needs. Runs inside
    APScheduler's wake-up, on the scheduler's thread: inside a batch it is collected and
    fired with the others before any of them leaves the store; alone it fires at once."""
    firers = _FIRERS.get(namespace)
    if not firers:
        log.error("scheduled job ran with no firer registered", extra={"job": job_id})
        return
    pending: list[PendingFire] | None = getattr(_BATCH, "fires", None)
    if pending is not None:
        pending.append((firers[-1], (job_id, occurrence, planned)))
        return
    if not firers[-1].fire_now(job_id, occurrence, planned):
        _log_dup(job_id)


def _log_dup(job_id: str) -> None:
    log.info("reminder already fired", extra={"event": "reminder_dup_fire", "job": job_id})


def fire_pending(pending: Sequence[PendingFire], chunk: int = 1000) -> None:
    """Fire what a batch collected: one pipeline per firer and chunk."""
    by_firer: dict[int, tuple[Firer, list[Fire]]] = {}
    for firer, item in pending:
        by_firer.setdefault(id(firer), (firer, []))[1].append(item)
    for firer, items in by_firer.values():
        for start in range(0, len(items), chunk):
            part = items[start : start + chunk]
            for (job_id, _, _), added in zip(part, firer.fire_many_now(part), strict=True):
                if not added:
                    _log_dup(job_id)


class _InlineExecutor(BaseExecutor):  # type: ignore[misc]
    """Runs each job inside submit_job, on the scheduler's thread.

    APScheduler's wake-up submits every due job, then removes it from the store (a date
    job), all of a batch before any of it runs. With the asyncio executor the job then ran
    later as a task, so a leader killed meanwhile lost every job it had removed but not run
    (measured: 5-73 of 1,000 due together, killed 0-30 ms in), and stop() cancelled them.
    Run inline (and, inside a batch, collected and fired before the batch's removals), the
    due entry exists before the job leaves the store: a leader that dies in between leaves
    the job to its successor, whose run meets the fired guard.
    Misfire handling (EVENT_JOB_MISSED past the job's grace) is APScheduler's run_job.
    """

    def submit_job(self, job: Any, run_times: list[datetime]) -> None:
        for event in run_job(job, job._jobstore_alias, run_times, self._logger.name):
            self._scheduler._dispatch_event(event)

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        raise NotImplementedError("submit_job runs the job itself")


class _BatchScheduler(BackgroundScheduler):  # type: ignore[misc]
    """APScheduler in its own thread, one bounded batch of due jobs per wake-up.

    The web app's event loop never waits for it: the store's client is synchronous and
    runs here. Each wake-up is APScheduler's own _process_jobs over at most the store's
    batch_size jobs, with the jobs' fires collected (fire()) and their removals deferred
    (CompactJobStore.defer_removals); then the fires go in pipelines and only then do
    the jobs leave the store. If firing fails, nothing leaves: the next wake-up retries and
    the fired guard keeps one entry per job. The store then reports a next run time in the
    past while due jobs remain, so the next batch follows at once.

    It also survives a store error in the wake-up: another process may remove a job between
    get_due_jobs() and the removal after submit; the JobLookupError would escape and stop
    APScheduler's wake-ups for good without a word. Here it logs and retries shortly.
    """

    retry_s = 1.0

    def __init__(self, store: CompactJobStore, **options: Any) -> None:
        super().__init__(jobstores={"default": store}, **options)
        self._store = store

    def _process_jobs(self) -> float | None:
        fires: list[PendingFire] = []
        _BATCH.fires = fires
        try:
            with self._store.defer_removals() as removed:
                try:
                    wait: float | None = super()._process_jobs()
                except (JobLookupError, *TRANSIENT_ERRORS) as exc:
                    log.warning("scheduler wake-up failed: %s: %s", type(exc).__name__, exc)
                    wait = self.retry_s
        finally:
            _BATCH.fires = None
        try:
            fire_pending(fires)  # before any of them leaves the store
            self._store.remove_jobs(removed)
        except TRANSIENT_ERRORS as exc:
            log.warning("reminder batch not fired: %s: %s", type(exc).__name__, exc)
            return self.retry_s
        return wait
