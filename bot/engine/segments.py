"""Count how many SMS segments a message costs, following GSM 03.38 / UCS-2 splitting rules."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

# GSM 03.38 default alphabet (one septet each). ESC (0x1B) is left out: it only introduces
# the extension table and is never a character a message can contain on its own.
_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs two septets (ESC + code). Form feed is in the table too.
_EXTENDED = frozenset("^{}\\[~]|€\f")

# Fast paths (C speed): most texts are plain GSM, and most fit or split without extension
# characters or surrogate pairs, where the count is simple arithmetic.
_ALL_BASIC = re.compile("[" + re.escape("".join(sorted(_BASIC))) + "]*")
_ALL_GSM = re.compile("[" + re.escape("".join(sorted(_BASIC | _EXTENDED))) + "]*")
_WIDE = re.compile("[\U00010000-\U0010ffff]")

_GSM_SINGLE, _GSM_PART = 160, 153  # a 7-septet UDH steals room from each part of a long message
_UCS_SINGLE, _UCS_PART = 70, 67


# Plain spellings for letters GSM-7 lacks (SMS_PLAIN_LETTERS): á í ó ú ã õ â ê ô ç and the
# typographic marks; é ñ ü à ¿ ¡ and Ç are GSM-7 letters and stay as they are.
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
    }
)


def plain_letters(text: str) -> str:
    """The text in GSM-7 letters where a plain spelling exists (accents dropped only where
    GSM-7 has no such letter), so a Spanish or Portuguese SMS is not sent as UCS-2.
    A character with no plain form (an emoji) is kept: that text stays UCS-2."""
    if is_gsm7(text):
        return text
    out = []
    for ch in text.translate(_PLAIN):
        if ch in _BASIC or ch in _EXTENDED:
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        out.append(base if base and all(c in _BASIC for c in base) else ch)
    return "".join(out)


def is_gsm7(text: str) -> bool:
    return _ALL_GSM.fullmatch(text) is not None


def encoding(text: str) -> Literal["GSM-7", "UCS-2"]:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def _units(ch: str, gsm: bool) -> int:
    if gsm:
        return 2 if ch in _EXTENDED else 1
    return 2 if ord(ch) > 0xFFFF else 1  # UTF-16 surrogate pair


def segment_count(text: str) -> int:
    """Segments needed; an escape pair or surrogate pair is never split across two parts."""
    gsm = is_gsm7(text)
    single, part = (_GSM_SINGLE, _GSM_PART) if gsm else (_UCS_SINGLE, _UCS_PART)
    uniform = _ALL_BASIC.fullmatch(text) is not None if gsm else _WIDE.search(text) is None
    if uniform:  # every character is one unit: no pair to keep together
        return 1 if len(text) <= single else -(-len(text) // part)
    sizes = [_units(ch, gsm) for ch in text]
    if sum(sizes) <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > part:
            segments, used = segments + 1, 0
        used += size
    return segments
