"""A backlog of due reminders is drained in bounded batches by a few workers, each sent once."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, time

import pytest
from redis.asyncio import Redis

from bot.i18n import Catalogs
from bot.reminders.planner import Planner
from bot.reminders.prefs import profile
from bot.reminders.store import Appointment
from bot.scheduling.scheduler import JobSpec
from bot.store.redis_store import RedisConversationStore

from .conftest import FakeClock, make_dispatcher, make_parent

pytestmark = pytest.mark.anyio

PARENTS = 450
BATCH = 100
WORKERS = 8


@dataclass
class CountingSender:
    """Keeps what would have been texted and how many tasks the loop had at each send."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    tasks: list[int] = field(default_factory=list)

    async def send(self, address: str, text: str) -> str:
        self.sent.append((address, text))
        self.tasks.append(len(asyncio.all_tasks()))
        return f"SM{len(self.sent):032d}"

    async def close(self) -> None:
        return None


async def due_backlog(
    redis: Redis, planner: Planner, conversations: RedisConversationStore, clock: FakeClock
) -> tuple[list[str], list[JobSpec]]:
    """PARENTS parents with one visit each, and each visit's day-before reminder fired (its
    due entry in the stream) by one moment, as a scheduler's batches leave them."""
    addresses = [f"+1203555{n:04d}" for n in range(PARENTS)]
    specs = []
    for address in addresses:
        contact = await make_parent(conversations, address)
        visit = Appointment("a1", contact, "treatment", date(2027, 3, 10), time(14, 0))
        await planner.store.put(visit)
        prof = profile(await conversations.load(address), planner.default_timezone)
        mine = planner.specs_for(visit, prof, clock.now)
        specs.append(next(s for s in mine if s.job_id.endswith(":day_before")))
    clock.now = max(s.send_at for s in specs)  # all due by now (spread over minutes)
    firer = planner.scheduler.firer
    for spec in specs:
        args = (spec.job_id, spec.occurrence.isoformat(), spec.send_at.isoformat())
        assert await firer.fire(*args)
        assert not await firer.fire(*args)  # a second scheduler ran it too: no second entry
    return addresses, specs


async def redeliver(redis: Redis, planner: Planner, spec: JobSpec) -> None:
    """The due entry again, as a leader that crashed before its ack leaves it."""
    entry = {
        "job": spec.job_id,
        "occurrence": spec.occurrence.isoformat(),
        "planned": spec.send_at.isoformat(),
    }
    await redis.xadd(planner.scheduler.keys.due, entry)  # type: ignore[arg-type]


async def test_a_backlog_is_drained_in_bounded_batches_and_each_reminder_goes_once(
    redis: Redis,
    planner: Planner,
    conversations: RedisConversationStore,
    translator: Catalogs,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """450 due at once (plus 50 entries redelivered after a crash before the ack): rounds of
    at most 100, at most 8 sending at a time and no task per entry; every parent gets their
    reminder once, with the same discreet text."""
    caplog.set_level(logging.INFO, logger="bot.reminders")
    addresses, specs = await due_backlog(redis, planner, conversations, clock)
    for spec in specs[:50]:
        await redeliver(redis, planner, spec)
    sender = CountingSender()
    dispatcher = await make_dispatcher(
        redis, planner, sender, translator, batch=BATCH, concurrency=WORKERS
    )
    try:
        tasks_before = len(asyncio.all_tasks())
        rounds = []
        while handled := await dispatcher.step(block=False):
            rounds.append(handled)
    finally:
        await dispatcher._bucket.close()

    assert rounds == [100, 100, 100, 100, 100]
    assert sorted(address for address, _ in sender.sent) == sorted(addresses)
    assert {text for _, text in sender.sent} == {
        "Reminder: your appointment is tomorrow, Wed, Mar 10 at 2:00 PM. "
        "Reply C to confirm, R to reschedule."
    }
    # The workers of one batch run as tasks of their own, never one per entry (100 a batch
    # before): at most 8 workers, each with one Redis command in flight (redis-py's timeout
    # runs it as a task of its own on Python 3.11).
    assert max(sender.tasks) <= tasks_before + 2 * WORKERS
    found = [
        getattr(r, "outcome", "")
        for r in caplog.records
        if getattr(r, "event", "") == "reminder_dispatch"
    ]
    assert sorted(set(found)) == ["duplicate", "sent"]
    assert found.count("sent") == PARENTS
    assert found.count("duplicate") == 50
    pending = await redis.xpending(planner.scheduler.keys.due, "dispatch")
    assert pending["pending"] == 0
    # Delivered again later (another leader's late read): the sent guards still hold.
    await redeliver(redis, planner, specs[-1])
    again = await make_dispatcher(redis, planner, sender, translator, batch=BATCH)
    try:
        assert await again.step(block=False) == 1
    finally:
        await again._bucket.close()
    assert len(sender.sent) == PARENTS


async def test_batch_and_workers_must_be_positive(
    redis: Redis, planner: Planner, translator: Catalogs
) -> None:
    with pytest.raises(ValueError, match="positive"):
        await make_dispatcher(redis, planner, CountingSender(), translator, batch=0)
    with pytest.raises(ValueError, match="positive"):
        await make_dispatcher(redis, planner, CountingSender(), translator, concurrency=0)
