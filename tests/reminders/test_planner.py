"""The planner keeps jobs in step with the plan: zone and best-time changes, due jobs kept."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.engine.events import Event
from bot.engine.session import Session
from bot.reminders.planner import Planner
from bot.reminders.store import Appointment
from bot.store.keys.reminders import job_id
from bot.store.redis_store import RedisConversationStore

from .conftest import FakeClock, make_parent

pytestmark = pytest.mark.anyio

ADDRESS = "+12035550142"
NY = ZoneInfo("America/New_York")
DENVER = ZoneInfo("America/Denver")


async def change(conversations: RedisConversationStore, **onboarding: str) -> None:
    """What the engine does when the parent changes their ZIP code or best time."""

    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        if "timezone" in onboarding:
            session.timezone = onboarding.pop("timezone")
        session.plan.answers["onboarding"].update(onboarding)
        return session, [], []

    await conversations.transact(ADDRESS, None, apply)


def visit(contact: str) -> Appointment:
    return Appointment("a1", contact, "other", date(2027, 3, 10), time(10, 30))


async def test_a_new_zone_moves_reminders_to_the_parents_new_local_time(
    conversations: RedisConversationStore, planner: Planner
) -> None:
    """Moving from New York to Denver: 10:30 and 18:00 are read in Mountain time."""
    contact = await make_parent(conversations)
    await planner.add(visit(contact))
    job = job_id(contact, "a1", "day_before")
    first = await planner.scheduler.planned(job)
    assert first is not None
    assert first.astimezone(NY).strftime("%m-%d %H") == "03-09 18"
    await change(conversations, timezone="America/Denver")
    await planner.resync(contact)
    moved = await planner.scheduler.planned(job)
    assert moved is not None
    assert moved.astimezone(DENVER).strftime("%m-%d %H") == "03-09 18"
    assert moved - first == timedelta(hours=2)


async def test_a_new_best_time_moves_the_day_before_reminder(
    conversations: RedisConversationStore, planner: Planner
) -> None:
    """Best time "morning" moves the day-before reminder to 10:00."""
    contact = await make_parent(conversations)
    await planner.add(visit(contact))
    await change(conversations, best_time="morning")
    await planner.resync(contact)
    moved = await planner.scheduler.planned(job_id(contact, "a1", "day_before"))
    assert moved is not None
    assert moved.astimezone(NY).strftime("%m-%d %H") == "03-09 10"


async def test_a_job_already_due_keeps_its_place_on_a_resync(
    conversations: RedisConversationStore, planner: Planner, clock: FakeClock
) -> None:
    """A re-plan in the seconds between a job coming due and running leaves it alone."""
    contact = await make_parent(conversations)
    specs = await planner.add(visit(contact))
    day_before = specs[0]
    clock.now = day_before.send_at + timedelta(seconds=1)
    await planner.resync(contact)
    assert await planner.scheduler.planned(day_before.job_id) == day_before.send_at
    assert await planner.scheduler.planned(specs[1].job_id) == specs[1].send_at
