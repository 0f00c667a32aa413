"""Scheduler.run_due(now): the jobs due at an injected time fire into their kind's due stream
and leave the store; later ones wait, one past its grace is dropped, one fired before is not
fired twice. The clock is the test's (a schedule in the real past), never the machine's."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.scheduling.scheduler import JobSpec, Scheduler
from bot.store.reminder_redis import RedisReminderStorage

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 4, 15, 9, 0, tzinfo=UTC)


def at(job_id: str, when: datetime, grace: timedelta | None = None) -> JobSpec:
    return JobSpec(job_id, when, when, grace)


async def test_run_due_fires_what_is_due_at_the_given_time(
    storage: RedisReminderStorage,
) -> None:
    scheduler = Scheduler(storage)
    retries = storage.due_log("careteam")
    scheduler.register("careteam", retries)
    missed: list[str] = []

    async def on_missed(job_id: str) -> None:
        missed.append(job_id)

    scheduler.on_missed = on_missed
    await scheduler.schedule_many(
        [at("careteam:a|1", T0), at("careteam:b|2", T0 + timedelta(hours=1))], kind="careteam"
    )
    await scheduler.schedule_many(
        [
            at("reminder:a", T0 - timedelta(minutes=1)),
            at("reminder:late", T0 - timedelta(hours=1), grace=timedelta(minutes=5)),
        ]
    )
    assert await scheduler.run_due(T0 - timedelta(hours=2)) == 0

    assert await scheduler.run_due(T0 + timedelta(minutes=30)) == 2
    assert await retries.due_jobs() == ["careteam:a|1"]
    assert await storage.due.due_jobs() == ["reminder:a"]  # the late one went as missed
    assert await scheduler.planned("reminder:late") is None
    assert await scheduler.planned("careteam:a|1") is None
    assert await scheduler.planned("careteam:b|2") == T0 + timedelta(hours=1)
    for _ in range(100):  # the hook is called on the loop, from the firing thread
        if missed:
            break
        await asyncio.sleep(0)
    assert missed == ["reminder:late"]

    # Fired before (a leader that died before removing it): its guard keeps one entry.
    planned = (T0 + timedelta(hours=1)).isoformat()
    assert await retries.fire("careteam:b|2", planned, planned)
    assert await scheduler.run_due(T0 + timedelta(hours=2)) == 0
    assert await retries.due_jobs() == ["careteam:a|1", "careteam:b|2"]
    assert await scheduler.planned("careteam:b|2") is None
    assert await scheduler.run_due(T0 + timedelta(days=30)) == 0


async def test_run_due_goes_through_more_than_one_batch(storage: RedisReminderStorage) -> None:
    scheduler = Scheduler(storage, batch_size=3)
    specs = [at(f"reminder:{i:02}", T0 + timedelta(seconds=i)) for i in range(10)]
    await scheduler.schedule_many(specs)
    assert await scheduler.run_due(T0 + timedelta(minutes=1)) == 10
    assert await storage.due.due_jobs() == [s.job_id for s in specs]
