"""Send times: lead times, DST (2027), quiet hours, best time, jitter, grace at dispatch."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.reminders.rules import (
    DAY_BEFORE,
    KINDS,
    LOOKAHEAD_WEEKS,
    Drop,
    KindRules,
    QuietHours,
    Send,
    Timing,
    decide,
    hours_before,
    is_quiet,
    next_sends,
    occurrences,
    sends_for,
    wall,
)

NY = ZoneInfo("America/New_York")
DENVER = ZoneInfo("America/Denver")
# No jitter: exact times are what these tests check (jitter has its own test).
EXACT = Timing(jitter=timedelta(0))
# No quiet hours either: shows the raw lead arithmetic.
RAW = Timing(quiet=QuietHours(time(0), time(0)), jitter=timedelta(0))


def local(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def sends(
    day: date, at: time, tz: ZoneInfo, timing: Timing = EXACT, best_time: str | None = None
) -> dict[str, str]:
    result = sends_for(wall(day, at, tz), "other", tz, timing, best_time=best_time)
    return {lead: local(when, tz) for lead, when in result.items()}


# ---- DST -------------------------------------------------------------------------------


def test_spring_forward_new_york() -> None:
    """Mar 14 2027: the day before is in EST, the morning one in EDT, each at its wall time."""
    assert sends(date(2027, 3, 14), time(10, 30), NY) == {
        "day_before": "2027-03-13 18:00 EST",
        # 3 h before 10:30 is 07:30, in quiet hours: moved to 09:00, not dropped.
        "3h": "2027-03-14 09:00 EDT",
    }


def test_fall_back_new_york() -> None:
    """Nov 7 2027: the day before is in EDT, the same-day one in EST."""
    assert sends(date(2027, 11, 7), time(14, 0), NY) == {
        "day_before": "2027-11-06 18:00 EDT",
        "3h": "2027-11-07 11:00 EST",
    }


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 3, 14), {"day_before": "2027-03-13 18:00 MST", "3h": "2027-03-14 12:00 MDT"}),
        (date(2027, 11, 7), {"day_before": "2027-11-06 18:00 MDT", "3h": "2027-11-07 12:00 MST"}),
    ],
)
def test_denver_across_both_changes(day: date, expected: dict[str, str]) -> None:
    """The same rules in Mountain time, on both 2027 change days."""
    assert sends(day, time(15, 0), DENVER) == expected


def test_hours_before_are_elapsed_hours_across_the_change() -> None:
    """3 h before 05:30 EDT on Mar 14 is 01:30 EST (3 real hours), not 02:30 wall time."""
    occurrence = wall(date(2027, 3, 14), time(5, 30), NY)
    result = sends_for(occurrence, "other", NY, RAW)
    assert occurrence - result["3h"] == timedelta(hours=3)
    assert local(result["3h"], NY) == "2027-03-14 01:30 EST"
    fall = wall(date(2027, 11, 7), time(3, 0), NY)
    assert fall - sends_for(fall, "other", NY, RAW)["3h"] == timedelta(hours=3)


def test_weekly_keeps_its_wall_time_across_dst() -> None:
    """A Tuesday 7 PM meeting stays at 7 PM local; its UTC time moves by an hour."""
    starts = list(occurrences(date(2027, 11, 2), time(19, 0), "weekly", DENVER))[:2]
    assert [local(s, DENVER) for s in starts] == ["2027-11-02 19:00 MDT", "2027-11-09 19:00 MST"]
    assert starts[1] - starts[0] == timedelta(days=7, hours=1)


def test_weekly_next_sends_move_to_the_next_occurrence() -> None:
    """After this week's reminders, each lead's next one is next week's."""
    starts = list(occurrences(date(2027, 11, 2), time(19, 0), "weekly", DENVER))
    after_this_week = wall(date(2027, 11, 2), time(18, 0), DENVER)
    planned = next_sends(starts, "recovery_meeting", DENVER, after_this_week, EXACT)
    assert {p.lead: local(p.send_at, DENVER) for p in planned} == {
        "day_before": "2027-11-08 18:00 MST",
        "2h": "2027-11-09 17:00 MST",
    }
    assert all(p.occurrence == starts[1] for p in planned)


def test_a_weekly_series_lists_its_next_weeks_from_any_instant() -> None:
    """Years on, the next start after an instant is worked out from the dates, at the same
    wall time in either offset: a Tuesday 7 PM from 2027-11-02, after week 70 (MST) comes
    week 71 across the spring-forward (MDT), and after week 200 week 201."""
    first, at = date(2027, 11, 2), time(19, 0)
    for week, now, then in ((70, "MST", "MDT"), (200, "MDT", "MDT")):
        day = first + timedelta(weeks=week)
        after = wall(day, at, DENVER)  # not after itself: the next week's
        listed = occurrences(first, at, "weekly", DENVER, after=after)
        assert local(next(listed), DENVER) == f"{day + timedelta(weeks=1)} 19:00 {then}"
        earlier = occurrences(first, at, "weekly", DENVER, after=after - timedelta(days=6))
        assert local(next(earlier), DENVER) == f"{day} 19:00 {now}"


def test_a_listing_is_bounded_and_until_ends_the_series() -> None:
    """No end date: a listing holds LOOKAHEAD_WEEKS starts, never an endless stream. An
    `until` day ends it (that day's start included); a one-off is listed only if ahead."""
    first, at = date(2027, 11, 2), time(19, 0)
    years_on = wall(first + timedelta(weeks=500), at, DENVER)
    assert len(list(occurrences(first, at, "weekly", DENVER, after=years_on))) == LOOKAHEAD_WEEKS
    until = first + timedelta(weeks=80)
    week_78 = wall(first + timedelta(weeks=78), at, DENVER)
    ending = list(occurrences(first, at, "weekly", DENVER, after=week_78, until=until))
    assert [local(s, DENVER)[:10] for s in ending] == [str(first + timedelta(weeks=79)), str(until)]
    assert list(occurrences(first, at, "weekly", DENVER, after=years_on, until=until)) == []
    assert list(occurrences(first, at, "once", DENVER, after=wall(first, at, DENVER))) == []


def test_a_lead_no_week_can_fit_does_not_stall_next_sends() -> None:
    """A 9:20 AM meeting: 2 hours before is in quiet hours, its edge too close to the
    meeting, the evening before too close to the day-before at 6 PM, every week; the
    search ends with the day-before one only."""
    first, at = date(2027, 11, 3), time(9, 20)
    now = wall(first + timedelta(weeks=100), time(12, 0), NY)
    starts = occurrences(first, at, "weekly", NY, after=now)
    planned = next_sends(starts, "recovery_meeting", NY, now, EXACT)
    assert [(p.lead, local(p.send_at, NY)) for p in planned] == [
        ("day_before", f"{first + timedelta(weeks=101, days=-1)} 18:00 EDT")
    ]


def test_nonexistent_wall_time_is_read_before_the_change() -> None:
    """02:30 on Mar 14 2027 does not exist in New York: read as 03:30 EDT, documented."""
    assert local(wall(date(2027, 3, 14), time(2, 30), NY), NY) == "2027-03-14 03:30 EDT"


# ---- quiet hours and best time ---------------------------------------------------------


def test_quiet_hours_move_to_the_nearest_allowed_time() -> None:
    """3 h before an 08:00 appointment is 05:00; 09:00 would come after it, so the reminder
    moves to the evening before (19:45, quiet hours start at 20:00) instead of vanishing."""
    only_hours = Timing(
        jitter=timedelta(0), kinds={"other": KindRules((hours_before(3),), timedelta(hours=1))}
    )
    assert sends(date(2027, 3, 10), time(8, 0), NY, only_hours) == {"3h": "2027-03-09 19:45 EST"}
    # 23:00 appointment: 20:00 is quiet, 19:45 is the nearest allowed time.
    assert sends(date(2027, 3, 10), time(23, 0), NY, only_hours) == {"3h": "2027-03-10 19:45 EST"}


def test_two_reminders_too_close_keep_only_the_earlier() -> None:
    """An 08:00 appointment: the early one would land at 19:45, near the 18:00 one."""
    assert sends(date(2027, 3, 10), time(8, 0), NY) == {"day_before": "2027-03-09 18:00 EST"}


def test_a_send_already_gone_does_not_push_out_the_one_still_ahead() -> None:
    """Asked at 18:30 for an 08:00 appointment: the 18:00 one has gone, so the 19:45 one is
    no longer "too close to it" and still goes (it used to be dropped for it: no reminder)."""
    now = wall(date(2027, 3, 9), time(18, 30), NY)
    starts = occurrences(date(2027, 3, 10), time(8, 0), "once", NY)
    planned = next_sends(starts, "other", NY, now, EXACT)
    assert [(p.lead, local(p.send_at, NY)) for p in planned] == [("3h", "2027-03-09 19:45 EST")]


def test_a_send_that_went_still_pushes_out_the_one_too_close_to_it() -> None:
    """Re-planned at 18:30 for an 08:00 appointment added that morning: the 18:00 one went,
    so the 19:45 one stays out, as it was when the times were promised (#14)."""
    added = wall(date(2027, 3, 9), time(10, 0), NY)
    now = wall(date(2027, 3, 9), time(18, 30), NY)
    starts = occurrences(date(2027, 3, 10), time(8, 0), "once", NY)
    assert next_sends(starts, "other", NY, now, EXACT, since=added) == []


@pytest.mark.parametrize(
    ("best", "expected"),
    [("morning", "10:00"), ("afternoon", "14:00"), ("evening", "18:00"), ("any", "18:00")],
)
def test_best_time_sets_the_day_before_hour(best: str, expected: str) -> None:
    """The parent's best time to text decides when the day-before reminder goes."""
    result = sends(date(2027, 3, 10), time(15, 0), NY, best_time=best)
    assert result["day_before"] == f"2027-03-09 {expected} EST"


def test_program_quiet_hours_are_configurable() -> None:
    """Quiet 21:00-08:00 (an older default) lets an 08:00 send stand."""
    timing = Timing(quiet=QuietHours.parse("21:00-08:00"), jitter=timedelta(0))
    assert sends(date(2027, 3, 10), time(11, 0), NY, timing)["3h"] == "2027-03-10 08:00 EST"


def test_jitter_spreads_forward_and_stays_allowed() -> None:
    """Jitter only moves a send later, by under 10 minutes, deterministically per job."""
    occurrence = wall(date(2027, 3, 10), time(15, 0), NY)
    plain = sends_for(occurrence, "other", NY, EXACT)
    spread = [sends_for(occurrence, "other", NY, Timing(), key=f"k{i}") for i in range(30)]
    for result in spread:
        for lead, when in result.items():
            assert timedelta(0) <= when - plain[lead] < timedelta(minutes=10)
    assert len({r["day_before"] for r in spread}) > 1
    assert sends_for(occurrence, "other", NY, Timing(), key="k1") == spread[1]


ZONES = [
    NY,
    DENVER,
    ZoneInfo("America/Chicago"),
    ZoneInfo("America/Los_Angeles"),
    ZoneInfo("America/Phoenix"),
    ZoneInfo("Pacific/Honolulu"),
    ZoneInfo("America/Anchorage"),
]


@settings(max_examples=400, deadline=None)
@given(
    day=st.dates(date(2026, 1, 1), date(2028, 12, 31)),
    at=st.times(),
    tz=st.sampled_from(ZONES),
    kind=st.sampled_from(KINDS),
    best=st.sampled_from([None, "morning", "afternoon", "evening", "any"]),
    quiet_start=st.integers(17, 23),
    quiet_end=st.integers(5, 10),
    key=st.text(max_size=8),
)
def test_a_send_is_never_in_quiet_hours_nor_after_the_appointment(
    day: date,
    at: time,
    tz: ZoneInfo,
    kind: str,
    best: str | None,
    quiet_start: int,
    quiet_end: int,
    key: str,
) -> None:
    """Property: every computed send is outside quiet hours and before the appointment."""
    timing = Timing(quiet=QuietHours(time(quiet_start), time(quiet_end)))
    occurrence = wall(day, at, tz)
    for when in sends_for(occurrence, kind, tz, timing, best_time=best, key=key).values():
        assert when.tzinfo is not None
        assert not is_quiet(when, tz, timing.quiet)
        assert when <= occurrence - timing.min_notice


# ---- at dispatch -----------------------------------------------------------------------


def test_decide_sends_within_grace_and_drops_after() -> None:
    """A late run is sent within the kind's grace; after it, dropped with a reason."""
    occurrence = wall(date(2027, 3, 10), time(15, 0), NY)
    planned = wall(date(2027, 3, 10), time(12, 0), NY)
    grace = timedelta(hours=1)
    assert decide(planned + timedelta(minutes=59), planned, occurrence, grace, NY, EXACT) == Send()
    late = decide(planned + timedelta(minutes=61), planned, occurrence, grace, NY, EXACT)
    assert late == Drop("missed_grace")


def test_decide_never_sends_in_quiet_hours_or_too_late() -> None:
    """A run delayed into quiet hours, or to just before the start, is dropped."""
    day_before = wall(date(2027, 3, 9), time(19, 45), NY)
    occurrence = wall(date(2027, 3, 10), time(9, 30), NY)
    at_night = day_before + timedelta(minutes=30)
    assert decide(at_night, day_before, occurrence, timedelta(hours=6), NY, EXACT) == Drop(
        "quiet_hours"
    )
    planned = occurrence - timedelta(minutes=40)
    near = occurrence - timedelta(minutes=10)
    assert decide(near, planned, occurrence, timedelta(hours=6), NY, EXACT) == Drop("too_late")


def test_leads_default_per_kind() -> None:
    """Every kind has a day-before reminder and one a few hours ahead."""
    for kind in KINDS:
        leads = Timing().rules_for(kind).leads
        assert leads[0] == DAY_BEFORE
        assert leads[1].hours in (2, 3)
