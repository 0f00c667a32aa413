"""The scheduler: jobs survive restarts, missed ones go once within grace, one leader runs."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.reminders.store import Appointment, ReminderStore
from bot.scheduling.scheduler import JobSpec, Scheduler
from bot.store.client import client_for_url
from bot.store.crypto import Cipher
from bot.store.keys.reminders import ReminderKeys, job_id
from bot.store.redis_store import RedisConversationStore
from bot.store.reminder_records_redis import RedisReminderRecords
from bot.store.reminder_redis import RedisReminderStorage
from tests.waiting import eventually

from .conftest import REDIS_URL, delete_prefixed, make_parent

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
CONTACT = "{c:" + "cd" * 16 + "}"
CIPHER = Cipher(secrets.token_bytes(32))


def utc_now() -> datetime:
    return datetime.now(UTC)


class Instance:
    """One scheduler with its own Redis connections, as a separate process would have."""

    def __init__(self, prefix: str, url: str = REDIS_URL, **kw: Any) -> None:
        self.redis = client_for_url(url)
        self.storage = RedisReminderStorage.open(self.redis, CIPHER, ReminderKeys(prefix))
        self.scheduler = Scheduler(self.storage, **kw)

    async def close(self) -> None:
        await self.scheduler.stop()
        self.storage.close()
        await self.redis.aclose()


@pytest.fixture
async def instances(prefix: str) -> AsyncIterator[list[Instance]]:
    made: list[Instance] = []
    yield made
    for instance in made:
        await instance.close()


async def due_jobs(redis: Redis, keys: ReminderKeys) -> list[str]:
    return [f[b"job"].decode() for _, f in await redis.xrange(keys.due)]


async def test_restart_sends_missed_within_grace_once_and_drops_the_rest(
    redis: Redis, prefix: str, instances: list[Instance], caplog: pytest.LogCaptureFixture
) -> None:
    """Jobs missed while no process ran: within grace -> fired once; past it -> dropped with a
    log line; a later restart (or the job re-added) never fires it again."""
    caplog.set_level(logging.INFO, logger="bot.reminders")
    keys = ReminderKeys(prefix)
    await redis.set(keys.leader, b"app-is-down", px=60_000)  # nobody runs jobs
    writer = Instance(prefix)  # only writes jobs: must not take the lease from `restarted`
    instances.append(writer)
    await writer.scheduler.start(contend=False)
    now = utc_now()
    grace = timedelta(hours=1)
    within = JobSpec(
        job_id(CONTACT, "a1", "3h"), now - timedelta(minutes=10), now + timedelta(hours=2), grace
    )
    past = JobSpec(
        job_id(CONTACT, "a2", "3h"), now - timedelta(hours=2), now + timedelta(hours=1), grace
    )
    future = JobSpec(
        job_id(CONTACT, "a3", "3h"), now + timedelta(hours=1), now + timedelta(hours=4), grace
    )
    await writer.scheduler.schedule_many([within, past, future])

    await redis.delete(keys.leader)  # the app comes back
    restarted = Instance(prefix)
    instances.append(restarted)
    await restarted.scheduler.start()
    assert restarted.scheduler.is_leader
    await eventually(lambda: _gone(restarted, [within.job_id, past.job_id]), 5)
    await eventually(lambda: _length_is(redis, keys, 1), 5)
    assert await due_jobs(redis, keys) == [within.job_id]
    assert any(
        "missed its grace" in r.getMessage() and getattr(r, "job", "") == past.job_id
        for r in caplog.records
    )

    # The same job re-added for the same time (a re-sync did it) fires into the guard.
    await writer.scheduler.schedule(within)
    await restarted.close()
    instances.remove(restarted)
    again = Instance(prefix)
    instances.append(again)
    await again.scheduler.start()
    await eventually(lambda: _gone(again, [within.job_id]), 5)
    # Gone from the store means fired or dropped: the due stream is final now.
    assert await due_jobs(redis, keys) == [within.job_id]
    assert await again.scheduler.planned(future.job_id) == future.send_at


async def _gone(instance: Instance, ids: list[str]) -> bool:
    return all([await instance.scheduler.planned(i) is None for i in ids])


async def _length_is(redis: Redis, keys: ReminderKeys, n: int) -> bool:
    return int(await redis.xlen(keys.due)) == n


async def test_one_leader_at_a_time_and_takeover_when_the_lease_is_lost(
    redis: Redis, prefix: str, instances: list[Instance]
) -> None:
    """Two schedulers (own connections): one leads; if its lease vanishes the other takes
    over and the first steps down at its next renewal."""
    first, second = Instance(prefix), Instance(prefix)
    instances.extend([first, second])
    await first.scheduler.start()
    await second.scheduler.start()
    assert (first.scheduler.is_leader, second.scheduler.is_leader) == (True, False)
    await second.scheduler.elect_once()
    assert not second.scheduler.is_leader
    await redis.delete(ReminderKeys(prefix).leader)  # the leader stalled past its TTL
    await second.scheduler.elect_once()
    await first.scheduler.elect_once()
    assert (first.scheduler.is_leader, second.scheduler.is_leader) == (False, True)


async def test_a_job_removed_by_another_process_does_not_stop_the_scheduler(
    redis: Redis, prefix: str, instances: list[Instance]
) -> None:
    """APScheduler would die silently on JobLookupError in its wake-up; ours carries on."""
    leader = Instance(prefix)
    instances.append(leader)
    await leader.scheduler.start()
    sched: Any = leader.scheduler._scheduler
    store = sched._jobstores["default"]
    real_remove = store.remove_job

    vanished: list[str] = []

    def vanish(job: str) -> None:
        vanished.append(job)
        real_remove(job)
        raise __import__("apscheduler.jobstores.base").jobstores.base.JobLookupError(job)

    now = utc_now()
    spec = JobSpec(
        job_id(CONTACT, "a1", "3h"),
        now - timedelta(seconds=1),
        now + timedelta(hours=1),
        timedelta(hours=1),
    )
    store.remove_job = vanish
    await leader.scheduler.schedule(spec)
    sched.wakeup()

    async def removal_failed() -> bool:
        return bool(vanished)

    await eventually(removal_failed, 5)
    store.remove_job = real_remove
    later = JobSpec(
        job_id(CONTACT, "a2", "3h"), utc_now(), now + timedelta(hours=1), timedelta(hours=1)
    )
    await leader.scheduler.schedule(later)
    sched.wakeup()
    keys = ReminderKeys(prefix)
    await eventually(lambda: _length_is(redis, keys, 2), 3)


async def test_a_job_is_fired_before_it_leaves_the_store(
    redis: Redis, prefix: str, instances: list[Instance]
) -> None:
    """APScheduler removes a due job from the store before it runs; when jobs ran later as
    tasks, a leader killed in between lost them (a whole batch due together). The due entry
    must exist before the removal, so a successor finds one or the other. (A batch's jobs
    leave the store together, through remove_jobs, once all of them are fired.)"""
    leader = Instance(prefix)
    instances.append(leader)
    await leader.scheduler.start()
    assert leader.scheduler.is_leader
    keys = ReminderKeys(prefix)
    store = leader.scheduler.store
    real_remove = store.remove_jobs
    fired_before_removal: dict[str, bool] = {}

    def remove(jobs: list[str]) -> int:
        entries = leader.storage.sync_client.xrange(keys.due)
        fired = {f[b"job"].decode() for _, f in entries}
        for job in jobs:
            fired_before_removal[job] = job in fired
        return real_remove(jobs)

    store.remove_jobs = remove  # type: ignore[method-assign]
    now = utc_now()
    specs = [
        JobSpec(
            job_id(CONTACT, f"a{n}", "3h"),
            now - timedelta(seconds=1),
            now + timedelta(hours=1),
            timedelta(hours=1),
        )
        for n in range(20)
    ]
    await leader.scheduler.schedule_many(specs)
    leader.scheduler._scheduler.wakeup()
    await eventually(lambda: _length_is(redis, keys, 20), 5)
    await eventually(lambda: _gone(leader, [s.job_id for s in specs]), 5)
    assert fired_before_removal == {s.job_id: True for s in specs}


async def test_a_bulk_batch_due_together_fires_each_job_once_across_two_schedulers(
    redis: Redis, prefix: str, instances: list[Instance]
) -> None:
    """600 jobs added in bulk, due at once, in batches of 50, processed by two schedulers at
    the same time (a leader that has not yet seen its lease go, and its successor): each job
    gives one due entry and leaves the store."""
    first, second = Instance(prefix, batch_size=50), Instance(prefix, batch_size=50)
    instances.extend([first, second])
    await first.scheduler.start()
    await second.scheduler.start()
    assert first.scheduler.is_leader
    second.scheduler._scheduler.resume()  # both process the store now
    keys = ReminderKeys(prefix)
    now = utc_now()
    specs = [
        JobSpec(
            job_id("{c:" + f"{n:032x}" + "}", "a1", "3h"),
            now - timedelta(seconds=1),
            now + timedelta(hours=1),
            timedelta(hours=1),
        )
        for n in range(600)
    ]
    await first.scheduler.schedule_many(specs)
    second.scheduler._scheduler.wakeup()

    async def store_empty() -> bool:
        return int(await redis.zcard(keys.run_times)) == 0 and int(await redis.hlen(keys.jobs)) == 0

    await eventually(store_empty, 20)
    jobs = await due_jobs(redis, keys)
    assert sorted(jobs) == sorted(s.job_id for s in specs)  # every one, none twice


@pytest.mark.xdist_group("cluster")
async def test_a_leader_on_a_redis_cluster_fires_a_batch_due_together(
    redis_cluster_url: str, prefix: str, instances: list[Instance]
) -> None:
    """On a Redis Cluster too: a batch's fires go as one script in the {rem} slot (the
    cluster client refuses scripts in a pipeline, and that error ended the scheduler's
    thread), and the fired jobs leave the store."""
    leader = Instance(prefix, url=redis_cluster_url, batch_size=10)
    instances.append(leader)
    await leader.scheduler.start()
    assert leader.scheduler.is_leader
    now = utc_now()
    ids = [job_id("{c:" + f"{n:032x}" + "}", "a1", "3h") for n in range(25)]
    specs = [
        JobSpec(i, now - timedelta(seconds=1), now + timedelta(hours=1), timedelta(hours=1))
        for i in ids
    ]
    try:
        await leader.scheduler.schedule_many(specs)

        async def all_fired() -> bool:
            return sorted(await leader.storage.due.due_jobs()) == sorted(ids)

        await eventually(all_fired, 10)
        await eventually(lambda: _gone(leader, ids), 5)
    finally:
        await delete_prefixed(leader.redis, prefix)


def spawn(prefix: str, key: bytes) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "REM_PREFIX": prefix,
        "REM_REDIS_URL": REDIS_URL,
        "REM_KEY": key.hex(),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reminders._worker"],
        cwd=ROOT,
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )


@pytest.mark.slow
async def test_two_processes_send_each_reminder_exactly_once(redis: Redis, prefix: str) -> None:
    """Two real app processes share Redis: each reminder goes out once, also when the
    leader is killed and the other takes over."""
    master = secrets.token_bytes(32)
    cipher = Cipher(master)
    conversations = RedisConversationStore(redis, cipher, prefix=prefix)
    keys = ReminderKeys(prefix)
    store = ReminderStore(RedisReminderRecords(redis, cipher, keys))
    workers = [spawn(prefix, master), spawn(prefix, master)]
    try:
        # Parents and appointments, one each, while the processes start.
        per_batch = 150
        specs: list[list[JobSpec]] = [[], []]
        for n in range(2 * per_batch):
            address = f"+1203555{n:04d}"
            contact = await make_parent(conversations, address)
            start = utc_now() + timedelta(hours=2)
            await store.put(Appointment("a1", contact, "other", start.date(), time(0, 0)))
            specs[n // per_batch].append(
                JobSpec(job_id(contact, "a1", "3h"), start, start, timedelta(hours=1))
            )
        tokens = [w.stdout.readline().split()[1] for w in workers if w.stdout]
        # A third process only adds jobs (e.g. a script). It must not contend: as leader it
        # would fire the second batch with no dispatcher to send it, holding the lease away
        # from the surviving worker (the test failed so whenever it won the election).
        adder = Instance(prefix)
        await adder.scheduler.start(contend=False)
        sent_key = f"{prefix}sent"

        async def sent_count(n: int) -> bool:
            return int(await redis.llen(sent_key)) >= n

        now = utc_now()
        await adder.scheduler.schedule_many(
            [
                JobSpec(s.job_id, now + timedelta(milliseconds=300), s.occurrence, s.grace)
                for s in specs[0]
            ]
        )
        await eventually(lambda: sent_count(per_batch), 10)
        # The leader dies, then the second batch is planned: only a takeover can send it,
        # however slow the machine (no race between the kill and the due time).
        leader_token = (await redis.get(keys.leader) or b"").decode()
        leader = workers[tokens.index(leader_token)]
        leader.kill()
        leader.wait()
        due = utc_now() + timedelta(milliseconds=300)
        await adder.scheduler.schedule_many(
            [JobSpec(s.job_id, due, s.occurrence, s.grace) for s in specs[1]]
        )
        await eventually(lambda: sent_count(2 * per_batch), 15)

        async def all_fired() -> bool:
            return all([await adder.scheduler.planned(s.job_id) is None for s in specs[1]])

        # Out of the job store means fired once (the due entry comes first): nothing extra
        # can follow.
        await eventually(all_fired, 15)
        await adder.close()
        sent = [item.decode().split("|") for item in await redis.lrange(sent_key, 0, -1)]
        per_address = Counter(address for address, _, _ in sent)
        assert len(per_address) == 2 * per_batch
        assert set(per_address.values()) == {1}
        assert {pid for _, pid, _ in sent[per_batch:]} == {
            str(w.pid) for w in workers if w is not leader
        }
    finally:
        for worker in workers:
            if worker.stdin:
                worker.stdin.close()
        for worker in workers:
            try:
                worker.wait(timeout=5)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            if worker.stdout:
                worker.stdout.close()
