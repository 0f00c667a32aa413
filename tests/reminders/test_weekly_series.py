"""A weekly reminder goes on for as long as it is not cancelled (#14): the promise says
"every Tuesday around 6:00 PM" with no end, so after each dispatch the planner plans that
lead's next week, however long the series has run; only an `until` date ends one. A
recovery meeting Wednesdays at 7 PM in New York from 2027-03-10 (EST), best time "any":
the day before at 6 PM and 2 hours before. The clock is fixed (conftest: Monday 2027-03-08)
and moved by hand; never the machine's."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.reminders.dispatcher import Dispatcher
from bot.reminders.planner import Planner
from bot.reminders.store import Appointment
from bot.store.keys.reminders import job_id
from bot.store.redis_store import RedisConversationStore

from .conftest import FakeClock, RecordingSender, make_parent

pytestmark = pytest.mark.anyio

NY = ZoneInfo("America/New_York")
FIRST = date(2027, 3, 10)  # a Wednesday, before the spring-forward of 2027-03-14
# The planner's jitter moves a send up to 10 minutes later.
JITTER = timedelta(minutes=10)


def meeting(contact: str, until: date | None = None) -> Appointment:
    return Appointment(
        "m1", contact, "recovery_meeting", FIRST, time(19, 0), repeat="weekly", until=until
    )


def at(week: int, days_before: int, clock: str) -> datetime:
    """A wall time in New York, `days_before` the meeting of `week` (0: the first)."""
    day = FIRST + timedelta(weeks=week, days=-days_before)
    return datetime.combine(day, time.fromisoformat(clock), NY)


def around(planned: datetime | None, wanted: datetime) -> bool:
    return planned is not None and wanted <= planned <= wanted + JITTER


async def dispatched(planner: Planner, clock: FakeClock, job: str, ran: datetime) -> None:
    """A job ran at `ran`: it left the store (as run_due takes it out), and the dispatcher
    re-plans that lead."""
    clock.now = ran
    await planner.scheduler.cancel([job])
    await planner.after_dispatch(job)


# Week 70: EDT, three DST changes on. 87: the next is the first after the fall-back of
# 2028-11-05. 157: the first after the spring-forward of 2030-03-10. 200: EST, eight changes.
@pytest.mark.parametrize("week", [70, 87, 157, 200])
async def test_each_lead_still_plans_its_next_week_years_on(
    conversations: RedisConversationStore, planner: Planner, clock: FakeClock, week: int
) -> None:
    """After the day-before and 2-hours-ahead reminders of week N ran, week N+1's are
    planned at the same wall times: Tuesday 6 PM and Wednesday 5 PM, summer or winter; the
    REMINDERS list shows tonight's meeting, then next week's once it has begun."""
    contact = await make_parent(conversations)
    await planner.add(meeting(contact))
    day_before = job_id(contact, "m1", "day_before")
    two_hours = job_id(contact, "m1", "2h")
    await dispatched(planner, clock, day_before, at(week, 1, "18:05"))
    assert around(await planner.scheduler.planned(day_before), at(week + 1, 1, "18:00"))
    await dispatched(planner, clock, two_hours, at(week, 0, "17:05"))
    assert around(await planner.scheduler.planned(two_hours), at(week + 1, 0, "17:00"))
    [tonight] = await planner.upcoming(contact)
    assert tonight.starts == at(week, 0, "19:00")
    clock.now = at(week, 0, "19:01")
    [next_week] = await planner.upcoming(contact)
    assert next_week.starts == at(week + 1, 0, "19:00")


async def test_the_dispatcher_texts_week_200_and_plans_week_201(
    conversations: RedisConversationStore,
    planner: Planner,
    dispatcher: Dispatcher,
    sender: RecordingSender,
    clock: FakeClock,
) -> None:
    """End to end at week 200 (2031-01-07): the planned day-before job fires, the reminder
    is texted, and the dispatcher's re-plan puts the next one a week later."""
    contact = await make_parent(conversations)
    await planner.add(meeting(contact))
    day_before = job_id(contact, "m1", "day_before")
    await dispatched(planner, clock, day_before, at(199, 1, "18:05"))
    planned = await planner.scheduler.planned(day_before)
    assert planned is not None
    assert around(planned, at(200, 1, "18:00"))
    clock.now = planned
    assert await planner.scheduler.run_due(planned) == 1
    assert await dispatcher.step(block=False) == 1
    [(_, text)] = sender.sent
    assert text.startswith("Reminder:")
    assert "tomorrow, Wed, Jan 8" in text
    assert around(await planner.scheduler.planned(day_before), at(201, 1, "18:00"))


async def test_an_until_date_still_ends_the_series(
    conversations: RedisConversationStore, planner: Planner, clock: FakeClock
) -> None:
    """`until` on week 80's day: week 80 is still reminded, then nothing is planned and the
    REMINDERS list no longer shows it."""
    contact = await make_parent(conversations)
    await planner.add(meeting(contact, until=FIRST + timedelta(weeks=80)))
    day_before = job_id(contact, "m1", "day_before")
    two_hours = job_id(contact, "m1", "2h")
    await dispatched(planner, clock, day_before, at(79, 1, "18:05"))
    assert around(await planner.scheduler.planned(day_before), at(80, 1, "18:00"))
    await dispatched(planner, clock, day_before, at(80, 1, "18:05"))
    await dispatched(planner, clock, two_hours, at(80, 0, "17:05"))
    assert await planner.scheduler.planned(day_before) is None
    assert await planner.scheduler.planned(two_hours) is None
    clock.now = at(80, 0, "19:30")
    assert await planner.upcoming(contact) == []
