"""Parse a parent's free-text SMS answer (en/es/pt) into a typed value, or raise ParseFailed."""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from types import MappingProxyType

import phonenumbers


class ParseFailed(ValueError):
    """The answer could not be read; `reason` is a short machine code the caller maps to a reply."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    labels: tuple[str, ...]
    synonyms: tuple[str, ...] = ()


# Leading/trailing punctuation people add around a one-word reply ("Yes!", "¿sí?").
_EDGE_PUNCT = ".!?,;:…¡¿"
# Emoji skin-tone modifiers are category Sk, so accent stripping keeps them; 👍🏽 must equal 👍.
_SKIN_TONES = frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))


def normalize(text: str) -> str:
    """Matching form: NFKC, casefolded, accent-free, control-free, single-spaced, edge-trimmed."""
    if len(text) <= 200:
        return _normalize_short(text)
    return _normalize(text)


@lru_cache(maxsize=8192)
def _normalize_short(text: str) -> str:
    # Choice labels and common replies repeat on every message: normalizing them once is enough.
    return _normalize(text)


def _normalize(text: str) -> str:
    folded = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    kept: list[str] = []
    for ch in folded:
        cat = unicodedata.category(ch)
        if cat == "Cc":
            kept.append(" ")  # newlines/tabs separate words
        elif cat not in ("Mn", "Cf", "Cs") and ch not in _SKIN_TONES:
            kept.append(ch)
    collapsed = " ".join(unicodedata.normalize("NFC", "".join(kept)).split())
    return collapsed.rstrip(_EDGE_PUNCT + " ").lstrip(_EDGE_PUNCT + " ")


def _lang(lang: str) -> str:
    # "es-MX"/"pt_BR" behave like their base language; anything unknown is English.
    base = lang.casefold().replace("_", "-").split("-")[0]
    return base if base in ("es", "pt") else "en"


def _require(text: str) -> str:
    norm = normalize(text)
    if not norm:
        raise ParseFailed("empty")
    return norm


_WORD_RUNS = re.compile(r"[^\W_]+")


@lru_cache(maxsize=8192)
def _words(norm: str) -> str:
    # Punctuation-free key for label matching; emoji-only strings keep their normalized form.
    # Cached: the same labels are matched on every message.
    return " ".join(_WORD_RUNS.findall(norm)) or norm


def _table(rows: str, start: int = 0) -> Mapping[str, int]:
    """'a b|c' → {a: start, b: start, c: start + 1}; read-only so no module state can drift."""
    table = {w: i for i, row in enumerate(rows.split("|"), start) for w in row.split()}
    return MappingProxyType(table)


# Number words 0–10 in all three languages: parents switch languages mid-conversation.
_NUMBER_WORDS = _table(
    "zero none cero ninguno ninguna nenhum nenhuma|one uno una um uma|two dos dois duas|three tres|"
    "four cuatro quatro|five cinco|six seis|seven siete sete|eight ocho oito|nine nueve nove|"
    "ten diez dez"
)

# ---------------------------------------------------------------- yes / no

_YES = frozenset(
    (
        "y",
        "yes",
        "yeah",
        "yea",
        "yep",
        "yup",
        "ya",
        "sure",
        "ok",
        "okay",
        "k",
        "1",
        "si",
        "s",
        "claro",
        "sim",
        "correct",
        "right",
        "yes please",
        "absolutely",
        "definitely",
        "of course",
        "por supuesto",
        "claro que si",
        "correcto",
        "certo",
        "isso",
        "com certeza",
        "sim por favor",
        "si por favor",
        "👍",
        "✅",
        "👌",
    )
)
_NO = frozenset(
    (
        "n",
        "no",
        "nope",
        "nah",
        "2",
        "nao",
        "no thanks",
        "no thank you",
        "not really",
        "no gracias",
        "nao obrigado",
        "nao obrigada",
        "never",
        "nunca",
        "👎",
        "❌",
    )
)
# Replies containing a yes/no word that still mean "I don't know" ("no sé", "not sure").
_UNSURE = re.compile(
    r"\b(?:not sure|unsure|idk|don ?t know|maybe|no se|nao sei|tal ?vez|quizas?|"
    r"no estoy segur[oa]|nao tenho certeza)\b"
)
# Words that decide a longer reply when they lead it ("yes I do", "no, not yet").
_LEAD = MappingProxyType(
    dict.fromkeys(("yes", "yeah", "yep", "yup", "sure", "okay", "si", "claro", "sim"), True)
    | dict.fromkeys(("no", "nope", "nah", "nao", "never", "nunca"), False)
)
_JOINERS = frozenset(("and", "or", "y", "o", "e", "ou"))


def parse_yes_no(text: str, lang: str) -> bool:
    norm = _require(text)
    phrase = _words(norm)
    if _UNSURE.search(phrase):
        raise ParseFailed("not_understood")
    if norm in _YES or phrase in _YES:
        return True
    if norm in _NO or phrase in _NO:
        return False
    words = phrase.split()
    if words[0] not in _LEAD:
        raise ParseFailed("not_understood")
    answer = _LEAD[words[0]]
    # "yes and no" / "si o no": the opposite answer right after the first one.
    following = [w for w in words[1:3] if w not in _JOINERS]
    if following and _LEAD.get(following[0], answer) != answer:
        raise ParseFailed("ambiguous")
    return answer


# ---------------------------------------------------------------- choices

_NUMBER_CHOICE = re.compile(r"(?:(?:option|opcion|opcao|number|numero|num)\.?\s*)?#?\s*(\d+)")
_LEADING_NUMBER = re.compile(r"#?(\d+)\s*[.):-]?\s+(.+)")


def _match_labels(norm: str, options: Sequence[Option]) -> list[str]:
    """Values whose label/synonym best matches the reply: exact first, then partial (≥3 chars)."""
    key = _words(norm)
    keyed = [(o.value, [_words(normalize(p)) for p in o.labels + o.synonyms]) for o in options]
    exact = [value for value, keys in keyed if key in keys]
    if exact:
        return list(dict.fromkeys(exact))
    best: dict[str, int] = {}
    for value, keys in keyed:
        for pkey in keys:
            score = 0
            # The reply is the start of some label word run: "steady" → "yes, a steady place".
            if len(key) >= 3 and f" {key}" in f" {pkey}":
                score = len(key)
            # The reply contains a whole label: "i think yes a steady place".
            elif len(pkey) >= 3 and f" {pkey} " in f" {key} ":
                score = len(pkey)
            best[value] = max(best.get(value, 0), score)
    top = max(best.values(), default=0)
    return [v for v, s in best.items() if s == top] if top else []


def _by_number(n: int, options: Sequence[Option]) -> str:
    if not 1 <= n <= len(options):
        raise ParseFailed("out_of_range")
    return options[n - 1].value


def _digits(raw: str) -> int:
    # int() refuses >4300 digits; a reply that long is out of any sensible range anyway.
    raw = raw.lstrip("0") or "0"
    if len(raw) > 4000:
        raise ParseFailed("out_of_range")
    return int(raw)


def _choice(norm: str, options: Sequence[Option]) -> str:
    number = _NUMBER_CHOICE.fullmatch(norm)
    if number:
        return _by_number(_digits(number.group(1)), options)
    lead = _LEADING_NUMBER.fullmatch(norm)
    if lead:
        # "2. Yes, a steady place" (copied from the menu): the words must not contradict the number.
        value = _by_number(_digits(lead.group(1)), options)
        rest = lead.group(2)
        if re.search(r"\d", rest) or _match_labels(rest, options) not in ([], [value]):
            raise ParseFailed("ambiguous")
        return value
    matches = _match_labels(norm, options)
    if not matches and _NUMBER_WORDS.get(_words(norm)):  # "two" → option 2; "none" isn't a pick
        return _by_number(_NUMBER_WORDS[_words(norm)], options)
    if len(matches) > 1:
        raise ParseFailed("ambiguous")
    if not matches:
        raise ParseFailed("not_understood")
    return matches[0]


def parse_choice(text: str, options: Sequence[Option], lang: str) -> str:
    return _choice(_require(text), options)


_MULTI_SEP = re.compile(r"\s*(?:[,;/&+]|\b(?:and|y|e|plus)\b)\s*")


def parse_multi(text: str, options: Sequence[Option], lang: str) -> list[str]:
    norm = _require(text)
    # A whole label may itself contain "and"/"y"/"e" ("Mom and Dad"), so try it before splitting.
    if _words(norm) in {_words(normalize(p)) for o in options for p in o.labels + o.synonyms}:
        whole = _match_labels(norm, options)
        if len(whole) == 1:
            return whole
    chosen: set[str] = set()
    for part in _MULTI_SEP.split(norm):
        part = part.strip(_EDGE_PUNCT + " ")
        if not part:
            continue
        if re.fullmatch(r"\d+(?: \d+)*", part):
            chosen.update(_by_number(_digits(d), options) for d in part.split())
        else:
            chosen.add(_choice(part, options))
    if not chosen:
        raise ParseFailed("not_understood")
    return list(dict.fromkeys(o.value for o in options if o.value in chosen))


# ---------------------------------------------------------------- dates

_MONTHS = _table(
    "january jan enero ene janeiro|february feb febrero fevereiro fev|march mar marzo marco|"
    "april apr abril abr|may mayo maio mai|june jun junio junho|july jul julio julho|"
    "august aug agosto ago|september sep sept septiembre setiembre setembro set|"
    "october oct octubre outubro out|november nov noviembre novembro|"
    "december dec diciembre dic dezembro dez",
    start=1,
)
_WEEKDAYS = _table(
    "monday mon lunes segunda|tuesday tue tues martes terca|wednesday wed miercoles quarta|"
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
    rf"(?:(next|this|coming|on|el proximo|el|este|proximo|proxima|la proxima|na proxima|"
    rf"no proximo|na|no|nesta|neste|esta|last|el pasado) )?({_WD})"
    rf"(?: (que viene|que vem|proximo|proxima|pasado|passado|passada))?"
)
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


def _closest_year(month: int, day: int, today: date) -> date:
    """A yearless date takes whichever of last/this/next year is nearest today (ties → future)."""
    years = (today.year - 1, today.year, today.year + 1)
    # Feb 29 exists only in some candidate years; year 0/10000 exist in none.
    candidates = [date(y, month, day) for y in years if _valid(y, month, day)]
    if not candidates:
        raise ParseFailed("not_understood")
    return min(candidates, key=lambda d: (abs((d - today).days), d < today))


def _valid(year: int, month: int, day: int) -> bool:
    if not (1 <= year <= 9999 and 1 <= month <= 12):
        return False
    return 1 <= day <= calendar.monthrange(year, month)[1]


def _make(year: str | None, month: int, day: int, today: date) -> date:
    if year is None:
        return _closest_year(month, day, today)
    return date(int(year) + (2000 if len(year) == 2 else 0), month, day)


def parse_date(text: str, today: date, lang: str) -> date:
    """Numeric dates are M/D for en and D/M for es/pt; bare or "next" weekdays mean the next one."""
    norm = " ".join(_require(text).replace(",", " ").split())
    try:
        return _date(norm, today, _lang(lang))
    except ParseFailed:
        raise
    except (ValueError, OverflowError):
        raise ParseFailed("not_understood") from None


def _date(norm: str, today: date, lang: str) -> date:
    if norm in _DAY_WORDS:
        return today + timedelta(days=_DAY_WORDS[norm])
    if m := _ISO.fullmatch(norm):
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _NUMERIC.fullmatch(norm):
        first, second = int(m.group(1)), int(m.group(2))
        month, day = (first, second) if lang == "en" else (second, first)
        return _make(m.group(3), month, day, today)
    if m := _MONTH_FIRST.fullmatch(norm):
        return _make(m.group(3), _MONTHS[m.group(1)], int(m.group(2)), today)
    if m := _DAY_FIRST.fullmatch(norm):
        return _make(m.group(3), _MONTHS[m.group(2)], int(m.group(1)), today)
    if m := _FUTURE.fullmatch(norm):
        return _shift(today, _count(m.group(1)), m.group(2))
    if m := _PAST.fullmatch(norm):
        n, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        return _shift(today, -_count(n), unit)
    if m := _WEEKDAY.fullmatch(norm):
        target = _WEEKDAYS[m.group(2).split("-")[0].split(" ")[0]]
        if m.group(1) in _PAST_WORDS or m.group(3) in _PAST_WORDS:
            return today - timedelta(days=(today.weekday() - target) % 7 or 7)
        return today + timedelta(days=(target - today.weekday()) % 7 or 7)
    raise ParseFailed("not_understood")


# ---------------------------------------------------------------- times

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


def parse_time(text: str, lang: str) -> time:
    """Hours 1–7 with no am/pm or period word mean PM (nobody books 3 am); "07:00" stays 7 am."""
    norm = _require(text)
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


# ---------------------------------------------------------------- phone, zip, int, text


def parse_phone(text: str, region: str = "US") -> str:
    """A valid number in E.164 form; national numbers are read in `region`."""
    raw = " ".join(unicodedata.normalize("NFKC", text).split())
    if not raw:
        raise ParseFailed("empty")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ParseFailed("not_understood") from None
    if not phonenumbers.is_valid_number(number):
        raise ParseFailed("invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_zip(text: str) -> str:
    """A 5-digit US ZIP; ZIP+4 is accepted and shortened to its first five digits."""
    m = re.fullmatch(r"(\d{5})(?:[- ]?\d{4})?", _require(text), flags=re.ASCII)
    if not m:
        raise ParseFailed("not_understood")
    return m.group(1)


def parse_int(text: str, lang: str, minimum: int, maximum: int) -> int:
    """Digits or a number word 0–10 in any supported language; one number in a sentence counts."""
    norm = _require(text)
    key = _words(norm)
    digit_runs = re.findall(r"-?[0-9]+", norm)
    if key in _NUMBER_WORDS:
        value = _NUMBER_WORDS[key]
    elif len(digit_runs) > 1:
        raise ParseFailed("ambiguous")
    elif digit_runs:
        run = digit_runs[0]
        # A minus only counts at the start ("-1"), not inside "06103-1234"-like text.
        sign = -1 if run.startswith("-") and norm.startswith("-") else 1
        value = sign * _digits(run.lstrip("-"))
    elif key.split()[0] in _NUMBER_WORDS:
        value = _NUMBER_WORDS[key.split()[0]]
    else:
        raise ParseFailed("not_understood")
    if not minimum <= value <= maximum:
        raise ParseFailed("out_of_range")
    return value


_KEEP_FORMAT = frozenset("\u200c\u200d")  # joiners hold emoji sequences and some scripts together


def parse_text(text: str, max_len: int) -> str:
    """Free text, cleaned of control characters and runs of whitespace; original case kept."""
    chars: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        cat = unicodedata.category(ch)
        if cat == "Cc":
            chars.append(" ")
        elif cat not in ("Cf", "Cs") or ch in _KEEP_FORMAT:
            chars.append(ch)
    cleaned = " ".join("".join(chars).split())
    if not cleaned:
        raise ParseFailed("empty")
    if len(cleaned) > max_len:
        raise ParseFailed("too_long")
    return cleaned
