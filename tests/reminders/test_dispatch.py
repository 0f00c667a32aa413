"""Dispatch: each due reminder is sent once, never to a STOP'd parent, never late or at night."""

from __future__ import annotations

import logging
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from bot.engine.events import CantReach, Event, ReminderReplied
from bot.engine.machine import Engine
from bot.engine.session import Session
from bot.i18n import Catalogs
from bot.reminders.dispatcher import Dispatcher
from bot.reminders.planner import Planner
from bot.reminders.prefs import set_detailed
from bot.reminders.ratelimit import Priority, TokenBucket
from bot.reminders.store import Appointment
from bot.reminders.texts import WHAT, render_reminder
from bot.scheduling.scheduler import JobSpec
from bot.store.crypto import Cipher
from bot.store.redis_store import RedisConversationStore

from .conftest import (
    FakeClock,
    RecordingSender,
    make_dispatcher,
    make_intake,
    make_parent,
    set_status,
)
from .test_texts import forbidden_in

pytestmark = pytest.mark.anyio

ADDRESS = "+12035550142"
NY = ZoneInfo("America/New_York")


def visit(contact: str, **kw: object) -> Appointment:
    fields: dict[str, object] = {
        "id": "a1",
        "contact": contact,
        "kind": "treatment",
        "day": date(2027, 3, 10),
        "at": time(14, 0),
    }
    fields.update(kw)
    return Appointment(**fields)  # type: ignore[arg-type]


async def fire(redis: Redis, planner: Planner, spec: JobSpec) -> bool:
    """What the scheduler's job does when `spec` comes due."""
    firer = planner.scheduler.firer
    return await firer.fire(spec.job_id, spec.occurrence.isoformat(), spec.send_at.isoformat())


def outcomes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.outcome for r in caplog.records if getattr(r, "event", "") == "reminder_dispatch"]


@pytest.fixture(autouse=True)
def _log_level(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.reminders")


async def test_a_due_reminder_is_sent_once_with_the_discreet_text(
    redis: Redis,
    planner: Planner,
    dispatcher: Dispatcher,
    sender: RecordingSender,
    conversations: RedisConversationStore,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At its time the reminder goes out once; firing again or redelivering sends nothing."""
    contact = await make_parent(conversations)
    specs = await planner.add(visit(contact))
    day_before = next(s for s in specs if s.job_id.endswith(":day_before"))
    clock.now = day_before.send_at
    assert await fire(redis, planner, day_before)
    assert not await fire(redis, planner, day_before)  # a second scheduler ran it too
    assert await dispatcher.step(block=False) == 1
    assert sender.sent == [
        (
            ADDRESS,
            "Reminder: your appointment is tomorrow, Wed, Mar 10 at "
            "2:00 PM. Reply C to confirm, R to reschedule.",
        )
    ]
    # A redelivered entry (crash before ack) finds the sent guard taken.
    await redis.xadd(
        planner.scheduler.keys.due,
        {
            "job": day_before.job_id,
            "occurrence": day_before.occurrence.isoformat(),
            "planned": day_before.send_at.isoformat(),
        },
    )
    await dispatcher.step(block=False)
    assert len(sender.sent) == 1
    assert outcomes(caplog) == ["sent", "duplicate"]
    last = await planner.store.last_sent(contact)
    assert last is not None
    assert last["item"] == "a1"


async def test_a_stopped_parent_gets_nothing_and_start_brings_reminders_back(
    redis: Redis,
    planner: Planner,
    dispatcher: Dispatcher,
    sender: RecordingSender,
    conversations: RedisConversationStore,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """STOP suppresses every reminder at once; after START the next one goes again."""
    contact = await make_parent(conversations)
    specs = await planner.add(visit(contact))
    await set_status(conversations, ADDRESS, "opted_out")
    clock.now = specs[0].send_at
    await fire(redis, planner, specs[0])
    await dispatcher.step(block=False)
    assert sender.sent == []
    await set_status(conversations, ADDRESS, "active")
    clock.now = specs[1].send_at
    await fire(redis, planner, specs[1])
    await dispatcher.step(block=False)
    assert len(sender.sent) == 1
    assert outcomes(caplog) == ["suppressed:opted_out", "sent"]


async def test_stop_while_waiting_for_the_rate_limit_still_wins(
    redis: Redis,
    planner: Planner,
    sender: RecordingSender,
    translator: Catalogs,
    conversations: RedisConversationStore,
    clock: FakeClock,
) -> None:
    """A STOP that lands while the reminder waits for a token: nothing is sent."""

    class StopArrives(TokenBucket):
        async def acquire(self, priority: Priority = Priority.BULK) -> None:
            await set_status(conversations, ADDRESS, "opted_out")

    made = await make_dispatcher(redis, planner, sender, translator, StopArrives(1))
    contact = await make_parent(conversations)
    specs = await planner.add(visit(contact))
    clock.now = specs[0].send_at
    await fire(redis, planner, specs[0])
    await made.step(block=False)
    assert sender.sent == []


async def test_no_reminders_turns_them_off_but_keeps_the_plan(
    redis: Redis,
    planner: Planner,
    dispatcher: Dispatcher,
    sender: RecordingSender,
    conversations: RedisConversationStore,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """plan.prefs["reminders_off"] (the engine sets it on NO REMINDERS) suppresses them."""
    contact = await make_parent(conversations, prefs={"reminders_off": True})
    specs = await planner.add(visit(contact))
    clock.now = specs[0].send_at
    await fire(redis, planner, specs[0])
    await dispatcher.step(block=False)
    assert sender.sent == []
    assert outcomes(caplog) == ["suppressed:reminders_off"]


async def test_late_past_grace_is_dropped_with_a_log_line(
    redis: Redis,
    planner: Planner,
    dispatcher: Dispatcher,
    sender: RecordingSender,
    conversations: RedisConversationStore,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Dispatch after the kind's grace (1 h for treatment): dropped, logged, not sent."""
    contact = await make_parent(conversations)
    specs = await planner.add(visit(contact))
    clock.now = specs[0].send_at + timedelta(hours=1, minutes=1)
    await fire(redis, planner, specs[0])
    await dispatcher.step(block=False)
    assert sender.sent == []
    assert outcomes(caplog) == ["dropped:missed_grace"]


async def test_detailed_reminders_are_opt_in(
    redis: Redis,
    planner: Planner,
    dispatcher: Dispatcher,
    sender: RecordingSender,
    conversations: RedisConversationStore,
    clock: FakeClock,
) -> None:
    """A parent who chose detailed reminders sees the kind and the place."""
    contact = await make_parent(conversations, prefs={"detailed_reminders": True})
    specs = await planner.add(visit(contact, place="12 Main St"))
    clock.now = specs[0].send_at
    await fire(redis, planner, specs[0])
    await dispatcher.step(block=False)
    assert "your treatment or counseling appointment" in sender.sent[0][1]
    assert sender.sent[0][1].endswith("Where: 12 Main St.")


async def choose_detail(conversations: RedisConversationStore, detailed: bool) -> None:
    """What the engine does when the parent opts in to (or out of) detailed reminders."""

    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        set_detailed(session.plan, detailed)
        return session, [], []

    await conversations.transact(ADDRESS, None, apply)


@pytest.mark.parametrize("locale", ["en", "es", "pt_BR"])
async def test_detail_follows_the_parents_choice_when_each_reminder_goes(
    locale: str,
    redis: Redis,
    planner: Planner,
    sender: RecordingSender,
    shipped_catalogs: Catalogs,
    conversations: RedisConversationStore,
    clock: FakeClock,
) -> None:
    """In every shipped language: chosen after the reminders were planned, detail shows the
    kind and place in the next one; opting out makes the one after discreet again."""
    made = await make_dispatcher(redis, planner, sender, shipped_catalogs)
    contact = await make_parent(conversations, locale=locale)
    specs = await planner.add(visit(contact, place="Zanzibar House, 12 Main St"))
    await choose_detail(conversations, True)
    sends = []
    for spec, detailed in zip(specs, (True, False), strict=True):
        if not detailed:
            await choose_detail(conversations, False)
        clock.now = spec.send_at
        await fire(redis, planner, spec)
        await made.step(block=False)
        sends.append((spec, clock.now))
    what = shipped_catalogs.gettext(locale, WHAT["treatment"])
    assert (locale == "en") == (what == WHAT["treatment"])  # translated where it should be
    [(_, detailed_text), (_, discreet_text)] = sender.sent
    assert what in detailed_text
    assert "Zanzibar House, 12 Main St" in detailed_text
    assert detailed_text == render_reminder(
        shipped_catalogs,
        locale,
        kind="treatment",
        starts=sends[0][0].occurrence,
        tz=NY,
        now=sends[0][1],
        detailed=True,
        place="Zanzibar House, 12 Main St",
    )
    assert what not in discreet_text
    assert "Zanzibar" not in discreet_text
    assert forbidden_in(discreet_text) == []
    assert discreet_text == render_reminder(
        shipped_catalogs,
        locale,
        kind="treatment",
        starts=sends[1][0].occurrence,
        tz=NY,
        now=sends[1][1],
    )
    await made._bucket.close()


async def test_weekly_reminders_schedule_the_next_week_after_sending(
    redis: Redis,
    planner: Planner,
    dispatcher: Dispatcher,
    sender: RecordingSender,
    conversations: RedisConversationStore,
    clock: FakeClock,
) -> None:
    """After this week's reminder goes, the same job id is planned for next week, at the same
    local time although DST starts in between (Mar 14 2027)."""
    contact = await make_parent(conversations)
    specs = await planner.add(visit(contact, repeat="weekly", kind="recovery_meeting"))
    first = specs[0]
    clock.now = first.send_at
    await fire(redis, planner, first)
    await dispatcher.step(block=False)
    assert len(sender.sent) == 1
    planned = await planner.scheduler.planned(first.job_id)
    assert planned is not None
    assert planned.astimezone(NY) == first.send_at.astimezone(NY) + timedelta(days=7)
    assert planned - first.send_at == timedelta(days=7, hours=-1)


async def test_cancelled_appointments_send_nothing(
    redis: Redis,
    planner: Planner,
    dispatcher: Dispatcher,
    sender: RecordingSender,
    conversations: RedisConversationStore,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Cancelling removes the jobs; an entry already due is dropped as gone."""
    contact = await make_parent(conversations)
    specs = await planner.add(visit(contact))
    await fire(redis, planner, specs[0])
    await planner.cancel(contact, "a1")
    assert await planner.scheduler.planned(specs[1].job_id) is None
    clock.now = specs[0].send_at
    await dispatcher.step(block=False)
    assert sender.sent == []
    assert outcomes(caplog) == ["gone"]
    assert await planner.upcoming(contact) == []


async def test_failed_deliveries_on_three_days_flag_the_care_team(
    redis: Redis,
    planner: Planner,
    dispatcher: Dispatcher,
    sender: RecordingSender,
    conversations: RedisConversationStore,
    clock: FakeClock,
) -> None:
    """Failures are recorded; the parent is not unsubscribed; the third day flags once."""
    contact = await make_parent(conversations)
    sender.fail = True
    specs = await planner.add(visit(contact, repeat="weekly"))
    for week in range(3):
        for spec in specs:
            due = JobSpec(
                spec.job_id,
                spec.send_at + timedelta(weeks=week),
                spec.occurrence + timedelta(weeks=week),
                spec.grace,
            )
            clock.now = due.send_at
            await fire(redis, planner, due)
            await dispatcher.step(block=False)
    session = await conversations.load(ADDRESS)
    assert session is not None
    assert session.status == "active"  # never an unsubscribe
    assert session.plan.flags["cant_reach"]
    raised = [e.event for e in await conversations.read_outbox() if e.type == "CantReach"]
    assert raised == [CantReach(failures=3, days=3)]  # once, though later ones failed too
    assert await planner.upcoming(contact) != []


async def test_a_sent_reminder_is_noted_so_the_parents_c_confirms_it(
    redis: Redis,
    planner: Planner,
    sender: RecordingSender,
    translator: Catalogs,
    conversations: RedisConversationStore,
    clock: FakeClock,
    cipher: Cipher,
    shipped_engine: Engine,
) -> None:
    """After sending, the session carries the reminder (engine.note_reminder); the parent's
    "C" then comes back as ReminderReplied, which marks the appointment confirmed."""
    made = await make_dispatcher(
        redis, planner, sender, translator, note_reminder=shipped_engine.note_reminder
    )
    contact = await make_parent(conversations)
    specs = await planner.add(visit(contact))
    clock.now = specs[0].send_at
    await fire(redis, planner, specs[0])
    await made.step(block=False)
    session = await conversations.load(ADDRESS)
    assert session is not None
    assert session.reminder is not None
    assert session.reminder["id"] == "a1"

    def reply(current: Session) -> tuple[Session, list[str], list[Event]]:
        result = shipped_engine.step(current, "C", clock.now + timedelta(minutes=5))
        return result.session, result.replies, result.events

    outcome = await conversations.transact(ADDRESS, "SM-reply", reply)
    assert outcome.events == [ReminderReplied("a1", "confirm")]
    intake = make_intake(redis, cipher, conversations, planner, sender, translator)
    await intake.ensure_group()
    assert await intake.step(block=False) == 1
    confirmed = await planner.store.get(contact, "a1")
    assert confirmed is not None
    assert confirmed.status == "confirmed"
    await made._bucket.close()
