"""One plan as the facts a program report counts: flags, counts, windows; nothing that names.

`facts_of` keeps no name, phone, ZIP code, birth or due date, answer or need note: only
whether things happened, how many, and whether they happened in time. The one calendar date
kept is the day the parent enrolled, which the report needs to pick its period; it never
leaves the report except as a count.

Definitions (days are the parent's own calendar days, in their timezone when known):

- started prenatally / after birth: enrolled before the baby's birth date, or on or after
  it; with no birth date yet, what the parent said at onboarding (pregnant or born).
- by 36 weeks: plan sections confirmed on or before 36 weeks of pregnancy, that is 28 days
  before the due date. Counted once that day has passed; no due date, not counted.
- by discharge: sections confirmed on or before discharge. The plan holds no discharge
  date, so the baby's birth date stands in for it (a hospital stay after birth makes this
  stricter than the real thing). Only plans with a birth date are counted.
- postpartum contact by 3 weeks: a confirmed `postpartum_visit` appointment (reminders; the
  parent replied C) on a day within 21 days after birth, or the plan's own "I had my
  check-up" answer confirmed within those 21 days.
- first pediatric visit within 72 hours: a confirmed `baby_checkup` appointment, or a baby
  check-up date on the plan, within 3 days after birth (days, not hours: the data holds
  dates). As with discharge, the birth date stands in for going home.

A window is "met", "missed" (closed without), "open" (not closed yet) or "unknown" (no birth
date). Appointments live with reminders, not in the plan: without them (`visits` empty) the
two visit measures rest on the plan's answers alone and undercount.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.engine.session import NEED_STATUSES, Session
from bot.engine.today import FALLBACK_TIMEZONE
from bot.engine.today import zone as today_zone

# The eight parts of the plan (conversations/*.yaml of kind "section"; a test keeps them in step).
PLAN_SECTIONS: tuple[str, ...] = (
    "basic_needs",
    "health",
    "birth",
    "recovery",
    "baby",
    "family_support",
    "safety",
    "care_team",
)
WEEK_36_BEFORE_DUE = timedelta(days=28)
POSTPARTUM_DAYS = 21
PEDIATRIC_DAYS = 3
POSTPARTUM_KIND = "postpartum_visit"
PEDIATRIC_KIND = "baby_checkup"
_PEDIATRIC_STEPS = ("first_checkup", "next_checkup")

Started = Literal["prenatally", "after_birth", "unknown"]
Window = Literal["met", "missed", "open", "unknown"]
STARTED: tuple[Started, ...] = ("prenatally", "after_birth", "unknown")


@dataclass(frozen=True, slots=True)
class Visit:
    """An appointment as the report needs it: what kind, which day, confirmed or not."""

    kind: str
    day: date
    confirmed: bool


@dataclass(frozen=True, slots=True)
class PlanFacts:
    """What one plan contributes to the counts; see the module docstring."""

    enrolled_on: date | None  # None: never enrolled (no yes to texts), so never counted
    started: Started
    sections_done: int
    sections_total: int
    by_36_weeks: int | None  # sections confirmed by then; None: not measurable (yet)
    by_discharge: int | None  # likewise, by the birth date
    needs: tuple[tuple[str, str], ...]  # (kind, status), sorted
    postpartum_contact: Window
    pediatric_visit: Window
    opted_out: bool


def facts_of(
    session: Session,
    *,
    as_of: date,
    visits: Iterable[Visit] = (),
    sections: Collection[str] = PLAN_SECTIONS,
    default_timezone: str = FALLBACK_TIMEZONE,
) -> PlanFacts:
    """The facts of one plan as of a day (the day the report is made); a plan's days are the
    parent's local days (their zone, else the program's default)."""
    plan = session.plan
    zone = today_zone(session.timezone, default_timezone)
    about = plan.answers.get("onboarding", {})
    birth = _day(about.get("birth_date"))
    due = _day(about.get("due_date"))
    enrolled = _local_day(plan.enrolled_at, zone)
    done = {s: d for s in sections if (d := _local_day(plan.completed_at.get(s), zone))}
    shown = list(visits)
    return PlanFacts(
        enrolled_on=enrolled,
        started=_started(enrolled, birth, about.get("stage")),
        sections_done=len(done),
        sections_total=len(sections),
        by_36_weeks=_done_by(done, due - WEEK_36_BEFORE_DUE if due else None, as_of),
        by_discharge=_done_by(done, birth, as_of),
        needs=tuple(
            sorted(
                (str(n["kind"]), str(n["status"]))
                for n in plan.needs.values()
                if n.get("status") in NEED_STATUSES
            )
        ),
        postpartum_contact=_window(
            birth, POSTPARTUM_DAYS, as_of, _postpartum_days(shown, plan.answers, done)
        ),
        pediatric_visit=_window(birth, PEDIATRIC_DAYS, as_of, _pediatric_days(shown, plan.answers)),
        opted_out=session.status == "opted_out",
    )


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _local_day(stamp: Any, zone: ZoneInfo) -> date | None:
    """The calendar day of an ISO time, in the parent's zone (else the program's)."""
    if not isinstance(stamp, str):
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.date()


def _started(enrolled: date | None, birth: date | None, stage: Any) -> Started:
    if enrolled is not None and birth is not None:
        return "prenatally" if enrolled < birth else "after_birth"
    if stage == "pregnant":
        return "prenatally"
    if stage == "born":
        return "after_birth"
    return "unknown"


def _done_by(done: Mapping[str, date], deadline: date | None, as_of: date) -> int | None:
    if deadline is None or deadline > as_of:
        return None
    return sum(1 for day in done.values() if day <= deadline)


def _window(birth: date | None, days: int, as_of: date, happened: Iterable[date]) -> Window:
    """Whether something happened within `days` after birth (and by `as_of`)."""
    if birth is None or birth > as_of:
        return "unknown"
    end = birth + timedelta(days=days)
    if any(birth <= day <= min(end, as_of) for day in happened):
        return "met"
    return "missed" if as_of > end else "open"


def _postpartum_days(
    visits: Iterable[Visit],
    answers: Mapping[str, Mapping[str, Any]],
    done: Mapping[str, date],
) -> list[date]:
    days = [v.day for v in visits if v.kind == POSTPARTUM_KIND and v.confirmed]
    # "Yes, I had one": the check-up happened by the day the parent confirmed the section.
    if answers.get("health", {}).get("postpartum_visit") == "had_visit" and "health" in done:
        days.append(done["health"])
    return days


def _pediatric_days(
    visits: Iterable[Visit], answers: Mapping[str, Mapping[str, Any]]
) -> list[date]:
    days = [v.day for v in visits if v.kind == PEDIATRIC_KIND and v.confirmed]
    baby = answers.get("baby", {})
    days += [d for step in _PEDIATRIC_STEPS if (d := _day(baby.get(step))) is not None]
    return days
