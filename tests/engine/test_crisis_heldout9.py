"""Round 9 of the held-out crisis texts (tests/corpora/crisis_heldout9/), written blind.

It must load in the corpus format, hold at least 600 texts per language with every label (at
least 60 under each concern, about half of them ordinary), no text twice, and no text found in
any other corpus: a text seen elsewhere may have tuned the detector, and the round would no
longer measure it honestly.
Nothing here runs the detector, and a failure names counts, never the texts.
"""

from __future__ import annotations

import pytest

from tests.crisis_corpus import HELD_OUT9_DIR, check_blind_round


@pytest.mark.parametrize("locale", ["en", "es", "pt_BR"])
def test_round9_is_a_full_blind_set(locale: str) -> None:
    check_blind_round(HELD_OUT9_DIR, locale, 9, texts=600, concern=60)
