"""Intake: the parent's "add a reminder" events and plan changes become scheduled jobs."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from bot.engine.events import AnswerChanged, Event, ReminderRequested
from bot.engine.session import Session
from bot.i18n import Catalogs
from bot.reminders.intake import (
    Intake,
    InvalidAppointment,
    UnknownPlan,
    add_appointment,
    contact_of,
)
from bot.reminders.planner import Planner
from bot.store.crypto import Cipher
from bot.store.keys.reminders import job_id
from bot.store.redis_store import RedisConversationStore

from .conftest import FakeClock, RecordingSender, make_intake, make_parent

pytestmark = pytest.mark.anyio

ADDRESS = "+12035550142"
NY = ZoneInfo("America/New_York")
REQUEST = ReminderRequested(
    {"kind": "recovery_meeting", "date": date(2027, 3, 16), "time": time(19, 0), "repeat": "weekly"}
)


def intake_for(
    redis: Redis, cipher: Cipher, conversations: RedisConversationStore, planner: Planner
) -> Intake:
    return make_intake(redis, cipher, conversations, planner, RecordingSender(), Catalogs(("en",)))


async def test_a_reminder_request_becomes_an_appointment_with_jobs(
    redis: Redis, cipher: Cipher, conversations: RedisConversationStore, planner: Planner
) -> None:
    """The engine's ReminderRequested (from the outbox stream) is stored and scheduled."""
    contact = await make_parent(conversations, events=[REQUEST])
    intake = intake_for(redis, cipher, conversations, planner)
    await intake.ensure_group()
    assert await intake.step(block=False) == 1
    [appointment] = await planner.store.appointments(contact)
    assert (appointment.kind, appointment.day, appointment.at, appointment.repeat) == (
        "recovery_meeting",
        date(2027, 3, 16),
        time(19, 0),
        "weekly",
    )
    planned = await planner.scheduler.planned(job_id(contact, appointment.id, "day_before"))
    assert planned is not None
    assert planned.astimezone(NY).strftime("%a %H %Z") == "Mon 18 EDT"  # plus jitter
    assert await intake.step(block=False) == 0  # acked


async def test_handling_the_same_event_twice_makes_one_appointment(
    redis: Redis, cipher: Cipher, conversations: RedisConversationStore, planner: Planner
) -> None:
    """Redelivery (a crash before the ack) is harmless: ids come from the entry id."""
    contact = await make_parent(conversations, events=[REQUEST])
    intake = intake_for(redis, cipher, conversations, planner)
    [entry] = await conversations.read_outbox()
    await intake.handle(entry)
    await intake.handle(entry)
    assert len(await planner.store.appointments(contact)) == 1


async def test_a_changed_due_date_moves_the_standard_schedule(
    redis: Redis,
    cipher: Cipher,
    conversations: RedisConversationStore,
    planner: Planner,
    clock: FakeClock,
) -> None:
    """Offers follow the plan's due date; correcting it moves the planned offer a week."""
    onboarding = {"stage": "pregnant", "due_date": "2027-08-01", "best_time": "morning"}
    contact = await make_parent(conversations, onboarding=onboarding)
    for done in ("prenatal-w16", "prenatal-w20"):  # the open ones: offered already
        await planner.store.mark_offered(contact, done)
    await planner.sync_offers(contact)
    job = job_id(contact, planner.store.offer_item(contact, "prenatal"), "offer")
    before = await planner.scheduler.planned(job)
    assert before is not None
    assert before.astimezone(NY).strftime("%Y-%m-%d %H") == "2027-04-04 10"  # week 24 - 7 days

    def correct(session: Session) -> tuple[Session, list[str], list[Event]]:
        session.plan.answers["onboarding"]["due_date"] = "2027-08-08"
        return session, [], [AnswerChanged("onboarding", "due_date", "2027-08-01", "2027-08-08")]

    await conversations.transact(ADDRESS, None, correct)
    intake = intake_for(redis, cipher, conversations, planner)
    await intake.ensure_group()
    await intake.step(block=False)
    after = await planner.scheduler.planned(job)
    assert after is not None
    assert after - before == timedelta(days=7)


async def test_a_late_joiner_is_offered_what_is_still_open(
    conversations: RedisConversationStore, planner: Planner, clock: FakeClock
) -> None:
    """Joining 10 weeks after the birth: the open visits are offered soon, not dropped."""
    onboarding = {"stage": "born", "birth_date": "2026-12-28", "best_time": "afternoon"}
    contact = await make_parent(conversations, onboarding=onboarding)
    specs = await planner.sync_offers(contact)
    offers = await planner.store.offers(contact)
    assert {o.milestone for o in offers.values()} == {"postpartum-visit", "baby-2m"}
    assert all(o.catch_up for o in offers.values())
    # Today (Mar 8) at 14:00, the next afternoon slot after 10:00.
    assert {s.send_at.astimezone(NY).strftime("%m-%d %H:%M") for s in specs} == {"03-08 14:00"}


async def test_care_team_api_function_adds_and_validates(
    conversations: RedisConversationStore, planner: Planner, clock: FakeClock
) -> None:
    """add_appointment: plan id without braces; unknown plans and past times refused;
    the same request id replaces rather than duplicates."""
    contact = await make_parent(conversations)
    plan_id = contact.strip("{}")
    assert contact_of(plan_id) == contact
    first = await add_appointment(
        planner,
        plan_id,
        kind="wic",
        day=date(2027, 3, 12),
        at=time(11, 0),
        request_id="r1",
        place="Room 4",
    )
    again = await add_appointment(
        planner, plan_id, kind="wic", day=date(2027, 3, 12), at=time(11, 30), request_id="r1"
    )
    assert first.id == again.id
    assert [a.at for a in await planner.store.appointments(contact)] == [time(11, 30)]
    with pytest.raises(UnknownPlan):
        await add_appointment(
            planner, "c:" + "0" * 32, kind="wic", day=date(2027, 3, 12), at=time(11, 0)
        )
    with pytest.raises(UnknownPlan):
        contact_of("{c:bad}")
    with pytest.raises(InvalidAppointment):
        await add_appointment(planner, plan_id, kind="wic", day=date(2027, 3, 1), at=time(9, 0))
    with pytest.raises(InvalidAppointment):
        await add_appointment(planner, plan_id, kind="spa", day=date(2027, 3, 12), at=time(9, 0))


async def test_upcoming_lists_what_is_coming_soonest_first(
    conversations: RedisConversationStore, planner: Planner
) -> None:
    """The REMINDERS list: next start of each appointment, soonest first."""
    contact = await make_parent(conversations)
    plan_id = contact.strip("{}")
    await add_appointment(planner, plan_id, kind="other", day=date(2027, 3, 20), at=time(9, 0))
    await add_appointment(
        planner, plan_id, kind="treatment", day=date(2027, 3, 2), at=time(9, 0), repeat="weekly"
    )
    listed = await planner.upcoming(contact)
    assert [(u.appointment.kind, u.starts.astimezone(NY).date()) for u in listed] == [
        ("treatment", date(2027, 3, 9)),
        ("other", date(2027, 3, 20)),
    ]
