"""Job ids and the scheduler's log lines name no kind of visit: a standard-schedule offer's
job is an opaque digest, not "plan-prenatal"; jobs made the old way are read and replaced."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from bot.reminders.planner import Planner
from bot.reminders.rules import OFFER_GRACE
from bot.scheduling.scheduler import JobSpec
from bot.store.keys.reminders import job_id
from bot.store.redis_store import RedisConversationStore

from .conftest import FakeClock, make_parent

pytestmark = pytest.mark.anyio

KIND_WORDS = ("prenatal", "postpartum", "baby", "plan-")
PREGNANT = {"stage": "pregnant", "due_date": "2027-08-01", "best_time": "morning"}


async def test_offer_jobs_and_their_log_lines_name_no_kind(
    planner: Planner,
    conversations: RedisConversationStore,
    redis: Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    contact = await make_parent(conversations, onboarding=PREGNANT)
    with caplog.at_level(logging.INFO, logger="apscheduler"):
        planned = await planner.sync_offers(contact)
    assert planned
    stored = [f.decode() for f in await redis.hkeys(planner.scheduler.keys.jobs)]
    mine = [j for j in stored if contact in j]
    assert {s.job_id for s in planned} <= set(mine)
    for text in [*mine, *(r.getMessage() for r in caplog.records)]:
        assert not [w for w in KIND_WORDS if w in text], text
    assert any("Added job" in r.getMessage() for r in caplog.records)  # the line was seen
    # The same series keeps the same job (re-syncing replaces, never adds).
    again = await planner.sync_offers(contact)
    assert {s.job_id for s in again} == {s.job_id for s in planned}


async def test_a_job_made_the_old_way_is_read_then_replaced(
    planner: Planner, conversations: RedisConversationStore, clock: FakeClock
) -> None:
    contact = await make_parent(conversations, onboarding=PREGNANT)
    await planner.sync_offers(contact)
    legacy = job_id(contact, "plan-prenatal", "offer")
    when = clock() + timedelta(days=3)
    await planner.scheduler.schedule_many([JobSpec(legacy, when, when, OFFER_GRACE)])
    assert await planner.store.offer_series(contact, "plan-prenatal") == "prenatal"
    opaque = planner.store.offer_item(contact, "prenatal")
    assert await planner.store.offer_series(contact, opaque) == "prenatal"
    assert await planner.store.offer_series(contact, "o" + "0" * 16) is None
    await planner.sync_offers(contact)
    assert await planner.scheduler.planned(legacy) is None
    assert await planner.scheduler.planned(job_id(contact, opaque, "offer")) is not None
