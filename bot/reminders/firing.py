"""How a reminder job fires: one due entry per (job, planned time), atomically, in bounded
batches on APScheduler's own thread, before the job leaves the store.

`fire` is the job function APScheduler stores by reference (FIRE_REF); the scheduler facade
(bot/reminders/scheduler.py) re-exports it there, so jobs stored under that name still run.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import redis as sync_redis
from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.reminders.jobstore import CompactRedisJobStore
from bot.store.client import scan_slot
from bot.store.keys.reminders import ReminderKeys

log = logging.getLogger("bot.reminders.scheduler")

# The textual reference APScheduler pickles into Redis: renaming `fire` breaks stored jobs.
FIRE_REF = "bot.reminders.scheduler:fire"
# Entries kept in the due stream; the dispatcher acks them long before this matters.
DUE_MAXLEN = 1_000_000

# KEYS: fired guard, due stream. ARGV: guard ttl s, maxlen, job, occurrence, planned.
_FIRE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*',
                    'job', ARGV[3], 'occurrence', ARGV[4], 'planned', ARGV[5])
end
return false
"""


class Firer:
    """What a job does when it runs: one due entry per (job, planned time), atomically.

    The scheduler's jobs call fire_now (blocking, see _InlineExecutor); fire is the same for
    async callers (tests, tools).
    """

    # Async callers may start many fires at once: 1,000 would ask the client's pool
    # (100 connections by default in redis-py 8) for 1,000 connections.
    concurrency = 8
    attempts = 3

    def __init__(
        self, redis: Redis, keys: ReminderKeys, sync_client: sync_redis.Redis | None = None
    ) -> None:
        self._keys = keys
        self._sync = sync_client
        self._script = redis.register_script(_FIRE)
        self._sync_script = None if sync_client is None else sync_client.register_script(_FIRE)
        self._slots = asyncio.Semaphore(self.concurrency)

    def _keys_args(
        self, job_id: str, occurrence: str, planned: str
    ) -> tuple[list[str], list[str | int]]:
        keys = [self._keys.fired(job_id, planned), self._keys.due]
        return keys, [8 * 86400, DUE_MAXLEN, job_id, occurrence, planned]

    async def fire(self, job_id: str, occurrence: str, planned: str) -> bool:
        """True if this call added the entry. Retried on a Redis error (SET NX makes a retry
        safe)."""
        for attempt in range(self.attempts):
            try:
                keys, args = self._keys_args(job_id, occurrence, planned)
                async with self._slots:
                    added = await self._script(keys=keys, args=args)
                return added is not None
            except (RedisError, OSError):
                if attempt + 1 == self.attempts:
                    raise
                await asyncio.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    def fire_now(self, job_id: str, occurrence: str, planned: str) -> bool:
        """fire(), blocking, for the scheduler's thread (the event loop): one round trip.
        Retried on a Redis error: once it returns, APScheduler removes the job, so giving
        up would lose the reminder (the error is logged as "reminder job failed")."""
        if self._sync_script is None:
            raise RuntimeError("this Firer has no synchronous client")
        for attempt in range(self.attempts):
            try:
                keys, args = self._keys_args(job_id, occurrence, planned)
                added = self._sync_script(keys=keys, args=args)
                return added is not None
            except (RedisError, OSError):
                if attempt + 1 == self.attempts:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    def fire_many_now(self, items: Sequence[tuple[str, str, str]]) -> list[bool]:
        """fire_now() for a batch in one pipelined round trip; whether each added its entry.
        Retried whole on a Redis error (the guards make repeats harmless). On a Cluster,
        one call each: redis-py's cluster pipeline refuses scripts (every batch failed, so
        the scheduler fired nothing there)."""
        if self._sync is None or self._sync_script is None:
            raise RuntimeError("this Firer has no synchronous client")
        if isinstance(self._sync, sync_redis.RedisCluster):
            return [self.fire_now(*item) for item in items]
        for attempt in range(self.attempts):
            try:
                with self._sync.pipeline(transaction=False) as pipe:
                    for job_id, occurrence, planned in items:
                        keys, args = self._keys_args(job_id, occurrence, planned)
                        self._sync_script(keys=keys, args=args, client=pipe)
                    return [added is not None for added in pipe.execute()]
            except (RedisError, OSError):
                if attempt + 1 == self.attempts:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")


# Jobs in Redis name a namespace, not an object: each scheduler registers its firer here
# (several per namespace in tests that run two schedulers in one process; any one will do).
_FIRERS: dict[str, list[Firer]] = {}


# While the scheduler thread processes a batch, fire() only collects (see _BatchScheduler).
_BATCH = threading.local()
PendingFire = tuple[Firer, tuple[str, str, str]]


def fire(namespace: str, job_id: str, occurrence: str, planned: str) -> None:
    """The job function: takes only ids and times; reloads everything it needs. Runs inside
    APScheduler's wake-up, on the scheduler's thread: inside a batch it is collected and
    fired with the others before any of them leaves the store; alone it fires at once."""
    firers = _FIRERS.get(namespace)
    if not firers:
        log.error("reminder job ran with no firer registered", extra={"job": job_id})
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
    by_firer: dict[int, tuple[Firer, list[tuple[str, str, str]]]] = {}
    for firer, item in pending:
        by_firer.setdefault(id(firer), (firer, []))[1].append(item)
    for firer, items in by_firer.values():
        for start in range(0, len(items), chunk):
            part = items[start : start + chunk]
            for (job_id, _, _), added in zip(part, firer.fire_many_now(part), strict=True):
                if not added:
                    _log_dup(job_id)


async def delete_matching(redis: Redis, beside: str, pattern: str, batch: int = 500) -> int:
    """UNLINK every key matching a MATCH pattern, all in `beside`'s slot (a SCAN of that
    one node on a cluster: for erasure, not hot paths)."""
    found = [key async for key in scan_slot(redis, beside, pattern, batch)]
    deleted = 0
    for start in range(0, len(found), batch):
        deleted += int(await redis.unlink(*found[start : start + batch]))
    return deleted


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
    (CompactRedisJobStore.defer_removals); then the fires go in pipelines and only then do
    the jobs leave the store. If firing fails, nothing leaves: the next wake-up retries and
    the fired guard keeps one entry per job. The store then reports a next run time in the
    past while due jobs remain, so the next batch follows at once.

    It also survives a store error in the wake-up: another process may remove a job between
    get_due_jobs() and the removal after submit; the JobLookupError would escape and stop
    APScheduler's wake-ups for good without a word. Here it logs and retries shortly.
    """

    retry_s = 1.0

    def __init__(self, store: CompactRedisJobStore, **options: Any) -> None:
        super().__init__(jobstores={"default": store}, **options)
        self._store = store

    def _process_jobs(self) -> float | None:
        fires: list[PendingFire] = []
        _BATCH.fires = fires
        try:
            with self._store.defer_removals() as removed:
                try:
                    wait: float | None = super()._process_jobs()
                except (JobLookupError, RedisError, OSError) as exc:
                    log.warning("scheduler wake-up failed: %s: %s", type(exc).__name__, exc)
                    wait = self.retry_s
        finally:
            _BATCH.fires = None
        try:
            fire_pending(fires)  # before any of them leaves the store
            self._store.remove_jobs(removed)
        except (RedisError, OSError) as exc:
            log.warning("reminder batch not fired: %s: %s", type(exc).__name__, exc)
            return self.retry_s
        return wait
