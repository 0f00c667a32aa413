"""Times of day in en/es/pt: "10am", "10:30", "half past 2", "noon", "in the morning"."""

from __future__ import annotations

import re
from datetime import time
from types import MappingProxyType

from bot.engine.parsing.common import ParseFailed, _require, _table
from bot.engine.parsing.dates import _alt

_TIME_WORDS = MappingProxyType(
    dict.fromkeys(
        ("noon", "midday", "12 noon", "mediodia", "medio dia", "meio-dia", "meio dia"), 12
    )
    | dict.fromkeys(("midnight", "12 midnight", "medianoche", "meia-noite", "meia noite"), 0)
)
_MORNING = (
    "in the morning",
    "morning",
    "de la manana",
    "en la manana",
    "por la manana",
    "da manha",
    "de manha",
    "pela manha",
    "de la madrugada",
    "da madrugada",
)
_AFTERNOON = (
    "in the afternoon",
    "in the evening",
    "afternoon",
    "evening",
    "tonight",
    "de la tarde",
    "por la tarde",
    "en la tarde",
    "da tarde",
    "de tarde",
    "a tarde",
    "pela tarde",
)
_NIGHT = (
    "at night",
    "de la noche",
    "por la noche",
    "da noite",
    "de noite",
    "a noite",
    "pela noite",
)
_TIME = re.compile(
    r"(?:(?:at|around|about|a las|a la|las|la|as|a|por volta das|cerca de las) )?"
    r"(\d{1,2})(?: ?[:h.] ?(\d{2}))? ?(?:([ap])\.? ?m?\.?)? ?"
    r"(?:o'?clock|hrs|hs|h|horas|en punto|em ponto)? ?"
    rf"({_alt(_MORNING + _AFTERNOON + _NIGHT)})?"
)


_HOUR_WORDS = _table(
    "one uno una um uma|two dos dois duas|three tres|four cuatro quatro|five cinco|six seis|"
    "seven siete sete|eight ocho oito|nine nueve nove|ten diez dez|eleven once onze|"
    "twelve doce doze",
    start=1,
)
_MINUTE_WORDS = MappingProxyType(
    {"fifteen": 15, "thirty": 30, "forty five": 45, "forty-five": 45, "oclock": 0, "o clock": 0}
)
_HALF = re.compile(r"(?:half past|half after) (\d{1,2})|(\d{1,2}) (?:y media|e meia|y treinta)")
_QUARTER = re.compile(r"quarter (past|after|to|til) (\d{1,2})|(\d{1,2}) (y cuarto|menos cuarto)")
_TIME_LEAD = re.compile(
    r"^(?:(?:it s|its|it is|at|around|about|like|maybe|como|como a|umas|tipo|cerca de|"
    r"por volta das|por volta de|la pelas|pelas|a eso de|mas o menos)\s+)+"
)
_TIME_MARKED = re.compile(
    r"(?:(?:at|a las|as|a la|@)\s+)?\d{1,2}(?:\s*[:h.]\s*\d{2})?\s*(?:[ap]\.?\s*m\.?|h\b)?"
    r"(?:\s*(?:o'?clock|hrs|horas))?"
    rf"(?:\s+(?:{_alt(_MORNING + _AFTERNOON + _NIGHT)}))?"
)


def _spell_out(norm: str) -> str:
    """Hour and minute words as digits: "ten thirty" → "10 30", "a las tres" → "a las 3"."""
    words = []
    for word in norm.replace("-", " ").split():
        if word in _HOUR_WORDS:
            words.append(str(_HOUR_WORDS[word]))
        elif word in _MINUTE_WORDS:
            words.append(f"{_MINUTE_WORDS[word]:02d}")
        else:
            words.append(word)
    return " ".join(words)


def parse_time(text: str, lang: str) -> time:
    """Hours 1–7 with no am/pm or period word mean PM (nobody books 3 am); "07:00" stays 7 am.
    Also "half past 2", "3 y media", "4 menos cuarto", "ten thirty", and a time in a sentence."""
    norm = _require(text)
    try:
        return _time(norm)
    except ParseFailed as failure:
        if failure.reason != "not_understood":
            raise  # "25:00", "10 am in the afternoon": read, and wrong
    spoken = _TIME_LEAD.sub("", _spell_out(norm.replace("meio dia", "12")))
    spoken = spoken.replace("meio-dia", "12").replace("mediodia", "12")
    for pattern in (_HALF, _QUARTER):
        if m := pattern.search(spoken):
            spoken = _fraction(spoken, m)
    spoken = re.sub(r"\b(\d{1,2}) ([0-5]\d)\b", r"\1:\2", spoken)  # "10 30"
    spoken = re.sub(r"^([01]\d|2[0-3])([0-5]\d)$", r"\1:\2", spoken)  # "1430"
    try:
        return _time(spoken)
    except ParseFailed:
        pass
    # "dec 12 at 10:30am", "el miercoles a las 2": the time part of a longer reply.
    found = [m.group(0).strip() for m in _TIME_MARKED.finditer(spoken)]
    marked = [f for f in found if re.search(r"[:ap]|h\b|^(?:at|a |as|@)|de la|da |in the", f)]
    for candidate in marked[::-1] or found[-1:]:
        try:
            return _time(candidate)
        except ParseFailed:
            continue
    raise ParseFailed("not_understood")


def _fraction(spoken: str, m: re.Match[str]) -> str:
    groups = [g for g in m.groups() if g]
    hour = int(next(g for g in groups if g.isdigit()))
    words = " ".join(g for g in groups if not g.isdigit())
    if "to" in words.split() or "til" in words.split() or "menos" in words:
        hour, minute = (hour - 1) % 12 or 12, 45
    elif "cuarto" in words or "past" in words or ("after" in words and "half" not in m.group(0)):
        minute = 15
    else:
        minute = 30
    if "half" in m.group(0) or "media" in m.group(0) or "meia" in m.group(0):
        minute = 30
    return spoken[: m.start()] + f"{hour}:{minute:02d}" + spoken[m.end() :]


def _time(norm: str) -> time:
    word = re.sub(r"^(?:at|al|ao|a|as|el|o) ", "", norm)
    if word in _TIME_WORDS:
        return time(_TIME_WORDS[word])
    m = _TIME.fullmatch(norm)
    if not m:
        raise ParseFailed("not_understood")
    raw_hour, raw_minute, meridiem, period = m.groups()
    hour, minute = int(raw_hour), int(raw_minute or 0)
    if minute > 59 or hour > 23:
        raise ParseFailed("out_of_range")
    am = meridiem == "a" or period in _MORNING
    pm = meridiem == "p" or period in _AFTERNOON
    night = period in _NIGHT
    if am + pm + night > 1 and not (meridiem == "p" and night):
        raise ParseFailed("ambiguous")
    if am:
        if not 1 <= hour <= 12:
            raise ParseFailed("not_understood")
        hour %= 12
    elif pm and 1 <= hour <= 11:
        hour += 12
    elif night:
        hour = 0 if hour == 12 else hour + 12 if 6 <= hour <= 11 else hour
    elif (pm and hour == 0) or (pm and meridiem and hour > 12):
        raise ParseFailed("not_understood")
    elif not pm and 1 <= hour <= 7 and not raw_hour.startswith("0"):
        hour += 12
    return time(hour, minute)
