"""The one owner of "today": the parent's local date, from their time zone (set from their ZIP
code), else the program's DEFAULT_TIMEZONE. Pure: the instant and the default come in."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FALLBACK_TIMEZONE = "America/New_York"


def zone(name: str | None, default: str) -> ZoneInfo:
    """The parent's zone (from their ZIP code), else the program default."""
    for candidate in (name, default):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo(FALLBACK_TIMEZONE)


def local_today(now: datetime, timezone: str | None, default: str) -> date:
    """The calendar date it is for the parent at `now` (an aware instant)."""
    return now.astimezone(zone(timezone, default)).date()
