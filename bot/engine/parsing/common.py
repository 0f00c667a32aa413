"""What every parser shares: the failure, a choice option, the matching form of a text
(`normalize`), and the number words 0-10 in en/es/pt."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from bot.errors import SafeStartError


class ParseFailed(SafeStartError, ValueError):
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
