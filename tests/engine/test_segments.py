"""Tests for bot.engine.segments: GSM-7/UCS-2 detection and segment counting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.segments import (
    SMS_MAX_SEGMENTS,
    encoding,
    is_gsm7,
    plain_letters,
    segment_count,
    sms_texts,
)

GSM_CHARS = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCXYZÄÖÑÜ§¿abcxyzäöñüà^{}\\[~]|€"
)
FAST = settings(max_examples=300, deadline=None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # 160 septets
        ("€" + "a" * 159, 2),  # 161 septets
        ("á" * 70, 1),
        ("á" * 71, 2),
        ("á" * 134, 2),
        ("á" * 135, 3),
        ("😀" * 35, 1),  # 70 UTF-16 units
        ("😀" * 35 + "a", 2),
    ],
)
def test_known_lengths(text: str, expected: int) -> None:
    assert segment_count(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, world!", "GSM-7"),
        ("", "GSM-7"),
        ("price 5€ {x}", "GSM-7"),
        ("ÑÜ§¿", "GSM-7"),
        ("á", "UCS-2"),
        ("ç", "UCS-2"),
        ("👍", "UCS-2"),
        ("\x1b", "UCS-2"),
        ("`", "UCS-2"),
    ],
)
def test_encoding(text: str, expected: str) -> None:
    assert encoding(text) == expected
    assert is_gsm7(text) is (expected == "GSM-7")


def test_escape_pair_not_split_across_parts() -> None:
    # 152 plain septets then "€" (2 septets) cannot fit in part one's 153, so it moves to part two.
    assert segment_count("a" * 152 + "€" + "a" * 152) == 3
    assert segment_count("a" * 151 + "€" + "a" * 153) == 2


def test_surrogate_pair_not_split_across_parts() -> None:
    assert segment_count("á" * 66 + "😀" + "á" * 66) == 3
    assert segment_count("á" * 65 + "😀" + "á" * 67) == 2


@FAST
@given(st.text(st.sampled_from(GSM_CHARS), max_size=600), st.text(st.sampled_from(GSM_CHARS)))
def test_gsm_monotone(text: str, more: str) -> None:
    assert encoding(text + more) == "GSM-7"
    assert segment_count(text + more) >= segment_count(text)


@FAST
@given(st.text(max_size=400).map(lambda t: "á" + t), st.text(max_size=50))
def test_ucs2_monotone(text: str, more: str) -> None:
    assert encoding(text + more) == "UCS-2"
    assert segment_count(text + more) >= segment_count(text)


@FAST
@given(st.text(max_size=1000))
def test_count_is_positive_and_bounded(text: str) -> None:
    count = segment_count(text)
    assert 1 <= count <= max(1, 2 * len(text))


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("¿Cómo estás? Sí, tú.", "¿Como estas? Si, tu."),
        ("Você não está só. Ação, três, ônibus.", "Voce nao esta so. Acao, tres, onibus."),
        ("Niño, pingüino, café, à, Ç", "Niño, pingüino, café, à, Ç"),  # GSM-7 letters stay
        ("10:00\u202fAM \u2014 \u201cok\u201d\u2026", '10:00 AM - "ok"...'),
    ],
)
def test_plain_letters_spells_in_gsm7_only_what_gsm7_lacks(text: str, plain: str) -> None:
    assert plain_letters(text) == plain
    assert encoding(plain) == "GSM-7"


def test_plain_letters_keeps_what_has_no_plain_form() -> None:
    """An emoji has no GSM-7 spelling: kept, and the text stays UCS-2."""
    assert plain_letters("Sí 😀") == "Si 😀"
    assert encoding(plain_letters("Sí 😀")) == "UCS-2"


@FAST
@given(st.text(max_size=200))
def test_plain_letters_in_gsm7_never_cost_more_segments(text: str) -> None:
    plain = plain_letters(text)
    if is_gsm7(plain):
        assert segment_count(plain) <= segment_count(text)


WORDS = st.text(alphabet="abcdeáéíñãçõ?!.,:1(", min_size=1, max_size=40)
LINES = st.lists(WORDS, min_size=1, max_size=30).map(" ".join)
TEXTS = st.lists(LINES, min_size=1, max_size=12).map("\n".join)


@FAST
@given(TEXTS, st.booleans())
def test_sms_texts_never_exceed_two_segments_and_keep_every_word(text: str, plain: bool) -> None:
    """Whatever its length, a reply goes as texts of at most two segments, words in order."""
    texts = sms_texts(text, plain=plain)
    assert all(segment_count(t) <= SMS_MAX_SEGMENTS for t in texts)
    sent = plain_letters(text) if plain else text
    assert " ".join(texts).split() == sent.split()


def test_sms_texts_keep_a_question_with_its_choices_and_spell_plainly() -> None:
    """Lines are cut between blocks first: a question stays with its numbered choices."""
    intro = "Thank you for telling us. " * 10
    question = "¿Tienes un lugar seguro y estable donde vivir?\n1. Sí\n2. No\n(Puedes elegir.)"
    texts = sms_texts(f"{intro.strip()}\n{question}", plain=True)
    assert texts[-1] == plain_letters(question)
    assert all(encoding(t) == "GSM-7" for t in texts)
    assert sms_texts("Short text.", plain=False) == ["Short text."]
