"""Which languages a text reads as, and the spelling fixes of those languages only.

Each language's spellings ("toy" -> "estoy", "im" -> "i am"), letter rules ("kiero" ->
"quiero") and typo targets are its own: a Spanish fix must not turn the English "she threw her
toy at me" into "... her estoy at me". A text reads as a language when it holds a word only that
language's crisis data (or its kin's) knows, its vocabulary less that of the others ("muy",
"kiero", "she", "gonna"); parents switch languages within a text, so it may read as several. Only
the fixes of the languages it reads as, and of their kin (Spanish and Portuguese texters borrow
each other's spellings), apply; a text that reads as none ("toy", "sucide") gets every
language's. A word that is an ordinary word of another language belongs in that
language's vocabulary (its `words` list), so it is never evidence for the first:
tests/engine/test_crisis_spelling.py checks every fix against word lists of the other languages.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

_FIXED_CACHE_MAX = 50_000
# Up to this many languages, every reading's merged fixes are built with the detector.
_BUILT_UP_TO = 6


@dataclass(frozen=True, slots=True)
class LanguageFixes:
    """One language's fixes: spellings of one word, of several words, and letter rules."""

    language: str
    kin: tuple[str, ...]
    spell: Mapping[str, str]
    multi: Mapping[str, str]
    rewrites: tuple[tuple[re.Pattern[str], str], ...]
    # What a letter rule may make: a word this language knows, or a word a stem of its
    # phrases starts (a Portuguese rule must not make English "depression" of "depresion").
    known: frozenset[str] = frozenset()
    stems: frozenset[str] = frozenset()


class Fixes:
    """The fixes of some languages, merged (they never disagree: the detector checks), with
    the words they corrected remembered (a text's reading decides which Fixes it gets)."""

    def __init__(self, languages: frozenset[str], parts: Sequence[LanguageFixes]) -> None:
        self.languages = languages
        self.spell: dict[str, str] = {}
        self.multi: dict[str, str] = {}
        for part in parts:
            self.spell.update(part.spell)
            self.multi.update(part.multi)
        self.rewrites = tuple(rule for part in parts for rule in part.rewrites)
        self.known = frozenset().union(*(part.known for part in parts))
        self.stems = frozenset().union(*(part.stems for part in parts))
        self._multi = (
            re.compile(
                "(?<![^ ])("
                + "|".join(sorted(map(re.escape, self.multi), key=len, reverse=True))
                + ")(?![^ ])"
            )
            if self.multi
            else None
        )
        self._multi_first = frozenset(k.split()[0] for k in self.multi)
        self._corrected: dict[str, str] = {}

    def join(self, words: list[str]) -> list[str]:
        """Spellings of several words ("matar me" -> "matarme") read as one."""
        if self._multi is None or self._multi_first.isdisjoint(words):
            return words
        return self._multi.sub(lambda m: self.multi[m.group(1)], " ".join(words)).split()

    def corrected(self, word: str) -> str | None:
        return self._corrected.get(word)

    def remember(self, word: str, meant: str) -> str:
        if len(self._corrected) >= _FIXED_CACHE_MAX:
            self._corrected.clear()
        self._corrected[word] = meant
        return meant


class Languages:
    """Tells the languages a text reads as and hands out their merged fixes."""

    def __init__(
        self, fixes: Sequence[LanguageFixes], vocabularies: Mapping[str, Collection[str]]
    ) -> None:
        self._parts = {part.language: part for part in fixes}
        self._kin: dict[str, set[str]] = {part.language: {part.language} for part in fixes}
        for part in fixes:
            for other in part.kin:
                if other in self._kin:
                    self._kin[part.language].add(other)
                    self._kin[other].add(part.language)
        # A word of a language and its kin ("que", "matar") tells them both.
        self._own: list[tuple[str, frozenset[str]]] = []
        for part in fixes:
            others: set[str] = set()
            for language, words in vocabularies.items():
                if language not in self._kin[part.language]:
                    others.update(words)
            # Words, not numbers: "12" tells no language.
            own = {w for w in vocabularies.get(part.language, ()) if w.replace("'", "").isalpha()}
            self._own.append((part.language, frozenset(own - others)))
        # A word of one language alone, its kin's set aside too ("com", "nao", "voy"): what
        # tells a Portuguese "no" (in the) from a Spanish one.
        self._alone = [
            (
                language,
                frozenset(own).difference(*(w for other, w in self._own if other != language)),
            )
            for language, own in self._own
        ]
        self.every = Fixes(frozenset(self._parts), tuple(fixes))
        self._by_reading: dict[tuple[str, ...], Fixes] = {}
        self._by_read: dict[frozenset[str], Fixes] = {}
        # Built now, not on a text's first sight (a few languages make few readings).
        if len(fixes) <= _BUILT_UP_TO:
            for size in range(1, len(fixes)):
                for read in combinations(self._parts, size):
                    self._by_read[frozenset(read)] = self._fixes(frozenset(read))

    def own_words(self, language: str) -> frozenset[str]:
        """The words that make a text read as this language."""
        return next(words for lang, words in self._own if lang == language)

    def spellings(self, language: str) -> dict[str, str]:
        part = self._parts[language]
        return {**part.spell, **part.multi}

    def alone(self, words: Collection[str]) -> frozenset[str]:
        """The languages these words hold a word of that no other language knows, kin
        included (none, for a text of shared words only)."""
        return frozenset(lang for lang, own in self._alone if not own.isdisjoint(words))

    def reading(self, words: Collection[str]) -> Fixes:
        """The fixes of the languages these words read as (of every language, if none)."""
        read = frozenset([lang for lang, own in self._own if not own.isdisjoint(words)])
        fixes = self._by_read.get(read)
        if fixes is None:
            fixes = self._by_read[read] = self._fixes(read)
        return fixes

    def _fixes(self, read: frozenset[str]) -> Fixes:
        languages = tuple(lang for lang, _ in self._own if any(k in read for k in self._kin[lang]))
        if not languages or len(languages) == len(self._own):
            return self.every
        fixes = self._by_reading.get(languages)
        if fixes is None:
            fixes = Fixes(frozenset(languages), [self._parts[lang] for lang in languages])
            self._by_reading[languages] = fixes
        return fixes
