"""The one scheduler (bot/scheduling/) carries several kinds of timed work: each kind's jobs
fire into that kind's own due stream, once, and a job with no grace goes however late."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.scheduling.scheduler import JobSpec, Scheduler
from bot.store.reminder_redis import RedisReminderStorage
from tests.waiting import eventually

pytestmark = pytest.mark.anyio

# Due on any clock the tests may run under; with no grace it is never dropped as missed.
LONG_AGO = datetime(2001, 1, 1, 9, 0, tzinfo=UTC)


def spec(job_id: str) -> JobSpec:
    return JobSpec(job_id, LONG_AGO, LONG_AGO, None)


async def test_each_kind_fires_into_its_own_due_stream(storage: RedisReminderStorage) -> None:
    scheduler = Scheduler(storage)
    retries = storage.due_log("retries")
    scheduler.register("retries", retries)
    with pytest.raises(ValueError, match="registered already"):
        scheduler.register("retries", retries)
    with pytest.raises(ValueError, match="no kind"):
        await scheduler.schedule(spec("x"), kind="unheard-of")
    await scheduler.start()
    try:
        assert scheduler.is_leader
        late = storage.due_log("late")
        scheduler.register("late", late)  # a kind added once the scheduler leads
        await scheduler.schedule(spec("retry:1"), kind="retries")
        await scheduler.schedule(spec("reminder:1"))
        await scheduler.schedule(spec("late:1"), kind="late")

        async def all_fired() -> bool:
            ids = ("retry:1", "reminder:1", "late:1")
            return all([await scheduler.planned(i) is None for i in ids])

        await eventually(all_fired, 10, "every job fired and gone")
        assert await retries.due_jobs() == ["retry:1"]
        assert await storage.due.due_jobs() == ["reminder:1"]
        assert await late.due_jobs() == ["late:1"]
        assert retries.stream == storage.keys.due + ":retries"
    finally:
        await scheduler.stop()
