"""What one language's crisis data (locales/<lang>/crisis.yaml) brings to the detector beside
its phrases: its own spelling fixes and letter rules, and every word it knows (which tells the
languages a text reads as: bot/engine/crisis_spelling.py)."""

from __future__ import annotations

import re

from bot.engine.crisis_lexicon import (
    BOUNDARY,
    CRISIS_FILE,
    MANY,
    NUMBER,
    STEM,
    Lexicon,
    fold_words,
)
from bot.engine.crisis_spelling import LanguageFixes
from bot.errors import ConfigError

__all__ = ["language_fixes", "vocabulary"]


def language_fixes(lex: Lexicon, spell: dict[str, str], multi: dict[str, str]) -> LanguageFixes:
    """One language's spellings and letter rules, added to every language's `spell` and
    `multi` (a spelling that another language reads otherwise is a start-up error)."""
    own: dict[str, str] = {}
    own_multi: dict[str, str] = {}
    for written, meant in lex.spellings.items():
        key, value = " ".join(fold_words(written)), " ".join(fold_words(meant)) or BOUNDARY
        every = multi if " " in key else spell
        if every.get(key, value) != value:
            raise ConfigError(
                f"{lex.language}/{CRISIS_FILE}: spelling {written!r} means "
                f"{every[key]!r} in another language"
            )
        every[key] = value
        (own_multi if " " in key else own)[key] = value
    rewrites = []
    for pattern, replacement in lex.rewrites.items():
        try:
            rewrites.append((re.compile(pattern), replacement))
        except re.error as exc:
            raise ConfigError(f"{lex.language}/{CRISIS_FILE}: rewrite {pattern!r}: {exc}") from exc
    return LanguageFixes(lex.language, tuple(lex.kin), own, own_multi, tuple(rewrites))


def vocabulary(lex: Lexicon, phrase_words: set[str]) -> frozenset[str]:
    """Every word one language's data knows: what it calls common or everyday, its phrase,
    group and marker words, its negations, and its spellings of one word, both sides."""
    words = set(phrase_words)
    for entry in (*lex.common, *lex.words, *lex.negations, *lex.negation_gap):
        words.update(fold_words(entry))
    # Marker words are words too: "clase" (a class, which excuses) is no typo of "close".
    for marker in (
        *lex.hypothetical,
        *lex.history,
        *lex.habitual_past,
        *lex.present,
        *lex.reported,
        *lex.reported_anywhere,
        *lex.resolved,
        *lex.recovered,
        *lex.unsure,
        *lex.setback,
        *lex.averted,
        *lex.now,
        *lex.still_used,
        *lex.urge,
        *lex.what_if_use,
        *lex.surprise,
        *lex.serious,
    ):
        words.update(w for w in fold_words(marker) if w not in (NUMBER, MANY))
    # Every group word is a word, though a group only fills an optional slot: "sleeping"
    # (@pillkind?) must not be read as a typo of "slapping".
    for entries in lex.groups.values():
        words.update(w for v in entries for w in fold_words(v) if not w.endswith(STEM))
    for written, meant in lex.spellings.items():
        if " " not in written.strip():
            words.update(fold_words(written))
            words.update(fold_words(meant))
    return frozenset(words)
