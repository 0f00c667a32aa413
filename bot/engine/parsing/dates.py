"""Dates in en/es/pt: numeric and ISO forms, month names, weekdays, "in 3 weeks", "2 months
ago", parts of a month, and a date inside a longer reply."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date, timedelta
from types import MappingProxyType
from typing import Literal

from bot.engine.parsing.choices import _near
from bot.engine.parsing.common import _NUMBER_WORDS, ParseFailed, _lang, _require, _table

_MONTHS = _table(
    "january jan enero ene janeiro|february feb febrero fevereiro fev|march mar marzo marco|"
    "april apr abril abr|may mayo maio mai|june jun junio junho|july jul julio julho|"
    "august aug agosto ago|september sep sept septiembre setiembre setembro set|"
    "october oct octubre outubro out|november nov noviembre novembro|"
    "december dec diciembre dic dezembro dez",
    start=1,
)
_WEEKDAYS = _table(
    "monday mon lunes segunda|tuesday tue tues martes terca|wednesday wed weds miercoles quarta|"
    "thursday thu thur thurs jueves quinta|friday fri viernes sexta|saturday sat sabado|"
    "sunday sun domingo"
)


def _alt(words: Sequence[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_MON = _alt(list(_MONTHS))
_WD = rf"(?:{_alt(list(_WEEKDAYS))})(?:[- ]feira)?"
_NUM = rf"\d{{1,4}}|an|a|un|una|um|uma|{_alt(list(_NUMBER_WORDS))}"
_UNITS = _table("day dia|week wk semana|month mes|year yr ano", start=1)  # 1 d, 2 wk, 3 mo, 4 yr
_UNIT = r"(day|dia|week|wk|semana|month|mes|year|yr|ano)(?:s|es)?"
_DAY_WORDS = MappingProxyType(
    {
        "today": 0,
        "hoy": 0,
        "hoje": 0,
        "tomorrow": 1,
        "tmrw": 1,
        "manana": 1,
        "amanha": 1,
        "yesterday": -1,
        "ayer": -1,
        "ontem": -1,
        "day after tomorrow": 2,
        "pasado manana": 2,
        "depois de amanha": 2,
        "day before yesterday": -2,
        "anteayer": -2,
        "antier": -2,
        "anteontem": -2,
    }
)

_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})[-/.](\d{1,2})(?:[-/.](\d{4}|\d{2}))?")
_MONTH_FIRST = re.compile(
    rf"(?:{_WD} )?(?:the )?({_MON})\.? (\d{{1,2}})(?:st|nd|rd|th)?(?: (?:de |of )?(\d{{4}}))?"
)
_DAY_FIRST = re.compile(
    rf"(?:{_WD} )?(?:the |el |dia )?(\d{{1,2}})(?:st|nd|rd|th|o)? (?:de |of )?({_MON})\.?"
    rf"(?: (?:de |del )?(\d{{4}}))?"
)
_FUTURE = re.compile(rf"(?:in|en|dentro de|em|daqui a|daqui) ({_NUM}) {_UNIT}(?: from now)?")
_PAST = re.compile(rf"(?:(?:hace|ha|faz) ({_NUM}) {_UNIT})|(?:({_NUM}) {_UNIT} (?:ago|atras))")
_WEEKDAY = re.compile(
    rf"(?:(next|this|coming|this coming|on|el proximo|el|este|proximo|proxima|la proxima|"
    rf"na proxima|no proximo|na|no|nesta|neste|esta|last|el pasado) )?({_WD})"
    rf"(?: (que viene|que vem|proximo|proxima|pasado|passado|passada))?"
)
_FROM_TODAY = re.compile(
    rf"({_NUM}) {_UNIT} (?:from today|from now|a partir de hoy|a partir de hoje|desde hoy)"
)
_WEEKDAY_DAY = re.compile(rf"(?:{_WD}) (?:the |el |dia )?(\d{{1,2}})(?:st|nd|rd|th|o)?")
_PAST_WORDS = frozenset({"last", "el pasado", "pasado", "passado", "passada"})


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word, 1)  # a/an/un/um → 1


def _shift(today: date, n: int, unit: str) -> date:
    kind = _UNITS[unit]
    if kind <= 2:
        return today + timedelta(days=n * (7 if kind == 2 else 1))
    # Months/years move the calendar month, clamping the day (Jan 31 + 1 month → Feb 28/29).
    months = today.month - 1 + n * (12 if kind == 4 else 1)
    year, month = today.year + months // 12, months % 12 + 1
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


Prefer = Literal["future", "past", "nearest"]


def _year_for(month: int, day: int, today: date, prefer: Prefer) -> date:
    """A yearless date: the next one for a date ahead (a due date), the last one for a date
    behind (a birth), else whichever of last/this/next year is nearest (ties → future)."""
    years = (today.year - 1, today.year, today.year + 1)
    # Feb 29 exists only in some candidate years; year 0/10000 exist in none.
    candidates = [date(y, month, day) for y in years if _valid(y, month, day)]
    if not candidates:
        raise ParseFailed("not_understood")
    if prefer == "future" and (ahead := [d for d in candidates if d >= today]):
        return ahead[0]
    if prefer == "past" and (behind := [d for d in candidates if d <= today]):
        return behind[-1]
    return min(candidates, key=lambda d: (abs((d - today).days), d < today))


def _valid(year: int, month: int, day: int) -> bool:
    if not (1 <= year <= 9999 and 1 <= month <= 12):
        return False
    return 1 <= day <= calendar.monthrange(year, month)[1]


def _make(year: str | None, month: int, day: int, today: date, prefer: Prefer) -> date:
    if year is None:
        return _year_for(month, day, today, prefer)
    return date(int(year) + (2000 if len(year) == 2 else 0), month, day)


# Parts of a month ("end of January", "a mediados de febrero", "no começo de abril"): the day
# a guess like that stands for. The parent sees the date in the read-back and can change it.
_PERIODS = MappingProxyType(
    dict.fromkeys(("beginning", "start", "inicio", "comienzo", "comeco"), 1)
    | dict.fromkeys(("early", "principios"), 5)
    | dict.fromkeys(("mid", "middle", "mediados", "meados", "meio"), 15)
    | dict.fromkeys(("late",), 25)
    | dict.fromkeys(("end", "fin", "fines", "finales", "final", "fim", "fins"), 31)
)
_PERIOD = re.compile(
    rf"\b(?:a |no |na |em |in the |at the |the |by the |al |el )?({_alt(list(_PERIODS))})"
    rf"(?:-| of | de | do | del )?\s*({_MON})\b"
)
_DAY_ONLY = re.compile(
    r"^(?:on |by )?(?:the |el |o |dia |el dia |no dia )?(\d{1,2})(?:st|nd|rd|th|o)?$"
    r"|^(?:el |o |the )?(?:primero|primeiro|first)(?: de)?$"
)
_FIRST = re.compile(r"\b(?:el |o )?(?:primero|primeiro|first)\b(?= (?:de |of )?[a-z])")
_VOCAB = tuple(
    w for w in (*_MONTHS, *_WEEKDAYS, "tomorrow", "yesterday", "manana", "amanha") if len(w) >= 5
)
# A date inside a longer reply ("due march 3", "dec 12 at 10:30am", "nacio el 15 de noviembre").
_TIME_TAIL = re.compile(
    r"\s+(?:at|a las|a la|as|@|around|por la|de la|en la|da|de|pela)\s+\d.*$"
    r"|\s+\d{1,2}(?::\d{2})?\s*(?:am|pm|a|p|h)\b.*$"
)


def _fix_words(norm: str) -> str:
    """Month and day names with a typo ("febuary", "janurary", "tomorow") made whole."""
    out = []
    for word in norm.split():
        if len(word) >= 5 and word not in _MONTHS and word not in _WEEKDAYS and word.isalpha():
            near = [v for v in _VOCAB if _near(word, v)]
            # "marso" is near both "marzo" and "marco": fine, both are March.
            if near and len({_MONTHS.get(v, v) for v in near}) == 1:
                word = near[0]
        out.append(word)
    return " ".join(out)


def parse_date(text: str, today: date, lang: str, prefer: Prefer = "nearest") -> date:
    """Numeric dates are M/D for en and D/M for es/pt; bare or "next" weekdays mean the next one
    (the last one when the date asked for is behind us, `prefer="past"`)."""
    norm = " ".join(_require(text).replace(",", " ").split())
    try:
        try:
            return _date(norm, today, _lang(lang), prefer)
        except ParseFailed:
            fixed = _TIME_TAIL.sub("", _FIRST.sub(" 1", _fix_words(norm))).strip()
            return _date_within(fixed, today, _lang(lang), prefer)
    except ParseFailed:
        raise
    except (ValueError, OverflowError):
        raise ParseFailed("not_understood") from None


def _date_within(norm: str, today: date, lang: str, prefer: Prefer) -> date:
    """The date in a longer reply: the whole of it, else the longest run of words that is one."""
    try:
        return _date(norm, today, lang, prefer)
    except ParseFailed:
        pass
    if m := _PERIOD.search(norm):
        month, period = _MONTHS[m.group(2)], _PERIODS[m.group(1)]
        days = [
            (y, min(period, calendar.monthrange(y, month)[1]))
            for y in (today.year - 1, today.year, today.year + 1)
        ]
        candidates = [date(y, month, d) for y, d in days]
        if prefer == "future" and (ahead := [d for d in candidates if d >= today]):
            return ahead[0]
        if prefer == "past" and (behind := [d for d in candidates if d <= today]):
            return behind[-1]
        return min(candidates, key=lambda d: (abs((d - today).days), d < today))
    words = norm.split()
    for size in range(min(len(words), 5), 0, -1):
        for start in range(len(words) - size + 1):
            chunk = " ".join(words[start : start + size])
            if size == 1 and not (chunk in _MONTHS or chunk in _WEEKDAYS or "/" in chunk):
                continue
            try:
                return _date(chunk, today, lang, prefer)
            except (ParseFailed, ValueError, OverflowError, KeyError):
                continue
    raise ParseFailed("not_understood")


def _day_only(day: int, today: date, prefer: Prefer) -> date:
    """ "the 15th": the 15th of this month, or the next (last, for a date behind us) one."""
    month = date(today.year, today.month, 1)
    for _ in range(3):
        if _valid(month.year, month.month, day):
            found = month.replace(day=day)
            if (prefer == "past" and found <= today) or (prefer != "past" and found >= today):
                return found
        step = -1 if prefer == "past" else 1
        months = month.month - 1 + step
        month = date(month.year + months // 12, months % 12 + 1, 1)
    raise ParseFailed("not_understood")


def _date(norm: str, today: date, lang: str, prefer: Prefer = "nearest") -> date:
    if norm in _DAY_WORDS:
        return today + timedelta(days=_DAY_WORDS[norm])
    if m := _ISO.fullmatch(norm):
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _NUMERIC.fullmatch(norm):
        first, second = int(m.group(1)), int(m.group(2))
        month, day = (first, second) if lang == "en" else (second, first)
        return _make(m.group(3), month, day, today, prefer)
    if m := _MONTH_FIRST.fullmatch(norm):
        return _make(m.group(3), _MONTHS[m.group(1)], int(m.group(2)), today, prefer)
    if m := _DAY_FIRST.fullmatch(norm):
        return _make(m.group(3), _MONTHS[m.group(2)], int(m.group(1)), today, prefer)
    if m := _FUTURE.fullmatch(norm):
        return _shift(today, _count(m.group(1)), m.group(2))
    if m := _PAST.fullmatch(norm):
        n, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        return _shift(today, -_count(n), unit)
    if m := _FROM_TODAY.fullmatch(norm):
        return _shift(today, _count(m.group(1)), m.group(2))
    if m := _DAY_ONLY.fullmatch(norm):
        return _day_only(int(m.group(1) or 1), today, prefer)
    if m := _WEEKDAY.fullmatch(norm):
        target = _WEEKDAYS[m.group(2).split("-")[0].split(" ")[0]]
        if m.group(1) in _PAST_WORDS or m.group(3) in _PAST_WORDS or prefer == "past":
            return today - timedelta(days=(today.weekday() - target) % 7 or 7)
        return today + timedelta(days=(target - today.weekday()) % 7 or 7)
    if m := _WEEKDAY_DAY.fullmatch(norm):
        return _day_only(int(m.group(1)), today, prefer)
    raise ParseFailed("not_understood")
