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

    Only the first day counts: "every week" adds reminders for later weeks, never fewer
    for this one."""
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


def promise(voice: Voice, sends: Sequence[datetime], *, tz: ZoneInfo, now: datetime) -> str:
    """ "Got it. We'll text you a reminder tomorrow around 6:00 PM." in the parent's words."""
    today = now.astimezone(tz).date()
    whens = [_when(voice, send.astimezone(tz), today) for send in sends]
    if len(whens) == 1:
        return voice(m.REMINDER_PROMISE, when=whens[0])
    return voice(m.REMINDER_PROMISE_TWO, earlier=", ".join(whens[:-1]), later=whens[-1])


def no_time_to_remind(voice: Voice, timing: Timing) -> str:
    """ "We can't text you a reminder in time for that. We don't send texts from 8:00 PM to
    9:00 AM." """
    translator, locale = voice.translator, voice.locale
    return voice(
        m.NO_TIME_TO_REMIND,
        start=translator.format_time(locale, timing.quiet.start),
        end=translator.format_time(locale, timing.quiet.end),
    )


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
