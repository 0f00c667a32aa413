"""Which known word an unknown word is a typo of: the crisis detector's spelling corrector.

Every target word is filed under itself and each form with one letter left out (as in the
symmetric-delete method), so a word one typo away, in any letter, first ones included
("hsuband", "usband", "ovrdosed"), is found by a few dict lookups rather than by comparing it
with every target; the candidates are then checked with rapidfuzz's optimal string alignment
distance. A long word (ten letters or more) may have two typos: those are also compared with
the targets that share its first two letters. A four-letter word is read as a five-letter
target with one letter left out ("migt" -> "might"), never as another four-letter word.
A first letter is kept: "picking" is not a typo of "kicking". Two forms of one word are not
a typo of each other ("consume" / "consumí"): see `inflection`. Each target may name the
languages it belongs to, and a lookup may keep to some languages (bot/engine/crisis_spelling.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from rapidfuzz.distance import OSA

# The shortest target, and the shortest unknown word that is tried at all.
TARGET_MIN = 5
WORD_MIN = 4
# From this length, two typos are allowed.
LONG = 10


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class TypoIndex:
    """Targets filed by their one-letter-less forms; `nearest` is pure once built."""

    def __init__(
        self, targets: Iterable[str], languages: Mapping[str, Collection[str]] | None = None
    ) -> None:
        """`languages`: the languages of each target, for `nearest(word, among=...)`."""
        self._by_delete: dict[str, list[str]] = {}
        self._by_start: dict[str, list[str]] = {}
        self._languages = {w: frozenset(ls) for w, ls in (languages or {}).items()}
        for word in sorted(set(targets)):
            if len(word) < TARGET_MIN or not word.isalpha():
                continue
            for key in (word, *sorted(_deletes(word))):
                self._by_delete.setdefault(key, []).append(word)
            if len(word) >= LONG - 2:
                self._by_start.setdefault(word[:2], []).append(word)

    def nearest(
        self, word: str, among: frozenset[str] | None = None, also: Collection[str] = ()
    ) -> str | None:
        """The closest target (one typo away; two in a long word), or None; with `among`,
        only a target of one of those languages, or one of the words `also` names (a word
        those languages know: Portuguese "overdoses")."""
        if len(word) < WORD_MIN:
            return None
        limit = 1 if len(word) < LONG else 2
        candidates = dict.fromkeys(self._by_delete.get(word, ()))
        for key in sorted(_deletes(word)):
            candidates.update(dict.fromkeys(self._by_delete.get(key, ())))
        if limit == 2:
            candidates.update(dict.fromkeys(self._by_start.get(word[:2], ())))
        best, best_distance = None, limit + 1
        for target in candidates:
            if abs(len(target) - len(word)) > limit or inflection(word, target):
                continue
            if (
                among is not None
                and among.isdisjoint(self._languages.get(target, ()))
                and target not in also
            ):
                continue
            if len(word) < TARGET_MIN and len(target) != TARGET_MIN:
                continue
            if word[0] != target[0] and not _first_letter_slip(word, target):
                continue
            distance = OSA.distance(word, target, score_cutoff=limit)
            if distance < best_distance:
                best, best_distance = target, distance
        return best


def _first_letter_slip(word: str, target: str) -> bool:
    """A first letter left out, doubled or swapped with the second: a typo. Another first
    letter makes another word ("picking" is not "kicking")."""
    return word == target[1:] or word[1:] == target or word[1::-1] + word[2:] == target


def inflection(word: str, target: str) -> bool:
    """Words with one stem and two different endings are forms of one word, not a typo:
    "consume" is not a misspelt "consumí", nor "despertarme" of "despertarlo" ("mysef" is
    "myself" with a letter left out, though)."""
    stem = 0
    for a, b in zip(word, target, strict=False):
        if a != b:
            break
        stem += 1
    if stem < max(len(word), len(target)) - 2:
        return False
    tail, other = word[stem:], target[stem:]
    return bool(tail and other) and not (tail.endswith(other) or other.endswith(tail))
