"""The one scheduler with the care-team kind on it (TimedWork), for tests that start the care
team without the app: never started, so nothing fires on the machine's clock; drain() fires
what is due at the test's (Scheduler.run_due)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.asyncio import Redis

from bot.careteam.delivery.timer import TimedWork
from bot.scheduling.scheduler import Scheduler
from bot.store.crypto import Cipher
from bot.store.keys.reminders import ReminderKeys
from bot.store.reminder_redis import RedisReminderStorage


def open_timed(redis: Redis, cipher: Cipher, prefix: str) -> tuple[TimedWork, RedisReminderStorage]:
    """TimedWork and its storage (close it after: it holds a blocking client)."""
    storage = RedisReminderStorage.open(redis, cipher, ReminderKeys(prefix))
    return TimedWork.on(Scheduler(storage), storage), storage


@contextmanager
def timed_work(redis: Redis, cipher: Cipher, prefix: str) -> Iterator[TimedWork]:
    timed, storage = open_timed(redis, cipher, prefix)
    try:
        yield timed
    finally:
        storage.close()


async def scheduled_tries(redis: Redis, prefix: str) -> list[str]:
    """The care-team job ids the scheduler holds (tries waiting for their time)."""
    jobs = await redis.hkeys(ReminderKeys(prefix).jobs)
    return sorted(j.decode() for j in jobs if j.startswith(b"careteam:"))
