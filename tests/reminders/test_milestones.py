"""The standard schedule: milestones from the plan's dates, offers, catch-up for late joiners."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.reminders.milestones import next_offers, offer_send_time, standard_schedule
from bot.reminders.rules import Timing

NY = ZoneInfo("America/New_York")
EXACT = Timing(jitter=timedelta(0))


def local(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def test_schedule_from_birth_date_follows_bright_futures() -> None:
    """Postpartum contact within 3 weeks, then baby visits at 3-5 days, 1, 2, 4 ... months."""
    born = date(2027, 1, 31)
    keys = {m.key: m for m in standard_schedule(due_date=None, birth_date=born)}
    assert keys["postpartum-contact"].visit_on <= born + timedelta(weeks=3)
    assert keys["postpartum-visit"].closes == born + timedelta(weeks=12)
    assert keys["baby-3d"].visit_on == date(2027, 2, 3)
    assert keys["baby-1m"].visit_on == date(2027, 2, 28)  # clamped month end
    assert keys["baby-2m"].visit_on == date(2027, 3, 31)
    assert [k for k in keys if k.startswith("baby-")][-1] == "baby-36m"


def test_due_date_gives_prenatal_offers_only() -> None:
    """Never a baby or postpartum text from a due date alone (the pregnancy may have ended)."""
    schedule = standard_schedule(due_date=date(2027, 6, 1), birth_date=None)
    assert {m.series for m in schedule} == {"prenatal"}
    assert schedule[-1].closes == date(2027, 6, 1)


def test_late_joiner_gets_one_catch_up_per_series() -> None:
    """Joining at 10 weeks postpartum: the still-open visits are offered now, not dropped."""
    born = date(2027, 1, 1)
    schedule = standard_schedule(due_date=None, birth_date=born)
    picked = {m.key: catch_up for m, catch_up in next_offers(schedule, set(), date(2027, 3, 12))}
    assert picked == {"postpartum-visit": True, "baby-2m": True}
    # Once offered, the next one in each series waits for its own day.
    later = next_offers(schedule, {"postpartum-visit", "baby-2m"}, date(2027, 3, 12))
    assert {(m.key, c) for m, c in later} == {("baby-4m", False)}


def test_changing_the_birth_date_moves_the_offers() -> None:
    """A corrected birth date shifts what depends on it."""
    first = standard_schedule(due_date=None, birth_date=date(2027, 1, 1))
    moved = standard_schedule(due_date=None, birth_date=date(2027, 1, 15))
    assert [m.key for m in first] == [m.key for m in moved]
    assert all(
        b.offer_on - a.offer_on >= timedelta(days=13) for a, b in zip(first, moved, strict=True)
    )


def test_catch_up_offer_goes_at_the_next_best_time_slot() -> None:
    """A catch-up goes at today's best-time slot if still ahead, else tomorrow's."""
    milestone = standard_schedule(due_date=None, birth_date=date(2027, 1, 1))[1]
    morning = datetime(2027, 3, 12, 13, 0, tzinfo=UTC)  # 08:00 EST
    when = offer_send_time(milestone, True, morning, NY, EXACT, best_time="morning")
    assert local(when, NY) == "2027-03-12 10:00 EST"
    night = datetime(2027, 3, 13, 3, 0, tzinfo=UTC)  # 22:00 EST
    when = offer_send_time(milestone, True, night, NY, EXACT, best_time="evening")
    assert local(when, NY) == "2027-03-13 18:00 EST"
