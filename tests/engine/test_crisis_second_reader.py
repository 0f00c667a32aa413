"""The learned second reader in the conversation: when the word rules find nothing, the
parent's language's model is asked (bot/engine/crisis_model.py), so a crisis worded as no
rule foresaw still gets the numbers and reaches on-call; ordinary texts still do not."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

import pytest

from bot.corpus import LANGUAGES, load
from bot.engine.crisis_lexicon import Concern
from bot.engine.crisis_model import CLASSES, CrisisModel, HiddenLayer, pack, second_opinion
from bot.engine.events import CrisisDetected
from bot.engine.keywords import KEYWORDS
from bot.engine.machine import Engine
from tests.engine.test_crisis import NOW, onboarded
from tests.engine.test_understanding import at_step

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


def _model_sure_of(
    concern: str, veto_below: float = 0.0, rename_above: float = 0.0, sure: float = 4.0
) -> CrisisModel:
    """A one-piece model: a text with the word "cue" is (almost surely, at the default `sure`)
    `concern`: one net of two units, the first lit by "_cue" and read by `concern` alone."""
    out = tuple((sure, 0.0) if c == concern else (0.0, 0.0) for c in CLASSES)
    layer = HiddenLayer(
        {"_cue": pack([7, 0])}, (10.0, 1.0), (0.0, 0.0), (out,), ((0.0,) * len(CLASSES),)
    )
    return CrisisModel("en", 0.9, 0.8, layer, veto_below, rename_above)


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


@pytest.mark.parametrize(
    ("rules", "model_says", "text", "read"),
    [
        ("violence", "baby", "a cue", "baby"),  # sure of another crisis: it is named
        ("suicide", "violence", "a cue", "violence"),
        ("baby", "emergency", "a cue", "emergency"),
        ("emergency", "baby", "a cue", "emergency"),  # the most urgent reply stays
        ("suicide", "relapse", "a cue", "suicide"),  # never renamed to a relapse
        ("relapse", "relapse", "a cue", "relapse"),
        ("violence", "baby", "nothing known", "violence"),  # nothing read: the rules stand
        ("violence", "baby", "cue", "violence"),  # one word is the rules' to read
        ("violence", "ordinary", "a cue", None),  # all but sure of none: overruled first
    ],
)
def test_the_model_names_another_crisis_only_when_sure_of_it_alone(
    rules: Concern | None, model_says: str, text: str, read: Concern | None
) -> None:
    model = _model_sure_of(model_says, veto_below=0.02, rename_above=0.7)
    assert second_opinion(model, text, rules) == read
    # Less sure than rename_above of that crisis alone (about a third here): the rules stand.
    unsure = _model_sure_of(model_says, rename_above=0.7, sure=0.05)
    assert unsure.read(text).share < 0.7
    assert second_opinion(unsure, text, rules) == rules
    # A model file without the setting never renames.
    assert second_opinion(_model_sure_of(model_says), text, rules) == rules


@pytest.mark.parametrize(
    ("locale", "text", "rules", "read", "says"),
    [
        (
            "en",
            "my boyfriend kicked my daughter off the couch",
            "violence",
            "baby",
            "If someone else is hurting your child, get your child somewhere safe.",
        ),
        (
            "pt_BR",
            "tenho vontade de me jogar da laje todo dia quando ele chora",
            "baby",
            "suicide",
            "Você importa",
        ),
    ],
)
def test_the_conversation_answers_the_crisis_the_model_is_sure_of(
    i18n_engine: Engine, locale: str, text: str, rules: str, read: str, says: str
) -> None:
    """The rules answer the first concern their phrases meet; where the committed model is
    sure of another crisis (the file's rename_above), that crisis's reply and alert go out. The
    child's reply speaks to a parent whose child someone else hurts, not only to one who fears
    hurting the baby."""
    assert i18n_engine.crisis_models[locale].rename_above == 0.7
    found = i18n_engine.crisis.find(text)
    assert found is not None
    assert found.concern == rules
    session = onboarded(i18n_engine)
    session.locale = locale
    result = i18n_engine.step(session, text, NOW)
    assert result.events == [CrisisDetected(read, "basic_needs", session.step)]
    assert says in result.replies[0]


@pytest.mark.parametrize("locale", LANGUAGES)
def test_no_plan_answer_is_met_as_a_crisis_at_its_question(
    i18n_engine: Engine, locale: str
) -> None:
    """Every reply of the understanding corpus, sent at its own question, raises no crisis: the
    word rules never alarm on one, the model alone does not act on a text that is exactly an
    answer the bot offers ("I have a plan", a choice of the birth control question, scores 0.83
    as suicide), and every
    other one scores below the threshold (the trainer's floor)."""
    _, cases = load(locale)
    alarmed = []
    for case in cases:
        if case.question == "command":
            continue
        flow, step = case.question.split(".")
        result = i18n_engine.step(at_step(flow, step, locale), case.text, NOW)
        if any(isinstance(e, CrisisDetected) for e in result.events):
            alarmed.append((case.question, case.text))
    assert alarmed == []


@pytest.mark.parametrize(
    ("locale", "text", "concern"),
    [
        ("en", "ok i did it. goodbye", "suicide"),
        ("es", "ya me tomé todas", "emergency"),
        (*UNFORESEEN[0],),
    ],
)
def test_a_crisis_the_rules_miss_still_reaches_on_call_at_a_closed_question(
    i18n_engine: Engine, locale: str, text: str, concern: str
) -> None:
    """The guard is for the answers the bot offers only: a crisis the model alone reads, sent
    at a closed question, is met as one ("ok i did it. goodbye" starts like an answer)."""
    assert i18n_engine.crisis.find(text) is None
    for flow, step in (("health", "birth_control"), ("recovery", "in_treatment")):
        result = i18n_engine.step(at_step(flow, step, locale), text, NOW)
        assert result.events[:1] == [CrisisDetected(concern, flow, step)]


def test_an_answer_the_bot_offers_is_never_read_as_a_crisis_by_the_model_alone(
    i18n_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "I have a plan" (a choice of the birth control question) scored 0.83 as suicide in stop
    32 (0.75 since stop 33): at any question it is met as an answer; with more words the rules
    read it as they always do. The English model here alarms from 0.5, so the model alone would
    act on it but for the guard."""
    model = replace(i18n_engine.crisis_models["en"], threshold=0.5)
    monkeypatch.setitem(cast(dict[str, CrisisModel], i18n_engine.crisis_models), "en", model)
    assert model.find("i have a plan") == "suicide"
    assert model.find("tengo un plan") == "suicide"
    for flow, step in (("health", "birth_control"), ("basic_needs", "housing_now")):
        quiet = i18n_engine.step(at_step(flow, step), "I have a plan", NOW)
        assert not any(isinstance(e, CrisisDetected) for e in quiet.events)
        # In another language than the session's too ("tengo un plan" in English).
        other = i18n_engine.step(at_step(flow, step), "tengo un plan", NOW)
        assert not any(isinstance(e, CrisisDetected) for e in other.events)
        said = i18n_engine.step(at_step(flow, step), "i have a plan to end it tonight", NOW)
        assert said.events[:1] == [CrisisDetected("suicide", flow, step)]


def test_a_command_is_never_read_as_a_crisis_by_the_model_alone(
    i18n_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "delete my data" scored 0.89 as suicide in stop 34: a text that is exactly a command,
    any spelling in any language, is met as the command; with more words around it the model
    reads it as any text. Here every language's model alarms on every text it reads."""
    start = onboarded(i18n_engine)  # before: no onboarding answer would get through
    models = cast(dict[str, CrisisModel], i18n_engine.crisis_models)
    for locale, model in list(models.items()):
        monkeypatch.setitem(models, locale, replace(model, threshold=0.0))
    assert i18n_engine.crisis_models["en"].find("delete my data") is not None
    spellings = {
        word.strip()
        for locale in LANGUAGES
        for words in KEYWORDS.values()
        for word in i18n_engine.translator.pgettext(locale, "keyword", words).split(",")
    }
    assert {"DELETE MY DATA", "MY RECORD"} <= spellings

    def alarms(text: str, locale: str) -> bool:
        session = start.copy()
        session.locale = locale
        events = i18n_engine.step(session, text, NOW).events
        return any(isinstance(e, CrisisDetected) for e in events)

    alarmed = [(t, locale) for t in sorted(spellings) for locale in LANGUAGES if alarms(t, locale)]
    assert alarmed == []
    said = i18n_engine.step(start.copy(), "delete my data, im done with everything", NOW)
    assert any(isinstance(e, CrisisDetected) for e in said.events)
