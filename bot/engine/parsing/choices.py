"""One choice or several from a list of options: by number, by label (exact, partial, with
typos), by a plain yes or no, by ordinal; and a need said in the reply picks the need."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from types import MappingProxyType

from rapidfuzz.distance import OSA

from bot.engine.parsing.common import (
    _EDGE_PUNCT,
    _NUMBER_WORDS,
    Option,
    ParseFailed,
    _require,
    _words,
    normalize,
)
from bot.engine.parsing.yes_no import _LEAD, _NO, _REPEATS, _UNSURE, _YES, parse_yes_no

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
