"""When a reminder goes out: lead times, quiet hours, best time to text, DST, grace.

Pure: every function takes the time it works from; nothing here reads a clock or does I/O.
It lives in the engine because the engine promises these times when a parent adds a
reminder (reminder_promise.py) and the planner (bot/reminders) schedules the same ones.
Instants are timezone-aware (returned in UTC); wall times (a date plus a time of day) are
read in the parent's zone with zoneinfo, so DST is handled by the zone rules, not by us:
- a weekly appointment keeps its wall time across a DST change (7 PM stays 7 PM);
- "3 hours before" means 3 elapsed hours, computed in UTC, even across the change;
- a wall time inside the spring-forward gap is read with the offset before the change
  (02:30 on 2027-03-14 in New York is 03:30 EDT); an ambiguous fall-back time is the
  first of the two (fold=0).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Literal, get_args
from zoneinfo import ZoneInfo

# What an appointment is for: the API's schema (bot/web/reminders.py) takes this type.
Kind = Literal[
    "prenatal_visit",
    "postpartum_visit",
    "baby_checkup",
    "treatment",
    "recovery_meeting",
    "medication_pickup",
    "wic",
    "other",
]
KINDS: tuple[Kind, ...] = get_args(Kind)
# These say the parent is in treatment: Part 2 information, seen and added only by whoever
# the parent's recovery consent names (the dashboard and the API alike).
PART2_KINDS = frozenset({"treatment", "recovery_meeting", "medication_pickup"})
Repeat = Literal["once", "weekly"]
# Where "the day before" lands for each answer to onboarding's best_time question.
BEST_TIME_AT: Mapping[str, time] = MappingProxyType(
    {"morning": time(10, 0), "afternoon": time(14, 0), "evening": time(18, 0)}
)
# How many weekly occurrences one listing holds, from the instant it starts after. A weekly
# series has no last week (only `until` ends one), so every listing stops here: over a year
# covers any week a lead skips (a DST change) and bounds the search for one that never fits.
LOOKAHEAD_WEEKS = 60


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local times when no text goes out: [start, end), wrapping midnight when start > end."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """ "20:00-09:00" (the Settings format)."""
        first, _, second = text.partition("-")
        return cls(time.fromisoformat(first.strip()), time.fromisoformat(second.strip()))

    def contains(self, local: time) -> bool:
        local = local.replace(tzinfo=None, fold=0)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True, slots=True)
class Lead:
    """A reminder before an appointment: the day before at a set hour, or N hours ahead."""

    name: str
    hours: int = 0
    day_before: bool = False


DAY_BEFORE = Lead("day_before", day_before=True)


def hours_before(hours: int) -> Lead:
    return Lead(f"{hours}h", hours=hours)


@dataclass(frozen=True, slots=True)
class KindRules:
    """Lead times and grace for one kind. `grace`: how late a missed reminder may still go."""

    leads: tuple[Lead, ...]
    grace: timedelta
    # "The day before" when the parent chose "any time" or did not answer.
    day_before_at: time = time(18, 0)


# Weekly supports get a shorter grace: a late "meeting in 2 hours" is worse than none.
DEFAULT_KINDS: Mapping[str, KindRules] = MappingProxyType(
    {
        "prenatal_visit": KindRules((DAY_BEFORE, hours_before(3)), timedelta(hours=3)),
        "postpartum_visit": KindRules((DAY_BEFORE, hours_before(3)), timedelta(hours=3)),
        "baby_checkup": KindRules((DAY_BEFORE, hours_before(3)), timedelta(hours=3)),
        "treatment": KindRules((DAY_BEFORE, hours_before(2)), timedelta(hours=1)),
        "recovery_meeting": KindRules((DAY_BEFORE, hours_before(2)), timedelta(hours=1)),
        "medication_pickup": KindRules((DAY_BEFORE, hours_before(3)), timedelta(hours=6)),
        "wic": KindRules((DAY_BEFORE, hours_before(3)), timedelta(hours=3)),
        "other": KindRules((DAY_BEFORE, hours_before(3)), timedelta(hours=3)),
    }
)
OFFER_LEAD = "offer"
OFFER_GRACE = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class Timing:
    """Program-wide knobs. Planned sends end `margin` before quiet hours begin, so a
    scheduler running a little late still sends before them."""

    quiet: QuietHours = QuietHours(time(20, 0), time(9, 0))
    margin: timedelta = timedelta(minutes=15)
    # A reminder closer than this to the appointment is not worth sending.
    min_notice: timedelta = timedelta(minutes=30)
    # Two reminders for one appointment closer than this: the later one is skipped.
    min_gap: timedelta = timedelta(hours=2)
    # Spread sends forward by up to this, per job, so thousands of "18:00" jobs do not all
    # come due in the same second (APScheduler handles due jobs in one blocking loop).
    jitter: timedelta = timedelta(minutes=10)
    # At dispatch, a reminder this close to the start is dropped as too late.
    late_cutoff: timedelta = timedelta(minutes=15)
    kinds: Mapping[str, KindRules] = field(default_factory=lambda: DEFAULT_KINDS)

    @classmethod
    def from_quiet_hours(cls, text: str) -> Timing:
        return cls(quiet=QuietHours.parse(text))

    def rules_for(self, kind: str) -> KindRules:
        return self.kinds.get(kind) or self.kinds["other"]


@dataclass(frozen=True, slots=True)
class PlannedSend:
    """One reminder to schedule: `occurrence` is the appointment start it is about."""

    lead: str
    occurrence: datetime
    send_at: datetime
    grace: timedelta


# ---- wall times and quiet hours --------------------------------------------------------


def wall(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant (UTC) a wall time on a day names in `tz` (see the module note on DST)."""
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=tz).astimezone(UTC)


def is_quiet(instant: datetime, tz: ZoneInfo, quiet: QuietHours) -> bool:
    return quiet.contains(instant.astimezone(tz).time())


def _allowed_on(day: date, tz: ZoneInfo, timing: Timing) -> tuple[datetime, datetime]:
    """The sending window that opens on `day`: quiet end .. next quiet start - margin."""
    quiet = timing.quiet
    closes_day = day + timedelta(days=1) if quiet.start <= quiet.end else day
    opens = wall(day, quiet.end, tz)
    closes = (datetime.combine(closes_day, quiet.start, tzinfo=tz) - timing.margin).astimezone(UTC)
    return opens, closes


def _windows_around(
    instant: datetime, tz: ZoneInfo, timing: Timing
) -> list[tuple[datetime, datetime]]:
    local_day = instant.astimezone(tz).date()
    return [_allowed_on(local_day + timedelta(days=d), tz, timing) for d in (-2, -1, 0, 1, 2)]


def is_allowed(instant: datetime, tz: ZoneInfo, timing: Timing) -> bool:
    """Inside a planned-sending window (outside quiet hours and their margin)."""
    if timing.quiet.start == timing.quiet.end:
        return True
    return any(opens <= instant <= closes for opens, closes in _windows_around(instant, tz, timing))


def allowed_neighbours(
    instant: datetime, tz: ZoneInfo, timing: Timing
) -> tuple[datetime, datetime] | None:
    """(last allowed instant before, first allowed instant after), or None if allowed."""
    if is_allowed(instant, tz, timing):
        return None
    windows = _windows_around(instant, tz, timing)
    earlier = max(closes for _, closes in windows if closes < instant)
    later = min(opens for opens, _ in windows if opens > instant)
    return earlier, later


def nearest_allowed(
    instant: datetime, tz: ZoneInfo, timing: Timing, *, deadline: datetime | None = None
) -> datetime:
    """`instant` moved to the nearest allowed time (never dropped); never past `deadline`."""
    around = allowed_neighbours(instant, tz, timing)
    if around is None:
        return instant.astimezone(UTC)
    earlier, later = around
    if deadline is not None and later > deadline:
        return earlier
    return later if later - instant <= instant - earlier else earlier


def _spread(
    send_at: datetime, key: str, tz: ZoneInfo, timing: Timing, deadline: datetime | None
) -> datetime:
    """Forward jitter from a hash of the job key; kept only if still allowed and on time."""
    span = int(timing.jitter.total_seconds())
    if span <= 0:
        return send_at
    digest = hashlib.blake2b(key.encode(), digest_size=4).digest()
    moved = send_at + timedelta(seconds=int.from_bytes(digest) % span)
    if not is_allowed(moved, tz, timing) or (deadline is not None and moved > deadline):
        return send_at
    return moved


# ---- appointments ----------------------------------------------------------------------


def occurrences(
    day: date,
    at: time,
    repeat: Repeat,
    tz: ZoneInfo,
    *,
    after: datetime | None = None,
    until: date | None = None,
    weeks: int = LOOKAHEAD_WEEKS,
) -> Iterator[datetime]:
    """Appointment starts (UTC), soonest first, strictly after `after` (from the first when
    None): once, or weekly at the same wall time for as long as the series runs, which is
    until `until` (a day) if set and otherwise without end. A listing holds at most `weeks`
    of them. The first week listed comes from the dates in `tz`, not from walking the
    series, so a series years old lists its next week as readily as a new one."""
    if repeat != "weekly":
        start = wall(day, at, tz)
        if after is None or start > after:
            yield start
        return
    # The week whose day is the last on or before `after`'s local day: no week before it
    # can be after `after` (it is a whole week earlier), and this one may not be either.
    week = 0 if after is None else max(0, (after.astimezone(tz).date() - day).days // 7)
    listed = 0
    while listed < weeks:
        local_day = day + timedelta(weeks=week)
        if week > 0 and until is not None and local_day > until:
            return
        start = wall(local_day, at, tz)
        week += 1
        if after is None or start > after:
            yield start
            listed += 1


def _raw_send(occurrence: datetime, lead: Lead, tz: ZoneInfo, day_before_at: time) -> datetime:
    if lead.day_before:
        local_day = occurrence.astimezone(tz).date() - timedelta(days=1)
        return wall(local_day, day_before_at, tz)
    # Elapsed hours: subtracting from an aware local time would do wall-clock arithmetic.
    return occurrence.astimezone(UTC) - timedelta(hours=lead.hours)


def sends_for(
    occurrence: datetime,
    kind: str,
    tz: ZoneInfo,
    timing: Timing,
    *,
    best_time: str | None = None,
    key: str = "",
    after: datetime | None = None,
    since: datetime | None = None,
) -> dict[str, datetime]:
    """Lead name -> send instant for one occurrence; leads that cannot be useful are absent.

    The day-before reminder follows the parent's best time to text; the hours-ahead one is
    tied to the appointment. Each is moved out of quiet hours to the nearest allowed time,
    or to the earlier side when the later one would be too close to the appointment. When
    two land within `min_gap`, only the earlier stays. Only sends after `after` (now) are
    returned, but a send that already went still counts in that comparison: re-planned
    after the 6 PM day-before text went, the 7:45 PM one it crowded out stays out (it was
    never promised). `since` is when the reminder began (default: `after`): a send at or
    before it never went, so it crowds out nothing, and a reminder added at 6:12 PM still
    gets the 7:45 PM text. Jitter comes last: which leads are kept, and so what the engine
    promised, never depends on it.
    """
    rules = timing.rules_for(kind)
    day_before_at = BEST_TIME_AT.get(best_time or "", rules.day_before_at)
    deadline = occurrence - timing.min_notice
    began = since if since is not None else after
    planned: list[tuple[datetime, str]] = []
    for lead in rules.leads:
        raw = _raw_send(occurrence, lead, tz, day_before_at)
        send_at = nearest_allowed(raw, tz, timing, deadline=deadline)
        if send_at > deadline or (began is not None and send_at <= began):
            continue
        planned.append((send_at, lead.name))
    kept: dict[str, datetime] = {}
    last: datetime | None = None
    for send_at, name in sorted(planned):
        if last is not None and send_at - last < timing.min_gap:
            continue
        last = send_at
        if after is None or send_at > after:
            kept[name] = _spread(send_at, f"{key}:{name}", tz, timing, deadline)
    return kept


def next_sends(
    starts: Sequence[datetime] | Iterator[datetime],
    kind: str,
    tz: ZoneInfo,
    now: datetime,
    timing: Timing,
    *,
    best_time: str | None = None,
    key: str = "",
    since: datetime | None = None,
) -> list[PlannedSend]:
    """For each lead, the first send still ahead of `now` (one job per lead at a time);
    `since`: when the reminder began (sends_for), `now` when it is new.

    `starts` must be finite (occurrences lists LOOKAHEAD_WEEKS at most): a lead that no
    week can fit (min_gap, quiet hours) is looked for in all of them."""
    rules = timing.rules_for(kind)
    wanted = {lead.name for lead in rules.leads}
    found: dict[str, PlannedSend] = {}
    for start in starts:
        if start <= now:
            continue
        for name, send_at in sends_for(
            start, kind, tz, timing, best_time=best_time, key=key, after=now, since=since
        ).items():
            if name not in found:
                found[name] = PlannedSend(name, start, send_at, rules.grace)
        if found.keys() >= wanted:
            break
    return sorted(found.values(), key=lambda s: s.send_at)
