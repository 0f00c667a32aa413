"""The standard visit schedule (domain.md section 6) from a due date or birth date: PURE.

What is offered when ("it may be time to set up your next appointment"), one milestone per
series at a time, with a catch-up for a parent who joins late instead of dropping the past.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.reminders.rules import BEST_TIME_AT, Timing, allowed_neighbours, nearest_allowed, wall


@dataclass(frozen=True, slots=True)
class Milestone:
    """A visit the standard schedule expects. Offered ("time to book") on `offer_on`;
    after `closes` the next milestone of its series supersedes it."""

    key: str
    series: str
    kind: str
    visit_on: date
    offer_on: date
    closes: date


# Gestational weeks of routine prenatal visits: every 4 weeks to 28, every 2 to 36, weekly.
PRENATAL_WEEKS = (8, 12, 16, 20, 24, 28, 30, 32, 34, 36, 37, 38, 39)
# Well-baby visits (Bright Futures): 3-5 days, then by these ages in months.
BABY_MONTHS = (1, 2, 4, 6, 9, 12, 15, 18, 24, 30, 36)
_BOOKING_LEAD = timedelta(days=7)


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's end (Jan 31 + 1 month = Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    next_first = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_first - timedelta(days=1)).day))


def _series(
    name: str, kind: str, visits: list[tuple[str, date]], anchor: date, last_closes: date
) -> list[Milestone]:
    """Each visit offered a week ahead (not before `anchor`), open until the next one."""
    result = []
    for index, (key, visit_on) in enumerate(visits):
        closes = visits[index + 1][1] if index + 1 < len(visits) else last_closes
        offer_on = max(visit_on - _BOOKING_LEAD, anchor)
        result.append(Milestone(f"{name}-{key}", name, kind, visit_on, offer_on, closes))
    return result


def standard_schedule(*, due_date: date | None, birth_date: date | None) -> list[Milestone]:
    """Milestones from the baby's birth date, else prenatal ones from the due date.

    Postpartum and baby milestones come only from an actual birth date, never from a due
    date: a text about a baby's check-up must never reach someone whose pregnancy ended.
    """
    if birth_date is not None:
        b = birth_date
        day = timedelta(days=1)
        postpartum = [
            # Contact within 3 weeks; a late one still beats none until the full visit is due.
            Milestone(
                "postpartum-contact",
                "postpartum",
                "postpartum_visit",
                b + 14 * day,
                b + 5 * day,
                b + 42 * day,
            ),
            # The comprehensive visit, by 12 weeks.
            Milestone(
                "postpartum-visit",
                "postpartum",
                "postpartum_visit",
                b + 56 * day,
                b + 42 * day,
                b + 84 * day,
            ),
        ]
        visits = [("3d", b + 3 * day)] + [(f"{m}m", add_months(b, m)) for m in BABY_MONTHS]
        last = visits[-1][1] + timedelta(days=90)
        return postpartum + _series("baby", "baby_checkup", visits, b + day, last)
    if due_date is not None:
        visits = [(f"w{w}", due_date - timedelta(weeks=40 - w)) for w in PRENATAL_WEEKS]
        first = visits[0][1] - _BOOKING_LEAD
        return _series("prenatal", "prenatal_visit", visits, first, due_date)
    return []


def next_offers(
    schedule: Sequence[Milestone], offered: set[str] | frozenset[str], today: date
) -> list[tuple[Milestone, bool]]:
    """Per series, the first milestone not yet offered and not superseded, with whether it is
    a catch-up (its offer day has passed: a late joiner, or an offer missed while down).

    Past milestones are not silently dropped: the newest still-open one is offered at once.
    """
    chosen: dict[str, tuple[Milestone, bool]] = {}
    for milestone in sorted(schedule, key=lambda m: m.visit_on):
        if milestone.series in chosen or milestone.key in offered or milestone.closes <= today:
            continue
        chosen[milestone.series] = (milestone, milestone.offer_on < today)
    return list(chosen.values())


def offer_send_time(
    milestone: Milestone,
    catch_up: bool,
    now: datetime,
    tz: ZoneInfo,
    timing: Timing,
    *,
    best_time: str | None = None,
) -> datetime:
    """When to offer a milestone: its offer day at the best time; a catch-up at the next
    best-time slot from `now` (today if still ahead, else tomorrow); out of quiet hours."""
    at = BEST_TIME_AT.get(best_time or "", timing.rules_for(milestone.kind).day_before_at)
    day = milestone.offer_on
    if catch_up:
        day = now.astimezone(tz).date()
        if wall(day, at, tz) <= now:
            day += timedelta(days=1)
    send_at = nearest_allowed(wall(day, at, tz), tz, timing)
    if send_at <= now:
        soon = now + timedelta(minutes=5)
        around = allowed_neighbours(soon, tz, timing)
        send_at = soon if around is None else around[1]
    return send_at
