""" "Got it. We'll text you a reminder ..." is said only when one can go: after NO REMINDERS the
new reminder turns them back on, and a day and time already past (or too close for any
reminder before it) is asked again. On the shipped flows, as a parent texts them."""

from __future__ import annotations

from datetime import timedelta

from bot.engine.events import ReminderReplied, ReminderRequested
from bot.engine.machine import Engine, StepResult
from bot.engine.session import Session
from bot.reminders.prefs import suppression
from bot.reminders.rules import DEFAULT_KINDS, Timing
from tests.engine.test_plan_commands import NOW, engine, onboarded, send

__all__ = ["engine"]  # the module-scoped fixture, shared

# NOW is 10:00 in Hartford (ZIP 06103, America/New_York).


def remind(engine: Engine, session: Session, day: str, at: str) -> StepResult:
    """REMINDER, "treatment", the day, the time (and "just once" after it): the read-back,
    or the reply to the time when it is not kept."""
    for text in ("REMINDER", "4", day):
        session = send(engine, session, text).session
    timed = send(engine, session, at)
    return send(engine, timed.session, "1") if timed.session.step == "repeat" else timed


def test_a_new_reminder_after_no_reminders_turns_them_back_on(engine: Engine) -> None:
    session = send(engine, onboarded(engine), "NO REMINDERS").session
    assert suppression(session) == "reminders_off"
    readback = remind(engine, session, "tomorrow", "2pm")
    assert readback.session.mode == "readback"
    made = send(engine, readback.session, "yes")
    said = "\n".join(made.replies)
    # Tomorrow 2pm, a treatment visit: 2 hours before (the morning best time, 10am, is now).
    assert "We'll text you a reminder tomorrow around 12:00 PM." in said
    assert "reminders are back on" in said
    assert suppression(made.session) is None  # the dispatcher would send it
    kinds = [type(e) for e in made.events]
    assert kinds.index(ReminderRequested) < kinds.index(ReminderReplied)
    assert ReminderReplied(None, "on") in made.events


def test_reminders_left_on_say_nothing_more(engine: Engine) -> None:
    readback = remind(engine, onboarded(engine), "tomorrow", "2pm")
    made = send(engine, readback.session, "yes")
    assert "back on" not in "\n".join(made.replies)
    assert not any(isinstance(e, ReminderReplied) for e in made.events)


def test_a_time_already_past_today_is_asked_again(engine: Engine) -> None:
    """At 10am, "today" at 8am: not kept, said kindly, and the day asked again."""
    passed = remind(engine, onboarded(engine), "today", "8am")
    said = "\n".join(passed.replies)
    assert "That time has passed or is too soon for a reminder." in said
    assert "What day is it?" in said
    assert passed.session.step == "date"
    assert "time" not in passed.session.plan.answers.get("reminders", {})
    # Then a day and time with room for a reminder before it goes through.
    session = send(engine, passed.session, "today").session
    session = send(engine, session, "4pm").session
    readback = send(engine, session, "1")
    assert readback.session.mode == "readback"
    assert any(
        isinstance(e, ReminderRequested) for e in send(engine, readback.session, "yes").events
    )


def test_a_time_too_close_for_any_reminder_is_asked_again(engine: Engine) -> None:
    """At 10am, "today" at 11am: every reminder before it would be in the past."""
    close = remind(engine, onboarded(engine), "today", "11am")
    assert "too soon for a reminder" in "\n".join(close.replies)
    assert close.session.step == "date"


def test_a_time_that_goes_by_before_the_yes_is_asked_again(engine: Engine) -> None:
    readback = remind(engine, onboarded(engine), "today", "2pm")
    assert readback.session.mode == "readback"
    late = engine.step(readback.session, "yes", NOW + timedelta(hours=3))
    assert not any(isinstance(e, ReminderRequested) for e in late.events)
    assert "too soon for a reminder" in "\n".join(late.replies)
    assert late.session.step == "date"


def test_the_notice_leaves_room_for_the_hours_ahead_reminder_of_every_kind(engine: Engine) -> None:
    """The flow's notice is at least the longest hours-ahead lead and the reminders' own
    minimum notice, so a time it accepts can have a reminder before it."""
    step = engine.flows["reminders"].step("time")
    assert step.upcoming is not None
    longest = max(lead.hours for rules in DEFAULT_KINDS.values() for lead in rules.leads)
    assert step.upcoming.lead >= timedelta(hours=longest)
    assert step.upcoming.lead >= Timing().min_notice
