"""Whether a due reminder still goes out when it runs; the send-time rules it shares.

The send times themselves (lead times, quiet hours, best time, DST) live in
bot/engine/reminder_times.py, so the engine promises exactly the times the planner schedules;
they are named here too for the reminder modules that always took them from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.engine.reminder_times import (
    BEST_TIME_AT,
    DAY_BEFORE,
    DEFAULT_KINDS,
    KINDS,
    LOOKAHEAD_WEEKS,
    OFFER_GRACE,
    OFFER_LEAD,
    PART2_KINDS,
    Kind,
    KindRules,
    Lead,
    PlannedSend,
    QuietHours,
    Repeat,
    Timing,
    allowed_neighbours,
    hours_before,
    is_allowed,
    is_quiet,
    nearest_allowed,
    next_sends,
    occurrences,
    sends_for,
    wall,
)

__all__ = [
    "BEST_TIME_AT",
    "DAY_BEFORE",
    "DEFAULT_KINDS",
    "KINDS",
    "LOOKAHEAD_WEEKS",
    "OFFER_GRACE",
    "OFFER_LEAD",
    "PART2_KINDS",
    "Drop",
    "Kind",
    "KindRules",
    "Lead",
    "PlannedSend",
    "QuietHours",
    "Repeat",
    "Send",
    "Timing",
    "allowed_neighbours",
    "decide",
    "hours_before",
    "is_allowed",
    "is_quiet",
    "nearest_allowed",
    "next_sends",
    "occurrences",
    "sends_for",
    "wall",
]


@dataclass(frozen=True, slots=True)
class Send:
    """Send it now."""


@dataclass(frozen=True, slots=True)
class Drop:
    """Do not send; `reason` goes to the log."""

    reason: str


def decide(
    now: datetime,
    planned: datetime,
    occurrence: datetime,
    grace: timedelta,
    tz: ZoneInfo,
    timing: Timing,
) -> Send | Drop:
    """Whether a due reminder still goes out at `now` (it may run late after an outage)."""
    if now - planned > grace:
        return Drop("missed_grace")
    if now >= occurrence - timing.late_cutoff:
        return Drop("too_late")
    if is_quiet(now, tz, timing.quiet):
        return Drop("quiet_hours")
    return Send()
