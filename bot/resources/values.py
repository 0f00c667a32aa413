"""Field values as Safe Start keeps them: phone numbers, opening hours, short descriptions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

DESCRIPTION_LIMIT = 200
_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x)\s*(\d+)\s*$", re.IGNORECASE)
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_BY_WORD: dict[str, int] = {
    **{code.casefold(): i for i, code in enumerate(_DAYS)},
    **{name.casefold(): i for i, name in enumerate(_DAY_NAMES)},
    **{f"{name}day".casefold(): i for i, name in enumerate(("Mon", "Tues", "Wednes", "Thurs",
                                                            "Fri", "Satur", "Sun"))},
    **{str(i + 1): i for i in range(7)},  # ISO 8601: 1 is Monday
}  # fmt: skip
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")


def phone_number(text: str, extension: str = "") -> tuple[str, str]:
    """(number, extension): E.164 for a 10-digit US number, else the text as given."""
    text = " ".join(text.split())
    if found := _EXTENSION.search(text):
        text, extension = text[: found.start()], extension or found.group(1)
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10 and digits[0] not in "01" and re.fullmatch(r"[\d\s().+-]*", text):
        return f"+1{digits}", extension.strip()
    return text, extension.strip()


def short_description(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """The text on one line, cut at a word before `limit` characters with "..." after."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 3].rsplit(" ", 1)[0].rstrip(",;:-")
    return f"{cut}..."


@dataclass(frozen=True, slots=True)
class Opening:
    """One schedule row: the days (0 is Monday), opening and closing, or a note."""

    days: tuple[int, ...] = ()
    opens: str = ""
    closes: str = ""
    note: str = ""


@lru_cache(maxsize=256)  # directories repeat a handful of day lists thousands of times
def weekdays(text: str) -> tuple[int, ...]:
    """Days from an RRULE BYDAY list ("MO,TU") or names ("Monday"); ValueError otherwise."""
    days: set[int] = set()
    for word in re.split(r"[,\s]+", text.strip()):
        if not word:
            continue
        day = _DAY_BY_WORD.get(re.sub(r"^[+-]?\d+(?=[A-Za-z])", "", word).casefold())
        if day is None:
            raise ValueError(f"{word!r} is not a day of the week")
        days.add(day)
    return tuple(sorted(days))


def hours_text(openings: Iterable[Opening]) -> str:
    """Short opening hours, e.g. "Mon-Fri 9am-5pm; Sat 10am-1pm"; notes where no times."""
    by_times: dict[tuple[str, str], set[int]] = {}
    notes: list[str] = []
    for row in openings:
        if row.opens or row.closes:
            by_times.setdefault((row.opens, row.closes), set()).update(row.days)
        elif row.days:
            by_times.setdefault(("", ""), set()).update(row.days)
        elif row.note:
            notes.append(" ".join(row.note.split()))
    parts = []
    for (opens, closes), days in sorted(by_times.items(), key=lambda item: min(item[1], default=7)):
        whole_day = _clock(opens) == "12am" and _clock(closes) in ("11:59pm", "12am")
        times = "24 hours" if whole_day else "-".join(_clock(t) for t in (opens, closes) if t)
        parts.append(" ".join(p for p in (_day_ranges(sorted(days)), times) if p))
    return "; ".join(dict.fromkeys([*parts, *notes]))


@lru_cache(maxsize=1024)
def _clock(text: str) -> str:
    """ "09:00" -> "9am", "17:30-05:00" -> "5:30pm"; other text is kept as it is."""
    found = _CLOCK.match(text.strip())
    if not found:
        return text.strip()
    hour, minute = int(found.group(1)), found.group(2)
    if hour > 23 or int(minute) > 59:
        return text.strip()
    suffix = "am" if hour < 12 else "pm"
    hour = hour % 12 or 12
    return f"{hour}{suffix}" if minute == "00" else f"{hour}:{minute}{suffix}"


def _day_ranges(days: list[int]) -> str:
    if len(days) == len(_DAYS):
        return "Every day"
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(
        f"{_DAY_NAMES[run[0]]}-{_DAY_NAMES[run[-1]]}" if len(run) > 2
        else ", ".join(_DAY_NAMES[d] for d in run)
        for run in runs
    )  # fmt: skip
