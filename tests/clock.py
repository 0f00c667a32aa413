"""The tests' fixed instant: no test reads the wall clock. A weekday afternoon in UTC that is
still the same date in every US zone, away from daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

NOW = datetime(2026, 4, 15, 18, 30, tzinfo=UTC)


def fixed(at: datetime = NOW) -> datetime:
    return at


class MovableClock:
    """A clock tests move by hand; `clock()` is "now" for the code under test."""

    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta
