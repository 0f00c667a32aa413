"""What the engine promises when a parent adds a reminder: the times it will really go out,
worked out by the rules the planner schedules with (reminder_times.py), and said plainly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.engine import messages as m
from bot.engine.reminder_times import Timing, sends_for, wall
from bot.engine.render import Voice


def promise_timing(quiet_hours: str) -> Timing:
    """The planner's rules without its jitter: which reminders go never depends on jitter,
    and it only ever moves a send a few minutes later ("around 6:00 PM")."""
    return replace(Timing.from_quiet_hours(quiet_hours), jitter=timedelta(0))


def promised_sends(
    answers: Mapping[str, Any],
    *,
    tz: ZoneInfo,
    now: datetime,
    timing: Timing,
    best_time: str | None,
) -> list[datetime] | None:
    """When the reminders for the day and time the answers name go out (UTC, soonest first,
    all after `now`); None while the day or the time is not answered yet. An empty list:
    no reminder can reach the parent before it outside quiet hours.

    Only the first day counts: "every week" adds reminders for later weeks (weekly_sends),
    never fewer for this one."""
    day, at = answers.get("date"), answers.get("time")
    if not isinstance(day, str) or not isinstance(at, str):
        return None
    kind = answers.get("kind")
    starts = wall(date.fromisoformat(day), time.fromisoformat(at), tz)
    sends = sends_for(
        starts,
        kind if isinstance(kind, str) else "other",
        tz,
        timing,
        best_time=best_time,
        after=now,
    )
    return sorted(sends.values())


def weekly_sends(
    answers: Mapping[str, Any], *, tz: ZoneInfo, timing: Timing, best_time: str | None
) -> list[datetime]:
    """When a weekly reminder's later weeks go: the second week's sends (UTC, soonest first),
    which every later week repeats on the same weekdays at the same wall times, with no last
    week (occurrences lists a series' next weeks from any instant). Empty unless the
    answers ask for every week.

    The planner schedules each lead's next send once the last one ran (next_sends), so from
    the second week on each week gets what sends_for gives an appointment with no time gone
    yet. Those are wall times in the parent's zone (the day before at the best time to text,
    quiet hours by the clock); "N hours ahead" counts elapsed hours, which differ from the
    clock only across a DST change in the hours before an appointment at 2-5 AM, itself in
    quiet hours, so its reminder moves to their edge, a wall time again. The first week may
    differ: a send already gone is left out, and the later one it would have crowded out
    (min_gap) then goes."""
    day, at = answers.get("date"), answers.get("time")
    if answers.get("repeat") != "weekly" or not isinstance(day, str) or not isinstance(at, str):
        return []
    kind = answers.get("kind")
    second = wall(date.fromisoformat(day) + timedelta(weeks=1), time.fromisoformat(at), tz)
    sends = sends_for(
        second, kind if isinstance(kind, str) else "other", tz, timing, best_time=best_time
    )
    return sorted(sends.values())


def promise(
    voice: Voice,
    sends: Sequence[datetime],
    *,
    tz: ZoneInfo,
    now: datetime,
    weekly: Sequence[datetime] = (),
) -> str:
    """ "Got it. We'll text you a reminder tomorrow around 6:00 PM." in the parent's words;
    with `weekly` (weekly_sends) it says the reminder repeats: "... every Tuesday around
    6:00 PM, starting tomorrow.", or, when the first week differs, that week's times and
    then "After that, we'll text you one every Tuesday around 6:00 PM." """
    today = now.astimezone(tz).date()
    first = [send.astimezone(tz) for send in sends]
    every = [_every(voice, send.astimezone(tz)) for send in weekly]
    if every and [_slot(s) for s in first] == [_slot(s.astimezone(tz)) for s in weekly]:
        starting = _starting(voice, first[0].date(), today)
        return _one_or_two(
            voice, m.REMINDER_WEEKLY, m.REMINDER_WEEKLY_TWO, "every", every, starting=starting
        )
    whens = [_when(voice, local, today) for local in first]
    said = _one_or_two(voice, m.REMINDER_PROMISE, m.REMINDER_PROMISE_TWO, "when", whens)
    if not every:
        return said
    then = _one_or_two(voice, m.REMINDER_THEN_WEEKLY, m.REMINDER_THEN_WEEKLY_TWO, "every", every)
    return f"{said} {then}"


def _one_or_two(
    voice: Voice, one: str, two: str, name: str, items: Sequence[str], **more: str
) -> str:
    """`one` with the single item as {name}, or `two` with {earlier} (all but the last,
    joined) and {later}."""
    if len(items) == 1:
        return voice(one, **{name: items[0]}, **more)
    return voice(two, earlier=", ".join(items[:-1]), later=items[-1], **more)


def no_time_to_remind(voice: Voice, timing: Timing) -> str:
    """ "We can't text you a reminder in time for that. We don't send texts from 8:00 PM to
    9:00 AM." """
    translator, locale = voice.translator, voice.locale
    return voice(
        m.NO_TIME_TO_REMIND,
        start=translator.format_time(locale, timing.quiet.start),
        end=translator.format_time(locale, timing.quiet.end),
    )


def _slot(local: datetime) -> tuple[int, int, int]:
    """Where a send falls in the parent's week: weekday, hour, minute."""
    return local.weekday(), local.hour, local.minute


def _every(voice: Voice, local: datetime) -> str:
    at = voice.translator.format_time(voice.locale, local.time().replace(tzinfo=None))
    return voice(m.EVERY_WEEKDAY[local.weekday()], time=at)


def _starting(voice: Voice, day: date, today: date) -> str:
    days = (day - today).days
    if days == 0:
        return voice(m.STARTING_TODAY)
    if days == 1:
        return voice(m.STARTING_TOMORROW)
    return voice(m.STARTING_ON, date=voice.translator.format_short_date(voice.locale, day))


def _when(voice: Voice, local: datetime, today: date) -> str:
    at = voice.translator.format_time(voice.locale, local.time().replace(tzinfo=None))
    days = (local.date() - today).days
    if days == 0:
        return voice(m.PROMISE_TODAY, time=at)
    if days == 1:
        return voice(m.PROMISE_TOMORROW, time=at)
    return voice(
        m.PROMISE_ON, date=voice.translator.format_short_date(voice.locale, local.date()), time=at
    )
