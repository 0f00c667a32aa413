"""Count how many SMS segments a message costs, following GSM 03.38 / UCS-2 splitting rules."""

from __future__ import annotations

import re
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
