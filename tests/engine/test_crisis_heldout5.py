"""Round 5 of the held-out crisis texts (tests/corpora/crisis_heldout5/), written blind.

It must load in the corpus format, hold at least 300 texts per language with every label (about
half of them ordinary), no text twice, and no text found in any other corpus: a text seen
elsewhere may have tuned the detector, and the round would no longer measure it honestly.
Nothing here runs the detector, and a failure names counts, never the texts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import yaml

from tests.crisis_corpus import HELD_OUT5_DIR, LABELS, load_corpus

LOCALES = ("en", "es", "pt_BR")
CORPORA = HELD_OUT5_DIR.parent


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


@cache
def _other_corpora_texts() -> frozenset[str]:
    texts: set[str] = set()
    for path in sorted(CORPORA.rglob("*.yaml")):
        if path.parent == HELD_OUT5_DIR:
            continue
        data = yaml.load(path.read_text("utf-8"), Loader=yaml.BaseLoader)  # noqa: S506
        texts.update(_fold(s) for s in _strings(data))
    return frozenset(texts)


@pytest.mark.parametrize("locale", LOCALES)
def test_round5_is_a_full_blind_set(locale: str) -> None:
    path: Path = HELD_OUT5_DIR / f"{locale}.yaml"
    head = path.read_text("utf-8").splitlines()[0]
    assert head.startswith("# HELD-OUT round 5 crisis texts")
    examples = load_corpus(locale, HELD_OUT5_DIR)
    counts = Counter(e.label for e in examples)
    assert len(examples) >= 300
    assert set(counts) == set(LABELS)
    assert min(counts[label] for label in LABELS if label != "ordinary") >= 30
    assert 0.4 <= counts["ordinary"] / len(examples) <= 0.6
    folded = [_fold(e.text) for e in examples]
    assert len(set(folded)) == len(folded), f"{len(folded) - len(set(folded))} texts twice"


@pytest.mark.parametrize("locale", LOCALES)
def test_round5_shares_no_text_with_another_corpus(locale: str) -> None:
    others = _other_corpora_texts()
    shared = sum(_fold(e.text) in others for e in load_corpus(locale, HELD_OUT5_DIR))
    assert shared == 0, "round-5 texts also in another corpus"
