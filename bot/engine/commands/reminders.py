"""REMINDER (make one), C / R / RIDE (answer the one just texted), REMINDERS (the list; a
number cancels one), REMINDERS OFF / ON and DETAILED / SIMPLE REMINDERS."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.engine import messages as m
from bot.engine.events import (
    HandoffRequested,
    ReminderCancelRequested,
    ReminderReplied,
    RemindersListRequested,
)
from bot.engine.session import Session
from bot.engine.turn import Turn
from bot.engine.walker import Walker

# A reminder's C / R / RIDE are understood for this long after it was sent.
REMINDER_REPLY_WINDOW = timedelta(days=3)
_REPLIES = {
    "confirm": m.REMINDER_CONFIRMED,
    "reschedule": m.REMINDER_RESCHEDULE,
    "ride": m.REMINDER_RIDE,
}


def start_reminder(w: Walker, turn: Turn, argument: str = "") -> None:
    reminders = next((f for f in w.flows.flows.values() if f.kind == "reminders"), None)
    if reminders is None:
        w.menu(turn)
        return
    turn.session.plan.answers.pop(reminders.id, None)
    w.start_flow(turn, reminders)


def reminder_waiting(session: Session, now: datetime) -> bool:
    if session.reminder is None:
        return False
    sent = datetime.fromisoformat(str(session.reminder["sent_at"]))
    return now - sent <= REMINDER_REPLY_WINDOW


def reply(w: Walker, turn: Turn, argument: str = "", *, action: str) -> None:
    """Answer the waiting reminder, then go back to whatever the parent was doing."""
    session = turn.session
    reminder_id = str(session.reminder["id"]) if session.reminder else None
    turn.events.append(ReminderReplied(reminder_id, action))
    if action in ("reschedule", "ride"):
        # The reply promises that the team hears of it: the dashboard flag and an alert
        # to the on-call person (the request only, as for TALK).
        session.plan.flags[action] = turn.now.isoformat()
        turn.events.append(HandoffRequested(action, session.flow, session.step))
    session.reminder = None
    turn.say(_REPLIES[action])
    w.prompt(turn)


def switch(w: Walker, turn: Turn, argument: str = "", *, off: bool) -> None:
    """REMINDERS OFF / ON."""
    session = turn.session
    if off:
        session.plan.prefs["reminders_off"] = True
    else:
        session.plan.prefs.pop("reminders_off", None)
    turn.events.append(ReminderReplied(None, "off" if off else "on"))
    turn.say(m.REMINDERS_OFF if off else m.REMINDERS_ON)
    w.prompt(turn)


def list_reminders(w: Walker, turn: Turn, argument: str = "") -> None:
    """The reminders side texts the list (it knows what is coming); a number cancels one."""
    turn.events.append(RemindersListRequested())
    turn.session.listing = {"kind": "reminders", "items": []}


def cancel_listed(turn: Turn, number: int) -> None:
    turn.events.append(ReminderCancelRequested(number))


def detailed(w: Walker, turn: Turn, argument: str = "", *, on: bool) -> None:
    """DETAILED REMINDERS / SIMPLE REMINDERS (never detailed on a shared phone)."""
    prefs = turn.session.plan.prefs
    if on and turn.session.plan.shared_phone():
        turn.say(m.DETAILED_SHARED)
        w.prompt(turn)
        return
    if on:
        prefs["detailed_reminders"] = True
    else:
        prefs.pop("detailed_reminders", None)
    turn.say(m.DETAILED_ON if on else m.DETAILED_OFF)
    w.prompt(turn)
