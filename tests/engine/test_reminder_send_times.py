"""Every reminder the engine promises goes out before the day and time, outside quiet hours
(20:00-09:00 in the parent's own zone), and the promise says when: the engine works the
times out with the planner's own rules (bot/engine/reminder_times.py). A day and time no
reminder can reach in time is refused at the answer, saying why. The clock is fixed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.engine.events import ReminderRequested
from bot.engine.machine import Engine, StepResult
from bot.engine.reminder_times import QuietHours, Timing, is_allowed, next_sends, wall
from bot.engine.session import Session
from bot.flows import build_engine
from bot.reminders.intake import appointment_from_request
from bot.reminders.planner import began
from tests.engine.test_plan_commands import NOW, engine, onboarded, send

__all__ = ["engine"]  # the module-scoped fixture, shared

# NOW is Monday 2026-11-23, 10:00 in Hartford (America/New_York); best time "morning".
NY = ZoneInfo("America/New_York")
QUIET = QuietHours(time(20, 0), time(9, 0))
NO_TIME = (
    "We can't text you a reminder in time for that. We don't send texts from 8:00 PM to 9:00 AM."
)
KINDS = {"prenatal": "1", "treatment": "4"}  # the flow's choice numbers


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    return wall(day, time(hour, minute), NY)


def answer(
    engine: Engine, session: Session, day: str, at: str, *, kind: str = "4", now: datetime = NOW
) -> StepResult:
    """REMINDER, the kind, the day and the time: the reply to the time."""
    for text in ("REMINDER", kind, day):
        session = send(engine, session, text, now).session
    return send(engine, session, at, now)


def made(
    engine: Engine, session: Session, day: str, at: str, *, kind: str = "4", now: datetime = NOW
) -> StepResult:
    """The whole flow, "just once", and yes: the promise and the event."""
    timed = answer(engine, session, day, at, kind=kind, now=now)
    assert timed.session.step == "repeat", timed.replies
    readback = send(engine, timed.session, "1", now)
    return send(engine, readback.session, "yes", now)


def planned(result: StepResult, now: datetime, tz: ZoneInfo = NY) -> list[datetime]:
    """What the planner schedules for the event (bot/reminders/planner.specs_for, with its
    jitter), from the engine's ReminderRequested as the intake reads it."""
    [event] = [e for e in result.events if isinstance(e, ReminderRequested)]
    appointment = appointment_from_request("1-0", "{c:0}", event.answers, now)
    assert appointment is not None
    best = result.session.plan.answer("onboarding", "best_time")
    sends = next_sends(
        appointment.starts(tz),
        appointment.kind,
        tz,
        now,
        Timing(),
        best_time=str(best),
        key=f"{appointment.contact}:{appointment.id}",
        since=began(appointment),
    )
    return [s.send_at for s in sends]


def test_an_early_appointment_gets_its_reminder_the_evening_before(engine: Engine) -> None:
    """8:30 am: 3 hours before is 5:30 am, in quiet hours, and 9 am is too late. The reminder
    goes the evening before at the last allowed time, and the parent is told so."""
    result = made(engine, onboarded(engine), "tomorrow", "8:30am", kind=KINDS["prenatal"])
    assert result.replies[0].startswith("Got it. We'll text you a reminder today around 7:45 PM.")
    [sent] = planned(result, NOW)
    assert sent == at_local(date(2026, 11, 23), 19, 45)


def test_an_appointment_inside_quiet_hours_is_reminded_before_them(engine: Engine) -> None:
    """A 6 am appointment: the reminder goes the evening before, never in the night."""
    result = made(engine, onboarded(engine), "tomorrow", "6am")
    assert "today around 7:45 PM." in result.replies[0]
    assert planned(result, NOW) == [at_local(date(2026, 11, 23), 19, 45)]


def test_two_reminders_are_both_named(engine: Engine) -> None:
    """Wednesday 10 am, best time "morning": Tuesday at 10 am and Wednesday at 9 am (3 hours
    before would be 7 am, in quiet hours; 9 am still leaves time to get there)."""
    result = made(engine, onboarded(engine), "11/25", "10am", kind=KINDS["prenatal"])
    assert result.replies[0].startswith(
        "Got it. We'll text you a reminder tomorrow around 10:00 AM, "
        "and another on Wed, Nov 25 around 9:00 AM."
    )
    sends = planned(result, NOW)
    assert [s.astimezone(NY).strftime("%a %H") for s in sends] == ["Tue 10", "Wed 09"]


def test_no_time_left_is_said_at_the_answer(engine: Engine) -> None:
    """At 7:50 pm, tomorrow 8:30 am: the last allowed time tonight (7:45 pm) has gone and
    9 am is too late. Said at the time's answer, before any yes, and the day asked again."""
    evening = at_local(date(2026, 11, 23), 19, 50)
    refused = answer(engine, onboarded(engine), "tomorrow", "8:30am", now=evening)
    said = "\n".join(refused.replies)
    assert NO_TIME in said
    assert "What day is it?" in said
    assert refused.session.step == "date"
    assert "time" not in refused.session.plan.answers.get("reminders", {})
    # The same morning a day later has room: tomorrow evening.
    session = send(engine, refused.session, "11/25", evening).session
    assert send(engine, session, "8:30am", evening).session.step == "repeat"


def test_a_promise_gone_by_the_yes_is_not_made(engine: Engine) -> None:
    """The read-back at 7:30 pm would promise 7:45 pm; a yes at 7:50 pm promises nothing
    and says why."""
    evening = at_local(date(2026, 11, 23), 19, 30)
    timed = answer(engine, onboarded(engine), "tomorrow", "8:30am", now=evening)
    readback = send(engine, timed.session, "1", evening)
    late = send(engine, readback.session, "yes", evening + timedelta(minutes=20))
    assert not any(isinstance(e, ReminderRequested) for e in late.events)
    assert NO_TIME in "\n".join(late.replies)
    assert late.session.step == "date"


def test_times_are_the_parents_own(engine: Engine) -> None:
    """A parent in Los Angeles: quiet hours and the promise are in Pacific time."""
    session = onboarded(engine)
    session.timezone = "America/Los_Angeles"
    la = ZoneInfo("America/Los_Angeles")
    # It is 7 am there. 2 pm tomorrow, a treatment visit: the day before at the morning
    # best time (10 am Pacific, still ahead) and 2 hours before, noon Pacific.
    result = made(engine, session, "tomorrow", "2pm")
    assert result.replies[0].startswith(
        "Got it. We'll text you a reminder today around 10:00 AM, "
        "and another tomorrow around 12:00 PM."
    )
    sends = planned(result, NOW, la)
    assert [s.astimezone(la).strftime("%a %H") for s in sends] == ["Mon 10", "Tue 12"]


def test_the_day_before_reminder_moves_out_of_quiet_hours() -> None:
    """With quiet hours from 5 pm, "the day before" at the evening best time (6 pm) would be
    quiet: it goes at 4:45 pm instead, and the promise says so."""
    early = build_engine(quiet_hours="17:00-09:00")
    session = onboarded(early)
    session.plan.answers["onboarding"]["best_time"] = "evening"
    result = made(early, session, "11/25", "9:30am", kind=KINDS["prenatal"])
    assert result.replies[0].startswith("Got it. We'll text you a reminder tomorrow around 4:45 PM")


@pytest.mark.parametrize("kind", KINDS.values())
@pytest.mark.parametrize("clock", ["07:00", "10:00", "14:00", "18:00", "19:50"])
def test_every_promised_reminder_is_scheduled_as_said(
    engine: Engine, kind: str, clock: str
) -> None:
    """Any appointment time, from any time of day: either refused at the answer, or every
        promised reminder is the planner's (give or take its jitter), outside quiet hours, at
        least 30 minutes before the appointment, and named in the parent's words. (At 7:50 pm,
    13 of the 32 times tomorrow are refused: the morning ones.)"""
    now = datetime.combine(date(2026, 11, 23), time.fromisoformat(clock), NY)
    for slot in range(0, 24 * 60, 45):
        at = time(slot // 60, slot % 60).strftime("%-I:%M%p").lower()  # "1:30am"
        timed = answer(engine, onboarded(engine), "tomorrow", at, kind=kind, now=now)
        if timed.session.step != "repeat":
            assert any(NO_TIME in r or "too soon for a reminder" in r for r in timed.replies), (
                timed.replies
            )
            continue
        readback = send(engine, timed.session, "1", now)
        result = send(engine, readback.session, "yes", now)
        [event] = [e for e in result.events if isinstance(e, ReminderRequested)]
        starts = wall(event.answers["date"], event.answers["time"], NY)
        assert starts == at_local(date(2026, 11, 24), slot // 60, slot % 60)
        sends = planned(result, now)
        assert sends, at
        for sent in sends:
            assert now < sent <= starts - timedelta(minutes=30), at
            assert not QUIET.contains(sent.astimezone(NY).time()), at
            assert is_allowed(sent, NY, Timing())
            shown = sent.astimezone(NY) - timedelta(minutes=sent.astimezone(NY).minute % 15)
            assert f"around {shown:%-I:%M %p}" in result.replies[0], (at, result.replies)
        assert result.replies[0].count("around") == len(sends)


def test_the_promise_is_discreet(engine: Engine) -> None:
    """The promise shows on a lock screen: it names no kind of visit."""
    result = made(engine, onboarded(engine), "tomorrow", "2pm")
    promise = result.replies[0].split("\n")[0].lower()
    for word in ("treatment", "counseling", "recovery", "prenatal", "baby", "clinic"):
        assert word not in promise
