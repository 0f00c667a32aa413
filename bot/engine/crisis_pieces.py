"""The pieces the crisis nets read of a text (crisis_model.py): the folded text's character
n-grams (2 to 5 letters), its words, word pairs, and the words in a negation's scope."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from itertools import pairwise

__all__ = ["MAX_CHARS", "MIN_WORDS", "features", "fold", "long_enough", "negated"]

# Long texts are read up to here: a crisis is said early, and the cost stays bounded.
MAX_CHARS = 400
GRAM_SIZES = (2, 3, 4, 5)

_NOT_WORD = re.compile(r"[^a-z0-9]+")
_RUN = re.compile(r"([a-z])\1+")


def fold(text: str) -> str:
    """Lower case, no accents or apostrophes, one space between words, letter runs squeezed;
    at most MAX_CHARS long (one character can unfold to five: "㎯" -> "mm2")."""
    plain = unicodedata.normalize("NFKD", text[:MAX_CHARS]).encode("ascii", "ignore")
    folded = plain.decode("ascii").lower().replace("'", "")
    return _RUN.sub(r"\1", _NOT_WORD.sub(" ", folded)).strip()[:MAX_CHARS].rstrip()


# A text of one word is the rules' to read (they know crisis words, slang and typos): alone,
# its few pieces say more about the language than the concern ("me" read as violence, from
# Spanish and Portuguese texts).
MIN_WORDS = 2


def long_enough(folded: str) -> bool:
    """Whether a folded text has MIN_WORDS words or more (the model reads no shorter text)."""
    return folded.count(" ") + 1 >= MIN_WORDS


# Slice objects for every n-gram of a padded text of each length (n = 2, then 3, 4, 5), kept
# for lengths up to _SLICES_KEPT: cutting a text then runs in C (map(text.__getitem__, ...)).
_SLICES_KEPT = 160
_slices_by_size: dict[int, tuple[slice, ...]] = {}


def _slices(size: int) -> tuple[slice, ...]:
    kept = _slices_by_size.get(size)
    if kept is not None:
        return kept
    made = tuple(slice(i, i + n) for n in GRAM_SIZES for i in range(size - n + 1))
    if size <= _SLICES_KEPT:
        _slices_by_size[size] = made
    return made


def negated(words: Sequence[str], negations: frozenset[str], window: int) -> list[str]:
    """ "~word" for each of the `window` words after a negation word (a new negation starts
    the count again): "im not going to hurt myself" gives ~going ~to ~hurt ~myself, so the
    weights of "hurt myself" said and "hurt myself" denied can differ. Linear weights alone
    cannot tell them apart (stop 33)."""
    out: list[str] = []
    left = 0
    for word in words:
        if word in negations:
            left = window
        elif left:
            out.append("~" + word)
            left -= 1
    return out


def features(folded: str, negations: frozenset[str] = frozenset(), window: int = 0) -> list[str]:
    """Character n-grams of " text " (sizes 2-5), "_word" unigrams, "a_b" word pairs and,
    given negation words, the words in their scope ("~word")."""
    padded = f" {folded} "
    grams = list(map(padded.__getitem__, _slices(len(padded))))
    words = folded.split()
    grams += ["_" + w for w in words]
    grams += [f"{a}_{b}" for a, b in pairwise(words)]
    if window:
        grams += negated(words, negations, window)
    return grams
