"""Who a plan is about and what needs a look, in the team's plain English words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot.engine.events import HELP_FLAG
from bot.engine.session import Session
from bot.reminders.prefs import profile

# plan.flags keys, in the order a member should look at them.
FLAG_LABELS: Mapping[str, str] = {
    "crisis": "Crisis words",
    "handoff": "Asked for a person",
    HELP_FLAG: "Asked to be reached privately",
    "cant_reach": "Can't reach",
    "reschedule": "Wants to reschedule",
    "ride": "Needs a ride",
}


@dataclass(frozen=True, slots=True)
class Flag:
    name: str
    at: datetime

    @property
    def label(self) -> str:
        return FLAG_LABELS.get(self.name, self.name.replace("_", " ").capitalize())


@dataclass(frozen=True, slots=True)
class About:
    name: str
    stage: str | None
    due_date: date | None
    birth_date: date | None

    def baby_line(self, today: date) -> str:
        """ "Due March 14, 2026 (in 5 weeks)" or "Baby born March 1, 2026 (3 weeks old)"."""
        if self.birth_date is not None and self.stage != "pregnant":
            return f"Baby born {long_date(self.birth_date)} ({age(self.birth_date, today)})"
        if self.due_date is not None:
            return f"Due {long_date(self.due_date)} ({until(self.due_date, today)})"
        return "Due date not given yet"


def about(session: Session) -> About:
    answers = session.plan.answers.get("onboarding", {})
    name = answers.get("name")
    stage = answers.get("stage")
    dates = profile(session, "UTC")  # the dates as reminders read them; the zone is unused
    return About(
        name=name.strip() if isinstance(name, str) and name.strip() else "(no name yet)",
        stage=stage if isinstance(stage, str) else None,
        due_date=dates.due_date,
        birth_date=dates.birth_date,
    )


def flags_of(session: Session) -> tuple[Flag, ...]:
    """The plan's flags, newest first. A TALK the engine marked only on the session (older
    sessions) counts as a handoff flag raised when the parent was last seen."""
    found = {name: when for name, raw in session.plan.flags.items() if (when := _time(raw))}
    if session.handoff and "handoff" not in found:
        seen = _time(session.last_seen)
        if seen is not None:
            found["handoff"] = seen
    return tuple(sorted((Flag(n, t) for n, t in found.items()), key=lambda f: f.at, reverse=True))


def last_seen(session: Session) -> datetime | None:
    return _time(session.last_seen)


def long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def short_time(moment: datetime) -> str:
    """ "Mar 3, 2:05 PM" in the zone `moment` carries."""
    hour = moment.hour % 12 or 12
    return (
        f"{moment:%b} {moment.day}, {hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"
    )


def age(born: date, today: date) -> str:
    days = (today - born).days
    if days < 0:
        return "birth date ahead"
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''} old"
    if days < 8 * 7:
        return f"{days // 7} weeks old"
    months = (today.year - born.year) * 12 + today.month - born.month - (today.day < born.day)
    return f"{months} months old"


def until(due: date, today: date) -> str:
    days = (due - today).days
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} ago"
    if days < 14:
        return "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    return f"in {days // 7} weeks"


def _time(value: object) -> datetime | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
