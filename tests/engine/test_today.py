"""One owner of "today": the parent's local date (their zone, else DEFAULT_TIMEZONE), never the
UTC date. At 21:00 in New York it is already tomorrow in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.engine.machine import Engine, EngineSettings
from bot.engine.session import Session
from bot.engine.today import local_today
from bot.flows import build_engine
from tests.conftest import FIXTURE_FLOWS

# 21:00 on March 9 2026 in New York (EDT, UTC-4) is 01:00 on March 10 in UTC.
NINE_PM_NEW_YORK = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
NEW_YORK_DATE = date(2026, 3, 9)


def birth_date_answered_today(engine: Engine, timezone: str | None) -> object:
    session = Session(timezone=timezone)
    for text in ("hi", "yes", "Sam", "born"):
        session = engine.step(session, text, NINE_PM_NEW_YORK).session
    assert session.step == "birth_date"
    session = engine.step(session, "today", NINE_PM_NEW_YORK).session
    return session.plan.answers["onboarding"]["birth_date"]


def test_today_at_9_pm_in_new_york_stores_the_new_york_date(fixture_engine: Engine) -> None:
    answer = birth_date_answered_today(fixture_engine, "America/New_York")
    assert answer == NEW_YORK_DATE.isoformat()


def test_without_a_zone_today_is_the_default_timezone_date() -> None:
    """The birth date is asked before the ZIP code, so the parent has no zone yet:
    DEFAULT_TIMEZONE decides (the UTC date, March 10, was stored before)."""
    new_york = build_engine(flows_dir=FIXTURE_FLOWS)
    assert new_york.settings.default_timezone == "America/New_York"
    assert birth_date_answered_today(new_york, None) == NEW_YORK_DATE.isoformat()


def test_local_today_uses_the_parent_zone_then_the_default() -> None:
    assert local_today(NINE_PM_NEW_YORK, None, "America/New_York") == NEW_YORK_DATE
    assert local_today(NINE_PM_NEW_YORK, "Pacific/Auckland", "America/New_York") == date(
        2026, 3, 10
    )
    assert local_today(NINE_PM_NEW_YORK, "Not/AZone", "America/Denver") == NEW_YORK_DATE
    assert EngineSettings().default_timezone == "America/New_York"
