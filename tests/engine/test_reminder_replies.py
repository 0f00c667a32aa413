"""Replies to a reminder (C, R, RIDE, NO REMINDERS) work mid-section, and the section resumes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.engine.events import AnswerChanged, HandoffRequested, ReminderReplied
from bot.engine.machine import Engine
from bot.engine.session import Session

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ONBOARDING = ["hi", "yes", "Jo", "1", "6/1/2027", "06103", "1", "no", "0"]


def mid_section(engine: Engine) -> Session:
    """A parent on the first question of the first fixture section."""
    session = Session()
    for text in ONBOARDING:
        session = engine.step(session, text, NOW).session
    assert session.flow == "alpha"
    assert session.step == "housing"
    return session


def reminded(engine: Engine, session: Session) -> Session:
    return engine.note_reminder(session, "appt-1", "visit", NOW + timedelta(days=1), NOW)


def test_confirm_mid_section_answers_the_reminder_and_resumes(fixture_engine: Engine) -> None:
    """C confirms the reminder, then the question the parent was on comes back."""
    session = reminded(fixture_engine, mid_section(fixture_engine))
    result = fixture_engine.step(session, "C", NOW + timedelta(hours=1))
    assert result.events == [ReminderReplied("appt-1", "confirm")]
    assert result.replies[0].startswith("Thanks, you're all set")
    assert "steady place to live" in result.replies[-1]
    assert result.session.step == "housing"
    assert result.session.reminder is None
    assert "alpha" not in result.session.plan.answers


def test_reschedule_and_ride_flag_the_team(fixture_engine: Engine) -> None:
    """R and RIDE promise that the team will be in touch: each raises a dashboard flag and a
    request to the on-call person (delivered by the care-team router); the section is
    untouched."""
    session = reminded(fixture_engine, mid_section(fixture_engine))
    rescheduled = fixture_engine.step(session, "r", NOW)
    assert rescheduled.events == [
        ReminderReplied("appt-1", "reschedule"),
        HandoffRequested("reschedule", "alpha", "housing"),
    ]
    assert "reschedule" in rescheduled.session.plan.flags
    assert "will text you" in rescheduled.replies[0]
    ride = fixture_engine.step(reminded(fixture_engine, rescheduled.session), "Ride!", NOW)
    assert ride.events == [
        ReminderReplied("appt-1", "ride"),
        HandoffRequested("ride", "alpha", "housing"),
    ]
    assert "ride" in ride.session.plan.flags
    assert "need a ride" in ride.replies[0]
    assert ride.session.step == "housing"


def test_c_without_a_waiting_reminder_is_an_ordinary_answer(fixture_engine: Engine) -> None:
    """With no reminder waiting (or one older than 3 days), C is just a wrong answer here."""
    session = mid_section(fixture_engine)
    plain = fixture_engine.step(session, "c", NOW)
    assert not plain.events
    assert plain.replies[0].startswith("Sorry, I didn't get that.")
    late = fixture_engine.step(reminded(fixture_engine, session), "c", NOW + timedelta(days=4))
    assert not late.events


def test_no_reminders_turns_them_off_and_keeps_the_plan(fixture_engine: Engine) -> None:
    """NO REMINDERS sets a preference (not a plan answer); REMINDERS ON clears it."""
    session = mid_section(fixture_engine)
    answered = fixture_engine.step(session, "2", NOW).session  # housing: not steady
    off = fixture_engine.step(answered, "no reminders", NOW)
    assert off.session.plan.prefs == {"reminders_off": True}
    assert off.session.plan.answers["alpha"] == {"housing": "unstable"}
    assert off.events == [ReminderReplied(None, "off")]
    assert "help finding a place" in off.replies[-1]
    on = fixture_engine.step(off.session, "Reminders on", NOW)
    assert on.session.plan.prefs == {}
    assert not any(isinstance(e, AnswerChanged) for e in on.events)


def test_stop_still_wins_over_a_waiting_reminder(fixture_engine: Engine) -> None:
    """STOP is checked first, even when a reminder waits for C."""
    session = reminded(fixture_engine, mid_section(fixture_engine))
    stopped = fixture_engine.step(session, "STOP", NOW)
    assert stopped.session.status == "opted_out"
    assert fixture_engine.step(stopped.session, "C", NOW).replies == []
