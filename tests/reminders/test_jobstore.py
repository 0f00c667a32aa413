"""The reminders' APScheduler job store: compact records written in bulk, due jobs in bounded
batches earliest first, removal, persistence across schedulers, records of the old store.
On a fixed clock: get_due_jobs is asked about `NOW`, never about the machine's time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import redis as sync_redis
from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.redis import RedisJobStore
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from redis.asyncio import Redis

from bot.scheduling.firing import FIRE_REF
from bot.scheduling.jobstore import CompactJobStore, DateRecord
from bot.scheduling.scheduler import JobSpec, Scheduler
from bot.store.crypto import Cipher
from bot.store.keys.reminders import ReminderKeys, job_id
from bot.store.reminder_jobs import JobTable
from bot.store.reminder_jobs_memory import MemoryJobTable
from bot.store.reminder_jobs_redis import RedisJobTable
from bot.store.reminder_redis import RedisReminderStorage, sync_client_for
from tests.clock import NOW

pytestmark = pytest.mark.anyio

CONTACT = "{c:" + "ab" * 16 + "}"


@pytest.fixture
async def sync(redis: Redis) -> AsyncIterator[sync_redis.Redis]:
    client = sync_client_for(redis)
    yield client
    client.close()


def make_store(sync: sync_redis.Redis, prefix: str, batch_size: int = 500) -> CompactJobStore:
    return CompactJobStore(RedisJobTable(sync, ReminderKeys(prefix)), batch_size=batch_size)


@pytest.fixture(params=["memory", "redis"])
def table(request: pytest.FixtureRequest, prefix: str) -> JobTable:
    """The job store's table: the memory twin, or Redis (then `sync` cleans up after)."""
    if request.param == "memory":
        return MemoryJobTable()
    return RedisJobTable(request.getfixturevalue("sync"), ReminderKeys(prefix))


def record(n: int, minutes: float) -> DateRecord:
    ident = job_id(CONTACT, f"a{n}", "3h")
    at = NOW + timedelta(minutes=minutes)
    return DateRecord(ident, FIRE_REF, ("ns", ident, at.isoformat(), at.isoformat()), at, 3600)


def ids(jobs: list[Any]) -> list[str]:
    return [job.id for job in jobs]


async def test_bulk_records_read_back_as_jobs_in_run_time_order(table: JobTable) -> None:
    store = CompactJobStore(table, batch_size=500)
    records = [record(n, minutes) for n, minutes in enumerate([30, -5, 10, 0, 45])]
    store.put_records(records)
    # Re-adding replaces (the planner re-syncs): a4 moves from +45 to -10 minutes.
    store.put_records([record(4, -10)])
    assert ids(store.get_all_jobs()) == [records[n].job_id for n in (4, 1, 3, 2, 0)]
    assert store.get_next_run_time() == NOW - timedelta(minutes=10)
    job = store.lookup_job(records[2].job_id)
    assert job is not None
    assert job.func_ref == FIRE_REF
    assert job.func.__name__ == "fire"
    assert job.args == tuple(records[2].args)
    assert job.next_run_time == NOW + timedelta(minutes=10)
    assert isinstance(job.trigger, DateTrigger)
    assert job.trigger.run_date == NOW + timedelta(minutes=10)
    assert (job.misfire_grace_time, job.coalesce, job.max_instances) == (3600, True, 1)
    assert store.lookup_job(job_id(CONTACT, "nothing", "3h")) is None
    # Compact: the record is a small JSON object, not a pickled Job (~560 B).
    assert 0 < len(table.record(records[2].job_id) or b"") < 300


async def test_due_jobs_come_in_bounded_batches_earliest_first(table: JobTable) -> None:
    store = CompactJobStore(table, batch_size=3)
    due = [record(n, -n) for n in range(7)]  # a6 is the earliest
    future = [record(10 + n, 1 + n) for n in range(2)]
    store.put_records(due + future)
    seen: list[str] = []
    while batch := store.get_due_jobs(NOW):
        assert len(batch) <= 3
        assert [j.next_run_time for j in batch] == sorted(j.next_run_time for j in batch)
        seen += ids(batch)
        # A next run time in the past while due jobs remain: the scheduler comes straight
        # back for the rest.
        assert store.get_next_run_time() <= NOW
        assert store.remove_jobs(ids(batch)) == len(batch)
    assert seen == [r.job_id for r in reversed(due)]
    assert store.get_next_run_time() == NOW + timedelta(minutes=1)
    assert ids(store.get_all_jobs()) == [r.job_id for r in future]


async def test_removal_cancel_and_deferred_removal(
    sync: sync_redis.Redis, prefix: str, scheduler: Scheduler
) -> None:
    store = scheduler.store
    store.put_records([record(n, n) for n in range(4)])
    first, second = record(0, 0).job_id, record(1, 1).job_id
    store.remove_job(first)
    with pytest.raises(JobLookupError):
        store.remove_job(first)
    # Inside a batch, removals are collected and leave later, together.
    with store.defer_removals() as removed:
        store.remove_job(second)
    assert removed == [second]
    assert store.lookup_job(second) is not None
    assert store.remove_jobs(removed) == 1
    assert await scheduler.planned(second) is None
    # cancel() counts what existed; unknown ids are fine.
    left = [record(2, 2).job_id, record(3, 3).job_id, job_id(CONTACT, "never", "3h")]
    assert await scheduler.cancel(left) == 2
    assert await scheduler.cancel([]) == 0
    assert sync.hlen(ReminderKeys(prefix).jobs) == 0
    assert sync.zcard(ReminderKeys(prefix).run_times) == 0


async def test_jobs_survive_a_restart(redis: Redis, prefix: str, cipher: Cipher) -> None:
    """Persisted in Redis: a new scheduler (another process, after a restart) sees them."""
    keys = ReminderKeys(prefix)
    specs = [
        JobSpec(
            job_id(CONTACT, f"a{n}", "3h"),
            NOW + timedelta(days=n + 1),
            NOW + timedelta(days=n + 1, hours=3),
            timedelta(hours=3),
        )
        for n in range(3)
    ]
    for _ in range(2):
        storage = RedisReminderStorage.open(redis, cipher, keys)
        made = Scheduler(storage)
        await made.start(contend=False)
        if _ == 0:
            await made.schedule_many(specs)
        else:
            for spec in specs:
                assert await made.planned(spec.job_id) == spec.send_at
            job = made.store.lookup_job(specs[0].job_id)
            assert job is not None
            assert job.args == (
                prefix,
                specs[0].job_id,
                specs[0].occurrence.isoformat(),
                specs[0].send_at.isoformat(),
            )
            assert job.misfire_grace_time == 3 * 3600
        await made.stop()
        storage.close()


def _job(store: CompactJobStore, ident: str, trigger: Any, args: tuple[Any, ...]) -> Job:
    job = Job.__new__(Job)
    job.__setstate__(
        {
            "version": 1,
            "id": ident,
            "func": FIRE_REF,
            "trigger": trigger,
            "executor": "default",
            "args": args,
            "kwargs": {},
            "name": "named",
            "misfire_grace_time": 60,
            "coalesce": False,
            "max_instances": 2,
            "next_run_time": NOW,
        }
    )
    return job


async def test_one_job_api_and_records_the_old_store_wrote(
    sync: sync_redis.Redis, prefix: str
) -> None:
    """APScheduler's own add/update path (any timed thing, any trigger), and jobs that
    3.11's RedisJobStore pickled into the same keys before this store existed."""
    store = make_store(sync, prefix)
    dated = _job(store, "date-job", DateTrigger(NOW), ("x", 1))
    store.add_job(dated)
    with pytest.raises(ConflictingIdError):
        store.add_job(dated)
    dated.next_run_time = NOW + timedelta(minutes=5)
    store.update_job(dated)
    again = store.lookup_job("date-job")
    assert again is not None
    assert (again.name, again.coalesce, again.max_instances) == ("named", False, 2)
    assert again.next_run_time == NOW + timedelta(minutes=5)
    assert again.trigger.run_date == NOW
    # Not a date trigger, or arguments JSON cannot hold: pickled, read the same.
    interval = _job(store, "interval-job", IntervalTrigger(minutes=5, start_date=NOW), (NOW,))
    store.add_job(interval)
    back = store.lookup_job("interval-job")
    assert back is not None
    assert back.args == (NOW,)
    assert isinstance(back.trigger, IntervalTrigger)
    with pytest.raises(JobLookupError):
        store.update_job(_job(store, "missing", DateTrigger(NOW), ()))

    keys = ReminderKeys(prefix)
    legacy = RedisJobStore(jobs_key=keys.jobs, run_times_key=keys.run_times)
    legacy.redis = sync
    old = _job(store, job_id(CONTACT, "old", "3h"), DateTrigger(NOW), ("ns", "old"))
    legacy.add_job(old)
    due = {job.id: job for job in store.get_due_jobs(NOW)}
    assert set(due) == {old.id, "interval-job"}  # date-job runs at +5 minutes
    assert due[old.id].args == ("ns", "old")
    assert due[old.id].name == "named"
    assert store.remove_jobs([old.id]) == 1
