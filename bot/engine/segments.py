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


SMS_MAX_SEGMENTS = 2  # house rule: one segment where it fits, two at most


def sms_texts(text: str, *, plain: bool) -> list[str]:
    """One reply as the SMS texts a parent receives: in GSM-7 letters when `plain`
    (SMS_PLAIN_LETTERS), and split where it would cost more than two segments: between
    lines first (a question stays with its choices when they fit), then between sentences,
    then between words. The words stay in order; no text is empty."""
    text = plain_letters(text) if plain else text
    if segment_count(text) <= SMS_MAX_SEGMENTS:
        return [text]
    pieces = _pieces(text)
    # Fewest segments, then fewest texts, over the ways to cut between pieces (a few dozen
    # pieces at most): greedy packing would bill "1 + 2" lines as "2 + 2".
    best: list[tuple[int, int, list[str]]] = [(0, 0, [])]
    for end in range(1, len(pieces) + 1):
        options = []
        for start in range(end - 1, -1, -1):
            joined = pieces[start][1] + "".join(g + p for g, p in pieces[start + 1 : end])
            segments = segment_count(joined)
            if segments > SMS_MAX_SEGMENTS and start < end - 1:
                break  # longer runs only grow
            cost, count, texts = best[start]
            options.append((cost + segments, count + 1, [*texts, joined]))
        best.append(min(options, key=lambda o: (o[0], o[1])))
    return [t for t in best[-1][2] if t.strip()]


def _pieces(text: str) -> list[tuple[str, str]]:
    """(glue, piece): blocks of lines (a question with its numbered choices is one block),
    a block over two segments cut into its lines, a line still over cut after its sentences,
    then between words; glue is what joined a piece to the one before."""
    blocks: list[list[str]] = []
    for line in text.split("\n"):
        if blocks and _CHOICE.match(line):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    out: list[tuple[str, str]] = []
    for block in blocks:
        whole = "\n".join(block)
        lines = [whole] if segment_count(whole) <= SMS_MAX_SEGMENTS else block
        for line in lines:
            for i, piece in enumerate(_cut(line, (_SENTENCE_END, _SPACE))):
                out.append(("\n" if i == 0 else " ", piece))
    return out


def _cut(text: str, seps: tuple[re.Pattern[str], ...]) -> list[str]:
    if segment_count(text) <= SMS_MAX_SEGMENTS or not seps:
        return [text]
    return [piece for part in seps[0].split(text) if part for piece in _cut(part, seps[1:])]


_CHOICE = re.compile(r"\d+(-\d+)?\. |\(")  # "3. No", "7-10. (kept private)", "(Pick one...)"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SPACE = re.compile(r"\s+")
