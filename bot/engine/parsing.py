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
from typing import Literal

import phonenumbers
from rapidfuzz.distance import OSA
from text_to_num import alpha2digit


class ParseFailed(ValueError):
    """The answer could not be read; `reason` is a short machine code the caller maps to a reply."""

    def __init__(self, reason: str, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.candidates = candidates  # "ambiguous": the choice values the reply fits equally


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    labels: tuple[str, ...]
    synonyms: tuple[str, ...] = ()
    # Picking it tells the team about a need ("No, I need help getting one").
    need: bool = False


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
        "sip",
        "yas",
        "yess",
        "alright",
        "sounds good",
        "i guess so",
        "i agree",
        "agreed",
        "ok sure",
        "okey",
        "va",
        "dale",
        "esta bien",
        "bueno",
        "de acuerdo",
        "estoy de acuerdo",
        "pode ser",
        "pode",
        "beleza",
        "blz",
        "uhum",
        "aham",
        "bora",
        "concordo",
        "isso mesmo",
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
        "naw",
        "nop",
        "nel",
        "not now",
        "not right now",
        "not really",
        "ahora no",
        "ahorita no",
        "agora nao",
        "just me",
        "only me",
        "solo yo",
        "so eu",
        "no one",
        "nadie",
        "ninguem",
        "👎",
        "❌",
    )
)
# Replies containing a yes/no word that still mean "I don't know" ("no sé", "not sure").
_UNSURE = re.compile(
    r"\b(?:not sure|unsure|idk|don ?t know|maybe|no idea|no se|nao sei|tal ?vez|quizas?|talvez|"
    r"no estoy segur[oa]|nao tenho certeza)\b"
)
# Words that decide a longer reply when they lead it ("yes I do", "no, not yet").
_LEAD = MappingProxyType(
    dict.fromkeys(
        ("yes", "yeah", "yea", "yep", "yup", "sure", "okay", "ok", "si", "claro", "sim"), True
    )
    | dict.fromkeys(("no", "nope", "nah", "nao", "never", "nunca"), False)
)
_JOINERS = frozenset(("and", "or", "y", "o", "e", "ou"))


_REPEATS = re.compile(r"(\w)\1+")


def parse_yes_no(text: str, lang: str) -> bool:
    norm = _require(text)
    phrase = _words(norm)
    if _UNSURE.search(phrase):
        raise ParseFailed("not_understood")
    # "yesss", "siii", "simm", "nãoo": a held-down letter is still the word.
    for form in (norm, phrase, _REPEATS.sub(r"\1", phrase)):
        if form in _YES:
            return True
        if form in _NO:
            return False
    words = _REPEATS.sub(r"\1", phrase).split()
    if words[0] not in _LEAD:
        raise ParseFailed("not_understood")
    answer = _LEAD[words[0]]
    # "yes and no" / "si o no": the opposite answer right after the first one, and nothing else
    # ("yes, no one smokes" is a yes).
    following = [w for w in words[1:] if w not in _JOINERS]
    if len(following) == 1 and _LEAD.get(following[0], answer) != answer:
        raise ParseFailed("ambiguous")
    return answer


# ---------------------------------------------------------------- choices

_NUMBER_CHOICE = re.compile(r"(?:(?:option|opcion|opcao|number|numero|num)\.?\s*)?#?\s*(\d+)")
_LEADING_NUMBER = re.compile(r"#?(\d+)\s*[.):-]?\s+(.+)")


@lru_cache(maxsize=4096)
def _keys(option: Option) -> tuple[str, ...]:
    return tuple(_words(normalize(p)) for p in option.labels + option.synonyms)


@lru_cache(maxsize=8192)
def _content(pkey: str) -> tuple[str, ...]:
    return tuple(w for w in pkey.split() if w not in _FILLER)


def _match_labels(norm: str, options: Sequence[Option]) -> list[str]:
    """Values whose label/synonym best matches the reply: exact first, then partial (≥3 chars)."""
    key = _words(norm)
    keyed = [(o.value, _keys(o)) for o in options]
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


# Words that carry no choice on their own: they never make a label match by themselves.
_FILLER = frozenset(
    [
        "i",
        "im",
        "m",
        "a",
        "an",
        "the",
        "my",
        "me",
        "it",
        "is",
        "its",
        "to",
        "of",
        "and",
        "or",
        "but",
        "we",
        "our",
        "at",
        "in",
        "on",
        "for",
        "with",
        "just",
        "that",
        "this",
        "so",
        "do",
        "have",
        "has",
        "yes",
        "y",
        "no",
        "not",
        "yet",
        "si",
        "sim",
        "nao",
        "el",
        "la",
        "los",
        "las",
        "un",
        "una",
        "de",
        "del",
        "en",
        "es",
        "mi",
        "con",
        "para",
        "por",
        "que",
        "lo",
        "o",
        "os",
        "as",
        "um",
        "uma",
        "do",
        "da",
        "no",
        "na",
        "em",
        "com",
        "pra",
        "e",
        "eu",
        "meu",
        "minha",
    ]
)
_NEED_WORDS = re.compile(
    r"\b(?:need|needs|want|wanna|would like|i d like|id like|help|necesito|necesitamos|"
    r"quiero|ayuda|me gustaria|preciso|precisamos|quero|ajuda|gostaria|don ?t know how|"
    r"no se como|nao sei como)\b"
)
_NEGATION = re.compile(r"^(?:no|not|nope|nah|nao|todavia no|ainda nao|aun no)\b")


def _near(word: str, target: str) -> bool:
    """One typo in a short word, two in a long one; 3-letter words only swap letters."""
    if word == target:
        return True
    if abs(len(word) - len(target)) > 2 or min(len(word), len(target)) < 3 or word[0] != target[0]:
        return False
    if len(target) == 3:
        return sorted(word) == sorted(target) and OSA.distance(word, target) == 1
    limit = 2 if len(target) >= 8 else 1
    return OSA.distance(word, target, score_cutoff=limit) <= limit


def _overlap(reply: list[str], pkey: str) -> tuple[float, int]:
    """How much of a label the reply holds, word by word with typos: (share, letters)."""
    words = _content(pkey)
    if not words:
        return 0.0, 0
    found = [w for w in words if w in reply or any(_near(r, w) for r in reply)]
    return len(found) / len(words), sum(len(w) for w in found)


def _fuzzy(norm: str, options: Sequence[Option]) -> list[str]:
    """Best options by the words the reply shares with their labels, typos allowed."""
    reply = [w for w in _words(norm).split() if w not in _FILLER]
    if not reply:
        return []
    scores: dict[str, tuple[float, int]] = {}
    for option in options:
        scores[option.value] = max(_overlap(reply, k) for k in _keys(option))
    top = max(scores.values())
    if top[1] < 3:
        return []
    return [v for v, s in scores.items() if s == top]


def _polarity(norm: str) -> bool | None:
    if _NEGATION.match(_words(norm)):
        return False
    lead = _words(norm).split()[0]
    return _LEAD.get(lead)


def _label_polarity(option: Option) -> bool | None:
    lead = _words(normalize(option.labels[-1])).split()
    return _LEAD.get(lead[0]) if lead else None


def _prefer_need(norm: str, found: list[str], options: Sequence[Option]) -> list[str]:
    """ "Not yet, I need help getting one": a need said in the answer picks the need choice."""
    if not _NEED_WORDS.search(_words(norm)):
        return found
    needs = [o for o in options if o.need]
    if not needs:
        return found
    reply = _words(norm).split()
    polarity = _polarity(norm)
    ranked = sorted(
        (
            (
                max(_overlap(reply, k)[1] for k in _keys(o)),
                polarity is not None and _label_polarity(o) == polarity,
                o.value,
            )
            for o in needs
        ),
        reverse=True,
    )
    if len(ranked) > 1 and ranked[0][:2] == ranked[1][:2]:
        return found if found else []
    if len(needs) == 1 or ranked[0][0] > 0:
        return [ranked[0][2]]
    return found


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
    exact = _exact(norm, options)
    if not exact and _UNSURE.search(_words(norm)):
        # "no sé todavía": only a choice that itself means "not sure" fits, else it's a skip.
        unsure = [o.value for o in options if any(_UNSURE.search(k) for k in _keys(o))]
        if len(unsure) != 1:
            raise ParseFailed("not_understood")
        return unsure[0]
    if not exact and _REPEATS.sub(r"\1", _words(norm)) in _YES | _NO:
        exact = _by_yes_no(norm, options)  # "sim", "não": before "não" inside "prefiro não dizer"
    matches = exact or _match_labels(norm, options)
    ordinal = _ORDINALS.get(_words(norm)) or _NUMBER_WORDS.get(_words(norm))
    if not matches and ordinal:  # "two", "the first one" → that option; "none" isn't a pick
        return _by_number(ordinal, options)
    if not matches:
        matches = _by_yes_no(norm, options)
    if not matches:
        matches = _fuzzy(norm, options)
    if len(matches) > 1:
        matches = [m for m in _by_yes_no(norm, options) if m in matches] or _by_polarity(
            norm, matches, options
        )
    matches = _prefer_need(norm, matches, options)
    if len(matches) > 1:
        raise ParseFailed("ambiguous", tuple(matches))
    if not matches:
        raise ParseFailed("not_understood")
    return matches[0]


_ORDINALS = MappingProxyType(
    {
        f"{article}{word}{tail}": n
        for n, words in enumerate(
            (
                "first primero primera primeiro primeira",
                "second segundo segunda",
                "third tercero tercera terceiro terceira",
                "fourth cuarto cuarta quarto quarta",
            ),
            start=1,
        )
        for word in words.split()
        for article in ("", "the ", "el ", "la ", "o ", "a ")
        for tail in ("", " one", " uno", " una", " um", " uma")
    }
)


def _exact(norm: str, options: Sequence[Option]) -> list[str]:
    key = _words(norm)
    return list(dict.fromkeys(o.value for o in options if key in _keys(o)))


def _by_yes_no(norm: str, options: Sequence[Option]) -> list[str]:
    """ "sim", "yeah", "sí, en la clínica": the choice a plain yes (or no) stands for."""
    try:
        answer = parse_yes_no(norm, "")
    except ParseFailed:
        return []
    words = _YES if answer else _NO
    marked = [o.value for o in options if any(_words(normalize(w)) in words for w in o.synonyms)]
    if len(marked) == 1:
        return marked
    led = [o.value for o in options if _label_polarity(o) == answer]
    return led if len(led) == 1 else []


def _by_polarity(norm: str, matches: list[str], options: Sequence[Option]) -> list[str]:
    """ "yes a lot" vs "a lot": among equal matches, the one that starts with the same yes/no."""
    polarity = _polarity(norm)
    if polarity is None:
        return matches
    same = [o.value for o in options if o.value in matches and _label_polarity(o) == polarity]
    return same or matches


def parse_choice(text: str, options: Sequence[Option], lang: str) -> str:
    return _choice(_require(text), options)


_MULTI_SEP = re.compile(r"\s*(?:[,;/&+]|\b(?:and|y|e|plus)\b)\s*")


def _named(part: str, options: Sequence[Option]) -> list[str]:
    """Options one of whose labels stands whole in the reply (no need words around)."""
    key = f" {_words(part)} "
    if _NEED_WORDS.search(key):
        return []
    return [
        o.value
        for o in options
        if any(len(k) >= 3 and k not in _FILLER and f" {k} " in key for k in _keys(o))
    ]


def parse_multi(text: str, options: Sequence[Option], lang: str) -> list[str]:
    norm = _require(text)
    # A whole label may itself contain "and"/"y"/"e" ("Mom and Dad"), so try it before splitting.
    if any(_words(norm) in _keys(o) for o in options):
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
        elif len(named := _named(part, options)) > 1:
            chosen.update(named)  # "wic snap": two labels side by side
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
    norm = _require(text)
    m = re.fullmatch(r"(\d{5})(?:[- ]?\d{4})?", norm, flags=re.ASCII)
    if (
        not m
        and re.fullmatch(r"[\d ]{5,7}", norm, flags=re.ASCII)
        and len(digits := norm.replace(" ", "")) == 5
    ):
        return digits  # "06 103"
    if not m:
        # "my zip is 06103": one 5-digit run in a short sentence.
        runs = re.findall(r"(?<![\d-])(\d{5})(?:-\d{4})?(?![\d-])", norm, flags=re.ASCII)
        if len(runs) == 1 and len(norm) <= 40 and len(re.findall(r"\d", norm)) in (5, 9):
            return str(runs[0])
        raise ParseFailed("not_understood")
    return m.group(1)


_T2N_LANG = MappingProxyType({"en": "en", "es": "es", "pt": "pt"})


def parse_int(text: str, lang: str, minimum: int, maximum: int) -> int:
    """Digits or a number word 0–10 in any supported language; one number in a sentence counts."""
    norm = _require(text)
    if not re.search(r"\d", norm):
        # "doce", "twenty two", "vinte e dois": text2num writes the bigger number words as digits.
        norm = normalize(alpha2digit(norm, _T2N_LANG[_lang(lang)]))
    key = _words(norm)
    digit_runs = re.findall(r"-?[0-9]+", norm)
    counted = [_NUMBER_WORDS[w] for w in key.split() if w in _NUMBER_WORDS]
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
    elif len(counted) == 1:
        value = counted[0]  # "just one", "solo uno"
    elif minimum <= 0 and _NEGATION.match(key):
        value = 0  # "no other kids", "não"
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
