"""APScheduler behind a small facade: paused everywhere, one leader by Redis lease, tiny jobs.

Why 3.11 and this shape (measured, ../shared/tech-notes.md): 4.0 is an alpha without a Redis
store that ran jobs twice with two schedulers; several 3.11 schedulers must not process one
store. So every process starts its scheduler paused (it can still add, replace and remove
jobs), a lease in Redis elects one leader that resumes, and the leader calls wakeup() on
each renewal to see jobs other processes added. A job only appends a "due" entry to a
stream behind a SET NX key, before APScheduler's removal of it takes effect (_BatchScheduler):
a leader dying in between leaves the job to its successor, and a job both ran leaves one
entry. Sending is the dispatcher's work (bot/reminders/dispatcher.py), which runs in the
leader only: so only processes that dispatch may contend for the lease (start(contend=False)
for the others).

The job store is ours (bot/reminders/jobstore.py: compact records, bulk writes, bounded due
batches) and APScheduler runs in its own thread (BackgroundScheduler) with a synchronous
client: 3.11's RedisJobStore under AsyncIOScheduler took 35 s to add 100,000 jobs and held
the event loop for 4 s while 10,000 fell due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import redis as sync_redis
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.reminders.jobstore import CompactRedisJobStore, DateRecord
from bot.reminders.loops import finish
from bot.store.client import scan_slot
from bot.store.keys.reminders import ReminderKeys, job_prefix
from bot.store.lease import Lease

log = logging.getLogger(__name__)

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
        Retried whole on a Redis error (the guards make repeats harmless)."""
        if self._sync is None or self._sync_script is None:
            raise RuntimeError("this Firer has no synchronous client")
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


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


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


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One reminder job: its deterministic id, when it runs and what it is about."""

    job_id: str
    send_at: datetime
    occurrence: datetime
    grace: timedelta


LeaderHook = Callable[[], Awaitable[None]]
MissedHook = Callable[[str], Coroutine[Any, Any, None]]


class ReminderScheduler:
    """The facade: schedule / cancel by deterministic id from any process; run in one."""

    def __init__(
        self,
        *,
        redis: Redis,
        sync_client: sync_redis.Redis,
        keys: ReminderKeys,
        lease_ttl: timedelta = timedelta(seconds=10),
        renew_every: timedelta = timedelta(seconds=2),
        on_elected: LeaderHook | None = None,
        on_demoted: LeaderHook | None = None,
        on_missed: MissedHook | None = None,
        batch_size: int = 100,
    ) -> None:
        if renew_every * 2 >= lease_ttl:
            raise ValueError("renew at least twice per lease ttl")
        self.keys = keys
        self._redis = redis
        self._store = CompactRedisJobStore(
            sync_client, jobs_key=keys.jobs, run_times_key=keys.run_times, batch_size=batch_size
        )
        self._scheduler = _BatchScheduler(
            self._store,
            executors={"default": _InlineExecutor()},
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        self._scheduler.add_listener(self._on_job_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        self.lease = Lease(redis, keys.leader, lease_ttl)
        self._firer = Firer(redis, keys, sync_client)
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
    def store(self) -> CompactRedisJobStore:
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
        _FIRERS.setdefault(self.keys.prefix, []).append(self._firer)
        await self.elect_once()
        self._task = asyncio.create_task(self._lease_loop(), name="reminders-lease")

    async def stop(self) -> None:
        if self._task is not None:
            self._stopping = True
            await finish(self._task)
            self._task = None
        if self._leader:
            await self._demote()
            with contextlib.suppress(RedisError, OSError):  # else the lease simply expires
                await self.lease.release()
        registered = _FIRERS.get(self.keys.prefix, [])
        if self._firer in registered:
            registered.remove(self._firer)
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
        except (RedisError, OSError) as exc:
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

    # ---- jobs --------------------------------------------------------------------------

    async def schedule(self, spec: JobSpec) -> None:
        await self.schedule_many([spec])

    async def schedule_many(self, specs: Sequence[JobSpec]) -> None:
        """Add or replace jobs, in bulk. The store's client is synchronous: off the loop."""
        if specs:
            await asyncio.to_thread(self._add_all, list(specs))

    def _add_all(self, specs: list[JobSpec]) -> None:
        prefix = self.keys.prefix
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
                    max(1, int(spec.grace.total_seconds())),
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
        """Remove everything program-wide that names the contact: its jobs (jobs hash and
        run_times), its due entries and its fired and sent guards. Idempotent; a SCAN of
        each structure, for erasure only. Returns how many entries went."""
        match = self.keys.job_match(contact)
        jobs = {_text(f) async for f in self._redis.hscan_iter(self.keys.jobs, match=match)}
        async for member, _ in self._redis.zscan_iter(self.keys.run_times, match=match):
            jobs.add(_text(member))
        removed = 0
        if jobs:
            # What CompactRedisJobStore.remove_jobs does, in the same MULTI; the leader's
            # scheduler keeps no copy (it reads the store on each wake-up).
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hdel(self.keys.jobs, *jobs)
                pipe.zrem(self.keys.run_times, *jobs)
                removed, _ = await pipe.execute()
        removed += await self._forget_due(job_prefix(contact))
        for pattern in self.keys.guards_match(contact):
            removed += await delete_matching(self._redis, self.keys.due, pattern)
        return removed

    async def _forget_due(self, prefix: str, batch: int = 1000) -> int:
        """XDEL the contact's entries from the due stream (its consumers' pending lists drop
        deleted entries on their next XAUTOCLAIM)."""
        removed, start = 0, "-"
        while True:
            entries = cast(
                list[Any], await self._redis.xrange(self.keys.due, min=start, max="+", count=batch)
            )
            mine = [i for i, f in entries if _text(f.get(b"job", b"")).startswith(prefix)]
            if mine:
                removed += int(await self._redis.xdel(self.keys.due, *mine))
            if len(entries) < batch:
                return removed
            start = "(" + _text(entries[-1][0])

    async def planned(self, job_id: str) -> datetime | None:
        """When a job will run, or None if there is no such job."""
        job: Any = await asyncio.to_thread(self._store.lookup_job, job_id)
        return None if job is None else job.next_run_time

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
