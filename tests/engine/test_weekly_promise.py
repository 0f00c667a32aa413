"""A weekly reminder's promise says it repeats, and when (#14): "every Tuesday around 6:00 PM,
starting tomorrow", in the parent's language, and it is what the planner schedules week
after week, across both DST changes: each lead's next send once the last one ran
(bot/reminders/planner.after_dispatch), simulated here with the planner's own rules and
jitter. The clock is fixed: Monday 2026-11-23 in Hartford."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.engine.events import ReminderRequested
from bot.engine.machine import Engine, StepResult
from bot.engine.reminder_times import PlannedSend, Timing, next_sends
from bot.engine.session import Session
from bot.reminders.intake import appointment_from_request
from bot.reminders.planner import began
from tests.engine.test_plan_commands import NOW, onboarded

NY = ZoneInfo("America/New_York")
YES = {"en": "yes", "es": "sí", "pt_BR": "sim"}
KINDS = {"prenatal": "1", "treatment": "4", "meeting": "5"}  # the flow's choice numbers


def weekly(
    engine: Engine,
    day: str,
    at: str,
    *,
    kind: str = KINDS["meeting"],
    clock: str = "10:00",
    best_time: str = "evening",
    locale: str = "en",
) -> tuple[StepResult, datetime] | None:
    """A parent in Hartford adds a reminder "every week" at `clock` on Monday 2026-11-23;
    None when the day and time are refused (too soon, or no time outside quiet hours)."""
    now = datetime.combine(NOW.astimezone(NY).date(), time.fromisoformat(clock), NY)
    session: Session = onboarded(engine)
    session.locale = locale
    session.plan.answers["onboarding"]["best_time"] = best_time
    for text in ("REMINDER", kind, day, at):
        session = engine.step(session, text, now).session
    if session.step != "repeat":
        return None
    session = engine.step(session, "2", now).session
    result = engine.step(session, YES[locale], now)
    assert any(isinstance(e, ReminderRequested) for e in result.events), result.replies
    return result, now


def made(engine: Engine, day: str, at: str, **kwargs: str) -> tuple[StepResult, datetime]:
    added = weekly(engine, day, at, **kwargs)
    assert added is not None
    return added


def scheduled(
    result: StepResult, now: datetime, weeks: int, resyncs: Sequence[datetime] = ()
) -> list[PlannedSend]:
    """Every reminder the planner sends for the event in its first `weeks` weeks: each lead's
    first send, then, each time one goes, that lead's next (as after_dispatch plans it); at
    each of `resyncs` every lead is planned again (Planner.resync: a new zone or best time)."""
    [event] = [e for e in result.events if isinstance(e, ReminderRequested)]
    appointment = appointment_from_request("1-0", "{c:0}", event.answers, now)
    assert appointment is not None
    assert appointment.repeat == "weekly"
    best = str(result.session.plan.answer("onboarding", "best_time"))
    key = f"{appointment.contact}:{appointment.id}"

    def plan(after: datetime) -> list[PlannedSend]:
        starts = appointment.starts(NY, after=after)  # as Planner.specs_for lists them
        return next_sends(
            starts,
            appointment.kind,
            NY,
            after,
            Timing(),
            best_time=best,
            key=key,
            since=began(appointment),
        )

    jobs = {s.lead: s for s in plan(now)}
    sent: list[PlannedSend] = []
    end = next(appointment.starts(NY)) + timedelta(weeks=weeks)
    pending = sorted(resyncs)
    while jobs:
        due = min(jobs.values(), key=lambda s: s.send_at)
        if pending and pending[0] < due.send_at:
            jobs = {s.lead: s for s in plan(pending.pop(0))}
            continue
        if due.occurrence >= end:
            break
        sent.append(due)
        following = [s for s in plan(due.send_at) if s.lead == due.lead]
        jobs.pop(due.lead)
        jobs.update({s.lead: s for s in following})
    return sent


def said(result: StepResult) -> str:
    """The promise: the first line of the reply (the next part is offered after it)."""
    return result.replies[0].split("\n")[0]


def said_at(promise: str, local: datetime) -> bool:
    """The promise names this send's weekday and time (the planner's jitter, 0-10 minutes
    later, aside: promised times are whole quarter hours in these cases)."""
    shown = local - timedelta(minutes=local.minute % 15)
    return f"every {local:%A} around {shown:%-I:%M %p}" in promise


def test_a_weekly_reminder_says_every_week_and_from_when(i18n_engine: Engine) -> None:
    """Wednesday 7 pm every week, best time evening: the day before at 6 pm and 2 hours
    before, from tomorrow on; not only this week's two."""
    result, now = made(i18n_engine, "11/25", "7pm")
    assert said(result) == (
        "Got it. We'll text you a reminder every Tuesday around 6:00 PM, "
        "and another every Wednesday around 5:00 PM, starting tomorrow."
    )
    sent = [s.send_at.astimezone(NY) for s in scheduled(result, now, 3)]
    assert [f"{s:%a %d %H}" for s in sent] == [
        "Tue 24 18",
        "Wed 25 17",
        "Tue 01 18",
        "Wed 02 17",
        "Tue 08 18",
        "Wed 09 17",
    ]


def test_a_first_week_unlike_the_rest_is_said_before_them(i18n_engine: Engine) -> None:
    """At 6:30 pm, for 8:30 am every Tuesday: tonight's 6 pm has gone, so this week the
    reminder goes at 7:45 pm; from next week at 6 pm only (7:45 pm is too close to it)."""
    result, now = made(i18n_engine, "tomorrow", "8:30am", kind=KINDS["prenatal"], clock="18:30")
    assert said(result) == (
        "Got it. We'll text you a reminder today around 7:45 PM. "
        "After that, we'll text you one every Monday around 6:00 PM."
    )
    sent = [s.send_at.astimezone(NY) for s in scheduled(result, now, 3)]
    assert f"{sent[0]:%a %d %H:%M}" == "Mon 23 19:45"
    assert [f"{s:%a %d %H}" for s in sent[1:]] == ["Mon 30 18", "Mon 07 18"]


def test_a_re_plan_after_the_day_before_text_adds_no_text_the_promise_left_out(
    i18n_engine: Engine,
) -> None:
    """Added Monday at 10 am, for 8:30 am every Tuesday: "every Monday around 6:00 PM" only
    (7:45 pm is too close to it). A re-plan at 6:12 pm that Monday (a new best time or
    zone), after the 6 pm text went, plans no 7:45 pm text that week or any other: the text
    that went still counts (#14)."""
    result, now = made(i18n_engine, "tomorrow", "8:30am", kind=KINDS["prenatal"])
    assert said(result) == (
        "Got it. We'll text you a reminder every Monday around 6:00 PM, starting today."
    )
    mondays = [now.replace(hour=18, minute=12) + timedelta(weeks=w) for w in range(3)]
    sent = [s.send_at.astimezone(NY) for s in scheduled(result, now, 3, mondays)]
    assert [f"{s:%a %d %H}" for s in sent] == ["Mon 23 18", "Mon 30 18", "Mon 07 18"]
    assert all(said_at(said(result), s) for s in sent)


@pytest.mark.parametrize(
    ("locale", "day", "promise"),
    [
        (
            "es",
            "25/11",
            "Listo. Te enviaremos un recordatorio cada martes a eso de las 18:00 y otro "
            "cada miércoles a eso de las 17:00, a partir de mañana.",
        ),
        (
            "pt_BR",
            "25/11",
            "Certo. Vamos mandar, a partir de amanhã, um lembrete toda terça-feira por volta "
            "das 18:00 e outro toda quarta-feira por volta das 17:00.",
        ),
    ],
)
def test_the_weekly_promise_is_in_the_parents_language(
    i18n_engine: Engine, locale: str, day: str, promise: str
) -> None:
    result, _ = made(i18n_engine, day, "7pm", locale=locale)
    assert said(result) == promise


@pytest.mark.parametrize(("day", "weeks"), [("tomorrow", 4), ("11/25", 6), ("3/10", 36)])
@pytest.mark.parametrize("clock", ["10:00", "18:30"])
@pytest.mark.parametrize("kind", [KINDS["prenatal"], KINDS["meeting"]])
def test_every_weekly_promise_is_what_the_planner_sends_week_after_week(
    i18n_engine: Engine, day: str, weeks: int, clock: str, kind: str
) -> None:
    """Any time of day: the first week's sends are the ones named first ("today around",
    "starting"), and every later week's fall on the promised weekdays and times, as many as
    promised. From March 10, 2027 the weeks cross both DST changes (March 14, November 7)."""
    for slot in range(0, 24 * 60, 45):
        at = time(slot // 60, slot % 60).strftime("%-I:%M%p").lower()  # "1:30am"
        added = weekly(i18n_engine, day, at, kind=kind, clock=clock)
        if added is None:
            continue
        result, now = added
        promise = said(result)
        by_week: dict[datetime, list[datetime]] = defaultdict(list)
        for send in scheduled(result, now, weeks):
            by_week[send.occurrence].append(send.send_at.astimezone(NY))
        first, *later = sorted(by_week)
        assert len(later) == weeks - 1, (at, promise)
        promised = promise.count("every ")
        for occurrence in later:
            sends = by_week[occurrence]
            assert len(sends) == promised, (at, occurrence, promise)
            assert all(said_at(promise, s) for s in sends), (at, sends, promise)
        if "After that" not in promise:  # the first week is like the others
            assert all(said_at(promise, s) for s in by_week[first]), (at, promise)
        else:  # this week's own times first, by the day ("today around 7:45 PM")
            this_week = promise.split("After that")[0]
            assert this_week.count("around") == len(by_week[first]), (at, promise)
            for send in by_week[first]:
                shown = send - timedelta(minutes=send.minute % 15)
                assert f"around {shown:%-I:%M %p}" in this_week, (at, promise)


def test_a_weekly_promise_starting_later_names_the_day(i18n_engine: Engine) -> None:
    """Monday 11/30 at 7 pm: from Sunday (the day before), named by its date."""
    result, _ = made(i18n_engine, "11/30", "7pm")
    assert said(result).endswith(
        "every Sunday around 6:00 PM, and another every Monday around 5:00 PM, "
        "starting Sun, Nov 29."
    )
    assert date(2026, 11, 29).weekday() == 6


def test_a_weekly_reminder_goes_on_for_years_as_promised(i18n_engine: Engine) -> None:
    """The promise names no last week, and there is none: 210 weeks on (past four years,
    eight DST changes), every week still gets its Tuesday 6 PM and Wednesday 5 PM sends,
    week 70 and week 200 included."""
    result, now = made(i18n_engine, "11/25", "7pm")
    promise = said(result)
    assert "every Tuesday around 6:00 PM" in promise
    by_week: dict[date, list[datetime]] = defaultdict(list)
    for send in scheduled(result, now, 210):
        by_week[send.occurrence.astimezone(NY).date()].append(send.send_at.astimezone(NY))
    assert len(by_week) == 210
    assert all(
        len(sends) == 2 and all(said_at(promise, s) for s in sends) for sends in by_week.values()
    )
    for week in (70, 200):
        day = date(2026, 11, 25) + timedelta(weeks=week)
        assert [f"{s:%a %H}" for s in by_week[day]] == ["Tue 18", "Wed 17"], day
