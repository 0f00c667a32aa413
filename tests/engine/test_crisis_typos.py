"""Typos the crisis reader reads through (bot/engine/crisis_typos.py): a slip in any letter of
a word, first ones included, a letter left out of a short word, a corrected word that completes
a spelling of several words, and the guards that keep an ordinary word from becoming a crisis
word. The whole-set figure (`all, one typo each`) is in bench/bench_crisis.py."""

from __future__ import annotations

import pytest

from bot.engine.crisis import CRISIS_DIR, CrisisDetector, load_detector
from bot.engine.crisis_typos import TypoIndex

LOCALES = ("en", "es", "pt_BR")


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector(CRISIS_DIR, LOCALES)


@pytest.mark.parametrize(
    ("text", "concern"),
    [
        ("my hsuband hit me", "violence"),  # the first two letters swapped
        ("my usband hit me", "violence"),  # the first letter left out
        ("he put his hnads on me", "violence"),
        ("im scared of what i migt do to the baby", "baby"),  # a four-letter word
        ("quero me mtar", "suicide"),  # corrected, then read as "me matar"
        ("me quiero mtar", "suicide"),
    ],
)
def test_a_typo_anywhere_in_a_word_is_read(
    detector: CrisisDetector, text: str, concern: str
) -> None:
    found = detector.find(text)
    assert found is not None
    assert found.concern == concern


@pytest.mark.parametrize("text", ["my boyfriend is picking us up", "she is bitting her toys"])
def test_another_first_letter_makes_another_word(detector: CrisisDetector, text: str) -> None:
    assert detector.find(text) is None


def test_the_index_finds_one_slip_and_keeps_forms_apart() -> None:
    index = TypoIndex(["husband", "overdosed", "might", "consumi", "strangled"])
    assert index.nearest("hsuband") == "husband"
    assert index.nearest("ovredosed") == "overdosed"
    assert index.nearest("migt") == "might"
    assert index.nearest("mght") == "might"
    assert index.nearest("mihg") is None  # a four-letter word is only a five-letter one short
    assert index.nearest("kusband") is None  # another first letter
    assert index.nearest("consume") is None  # another form of a word, not a typo
    assert index.nearest("strangeld") == "strangled"
    assert index.nearest("strangeledd") == "strangled"  # two slips in a long word
