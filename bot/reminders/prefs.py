"""What a parent's session says about reminders: may we text, in which zone, how discreetly.

Pure and depending only on bot.engine.session, so the engine can use (or copy) it: the
engine must not import the rest of bot.reminders.

The parent's reminder choices live in `plan.prefs` (choices that are not plan answers, so
no care-team delivery or consent rule picks them up):
- `"reminders_off": true`       NO REMINDERS (the engine sets it; REMINDERS ON removes it).
- `"detailed_reminders": true`  the parent chose detailed reminders (kind and place shown).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.engine.session import Plan, Session
from bot.engine.today import zone

OFF = "reminders_off"
DETAILED = "detailed_reminders"


def suppression(session: Session | None) -> str | None:
    """Why nothing may be sent to this contact now, or None when reminders may go.

    Checked at dispatch, right before sending, so STOP wins instantly over anything queued.
    """
    if session is None:
        return "unknown_contact"
    if session.status == "opted_out":
        return "opted_out"
    if session.status != "active":
        # "new" never said yes to texts; "declined" said no.
        return f"status_{session.status}"
    if reminders_off(session.plan):
        return "reminders_off"
    return None


def reminders_off(plan: Plan) -> bool:
    return bool(plan.prefs.get(OFF, False))


def wants_detail(plan: Plan) -> bool:
    """Detailed texts only on an explicit choice; discreet is the default for every phone,
    and the only way on a shared phone (onboarding's answer, or PRIVATE ON)."""
    return plan.prefs.get(DETAILED) is True and not plan.shared_phone()


def set_detailed(plan: Plan, detailed: bool) -> None:
    """For the engine's future "detailed reminders" choice; off removes the key."""
    if detailed:
        plan.prefs[DETAILED] = True
    else:
        plan.prefs.pop(DETAILED, None)


@dataclass(frozen=True, slots=True)
class Profile:
    """What scheduling and wording need from a session."""

    locale: str
    tz: ZoneInfo
    best_time: str | None
    detailed: bool
    due_date: date | None
    birth_date: date | None


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def profile(session: Session | None, default_timezone: str) -> Profile:
    if session is None:
        return Profile("en", zone(None, default_timezone), None, False, None, None)
    onboarding = session.plan.answers.get("onboarding", {})
    stage = onboarding.get("stage")
    best = onboarding.get("best_time")
    return Profile(
        locale=session.locale,
        tz=zone(session.timezone, default_timezone),
        best_time=best if isinstance(best, str) else None,
        detailed=wants_detail(session.plan),
        due_date=_date(onboarding.get("due_date")) if stage != "born" else None,
        birth_date=_date(onboarding.get("birth_date")) if stage != "pregnant" else None,
    )
