"""Phone numbers (E.164), US ZIP codes, whole numbers in a range, and free text."""

from __future__ import annotations

import re
import unicodedata
from types import MappingProxyType

import phonenumbers
from text_to_num import alpha2digit

from bot.engine.parsing.choices import _NEGATION, _digits
from bot.engine.parsing.common import _NUMBER_WORDS, ParseFailed, _lang, _require, _words, normalize


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
