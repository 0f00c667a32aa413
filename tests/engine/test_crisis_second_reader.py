"""The learned second reader in the conversation: when the word rules find nothing, the
parent's language's model is asked (bot/engine/crisis_model.py), so a crisis worded as no
rule foresaw still gets the numbers and reaches on-call; ordinary texts still do not."""

from __future__ import annotations

import pytest

from bot.engine.crisis_lexicon import Concern
from bot.engine.crisis_model import CLASSES, CrisisModel, pack, second_opinion
from bot.engine.events import CrisisDetected
from bot.engine.machine import Engine
from tests.engine.test_crisis import NOW, onboarded

# Worded as no rule foresaw (the rules return nothing for each; checked below).
UNFORESEEN = [
    ("en", "he got into the cleaning stuff under the bathroom sink and drank it", "emergency"),
    ("es", "respira muy lento y no abre los ojos", "emergency"),
    ("pt_BR", "to separando os comprimidos pra tomar tudo de uma vez", "suicide"),
]


@pytest.mark.parametrize(("locale", "text", "concern"), UNFORESEEN)
def test_a_crisis_the_rules_miss_reaches_on_call_through_the_model(
    i18n_engine: Engine, locale: str, text: str, concern: str
) -> None:
    assert i18n_engine.crisis.find(text) is None
    session = onboarded(i18n_engine)
    session.locale = locale
    result = i18n_engine.step(session, text, NOW)
    assert result.events == [CrisisDetected(concern, "basic_needs", session.step)]
    assert "911" in result.replies[0] or "988" in result.replies[0] or "190" in result.replies[0]


def test_the_model_reads_every_language_at_the_parents_threshold(i18n_engine: Engine) -> None:
    """One model reads all three languages (parents mix them, as the rules read all three):
    a Spanish crisis text in an English conversation is read too, at the English threshold."""
    text = "respira muy lento y no abre los ojos"
    assert i18n_engine.crisis_models["es"].find(text) == "emergency"
    assert i18n_engine.crisis_models["en"].find(text) == "emergency"
    assert i18n_engine.crisis_models["en"].weights is i18n_engine.crisis_models["es"].weights


@pytest.mark.parametrize(
    "text",
    [
        "I'm not going to hurt myself, just tired",
        "that's odd",
        "im dying to see my mom",
        "we talked about overdose in group",
        "i would never hurt my baby",
        "me",
    ],
)
def test_ordinary_texts_still_do_not_alarm(i18n_engine: Engine, text: str) -> None:
    result = i18n_engine.step(onboarded(i18n_engine), text, NOW)
    assert not any(isinstance(e, CrisisDetected) for e in result.events)


def _model_sure_of(concern: str, veto_below: float = 0.0) -> CrisisModel:
    """A one-piece model: a text with the word "cue" is (almost surely) `concern`."""
    row = [0] * len(CLASSES)
    row[CLASSES.index(concern)] = 60_000
    return CrisisModel(
        "en", 0.9, 0.8, 1000.0, (0.0,) * len(CLASSES), {"_cue": pack(row)}, veto_below
    )


@pytest.mark.parametrize(
    ("rules", "model_says", "text", "read"),
    [
        ("suicide", "baby", "a cue", "suicide"),  # a crisis the rules found stands
        ("relapse", "baby", "a cue", "baby"),  # a crisis beside a relapse is the crisis
        ("relapse", "relapse", "a cue", "relapse"),
        ("relapse", "baby", "nothing known", "relapse"),  # the model unsure: the rules stand
        (None, "relapse", "a cue", "relapse"),
        (None, "violence", "nothing known", None),
        (None, "violence", "cue", None),  # one word is the rules' to read
    ],
)
def test_second_opinion_adds_a_crisis_to_nothing_or_a_relapse(
    rules: Concern | None, model_says: str, text: str, read: Concern | None
) -> None:
    assert second_opinion(_model_sure_of(model_says), text, rules) == read
    assert second_opinion(None, text, rules) == rules


@pytest.mark.parametrize(
    ("rules", "model_says", "text", "read"),
    [
        ("suicide", "ordinary", "a cue", None),  # read and all but sure: overruled
        ("violence", "ordinary", "a cue", None),
        ("relapse", "ordinary", "a cue", "relapse"),  # a relapse is never overruled
        ("suicide", "ordinary", "nothing known", "suicide"),  # nothing read: the rules stand
        ("suicide", "ordinary", "cue", "suicide"),  # one word is the rules' to read
        ("suicide", "baby", "a cue", "suicide"),  # the model sees a concern: the rules stand
    ],
)
def test_the_model_overrules_a_crisis_only_when_it_read_the_text_and_is_all_but_sure(
    rules: Concern | None, model_says: str, text: str, read: Concern | None
) -> None:
    assert second_opinion(_model_sure_of(model_says, veto_below=0.02), text, rules) == read
    # A model file without the setting never overrules.
    assert second_opinion(_model_sure_of(model_says), text, rules) == rules
