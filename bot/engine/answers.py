"""Parse one inbound text as the answer a step asks for, and check the step's rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.engine import parsing
from bot.engine.model import Choice, Flow, Step
from bot.engine.parsing import Option, ParseFailed


@dataclass(frozen=True, slots=True)
class ZipInfo:
    state: str
    county: str
    timezone: str


ZipLookup = Callable[[str], ZipInfo | None]


def relative_day(spec: str, today: date) -> date:
    """'today', '+43w', '-1y', '+3d' measured from today."""
    if spec == "today":
        return today
    sign = 1 if spec[0] == "+" else -1
    amount, unit = int(spec[1:-1]), spec[-1]
    days = {"d": 1, "w": 7, "y": 365}[unit] * amount
    return today + timedelta(days=sign * days)


def _prefer(step: Step, today: date) -> parsing.Prefer:
    """A date with no year is the next one for a date ahead, the last one for a date behind."""
    if step.latest and relative_day(step.latest, today) <= today:
        return "past"
    if step.earliest and relative_day(step.earliest, today) >= today:
        return "future"
    return "nearest"


def options_for(step: Step, labels: Sequence[str]) -> list[Option]:
    """The step's choices as the parser sees them: translated label plus the English one."""
    key = (id(step.choices), tuple(labels))
    known = _OPTIONS.get(key)
    if known is None or known[0] is not step.choices:
        if len(_OPTIONS) >= 1024:
            _OPTIONS.clear()
        known = _OPTIONS[key] = (step.choices, _options(step.choices, key[1]))
    return list(known[1])


# By the choices' identity (held, so the id stays theirs) and labels: hashing the choice
# models themselves on every message cost more than building the options.
_OPTIONS: dict[tuple[int, tuple[str, ...]], tuple[tuple[Choice, ...], tuple[Option, ...]]] = {}


def _options(choices: tuple[Choice, ...], labels: tuple[str, ...]) -> tuple[Option, ...]:
    return tuple(
        Option(
            c.value,
            (label, c.label) if label != c.label else (label,),
            c.synonyms,
            need=c.need is not None,
        )
        for c, label in zip(choices, labels, strict=True)
    )


def parse_answer(
    step: Step,
    text: str,
    *,
    lang: str,
    today: date,
    labels: Sequence[str],
    zip_lookup: ZipLookup,
) -> Any:
    """The answer as a JSON value, or ParseFailed with a reason the engine explains kindly."""
    kind = step.type
    if kind == "yes_no":
        return parsing.parse_yes_no(text, lang)
    if kind == "choice":
        return parsing.parse_choice(text, options_for(step, labels), lang)
    if kind == "multi":
        picked = parsing.parse_multi(text, options_for(step, labels), lang)
        if len(picked) > 1 and any(c.exclusive and c.value in picked for c in step.choices):
            raise ParseFailed("ambiguous")  # "none of these" together with some of them
        return picked
    if kind == "date":
        value = parsing.parse_date(text, today, lang, _prefer(step, today))
        if step.earliest and value < relative_day(step.earliest, today):
            raise ParseFailed("too_early")
        if step.latest and value > relative_day(step.latest, today):
            raise ParseFailed("too_late")
        return value.isoformat()
    if kind == "time":
        return parsing.parse_time(text, lang).strftime("%H:%M")
    if kind == "phone":
        return parsing.parse_phone(text)
    if kind == "zip":
        code = parsing.parse_zip(text)
        if zip_lookup(code) is None:
            raise ParseFailed("unknown_zip")
        return code
    if kind == "number":
        # The schema requires both bounds on number steps.
        return parsing.parse_int(text, lang, step.minimum or 0, step.maximum or 0)
    return parsing.parse_text(text, step.max_length)


def upcoming_step(flow: Flow) -> Step | None:
    """The flow's time step that, with a date step, names when something happens."""
    return next((s for s in flow.steps if s.upcoming is not None), None)


def too_soon(
    flow: Flow, step: Step, value: Any, answers: Mapping[str, Any], now: datetime, tz: ZoneInfo
) -> bool:
    """Would this answer (to the upcoming time step, or to the date step it reads) make the
    date and time already past, or closer to `now` than the step's notice?"""
    timed = upcoming_step(flow)
    if timed is None or timed.upcoming is None:
        return False
    if step.id == timed.id:
        day, at = answers.get(timed.upcoming.date), value
    elif step.id == timed.upcoming.date:
        day, at = value, answers.get(timed.id)
    else:
        return False
    if not isinstance(day, str) or not isinstance(at, str):
        return False
    when = datetime.combine(date.fromisoformat(day), time.fromisoformat(at), tzinfo=tz)
    return when < now + timed.upcoming.lead
