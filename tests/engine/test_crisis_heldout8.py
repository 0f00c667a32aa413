"""Round 8 of the held-out crisis texts (tests/corpora/crisis_heldout8/), written blind.

It must load in the corpus format, hold at least 420 texts per language with every label (at
least 45 under each concern, about half of them ordinary), no text twice, and no text found in
any other corpus: a text seen elsewhere may have tuned the detector, and the round would no
longer measure it honestly.
Nothing here runs the detector, and a failure names counts, never the texts.
"""

from __future__ import annotations

import pytest

from tests.crisis_corpus import HELD_OUT8_DIR, check_blind_round


@pytest.mark.parametrize("locale", ["en", "es", "pt_BR"])
def test_round8_is_a_full_blind_set(locale: str) -> None:
    check_blind_round(HELD_OUT8_DIR, locale, 8, texts=420, concern=45)
