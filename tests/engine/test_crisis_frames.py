"""Frames that set a crisis phrase aside because no one is in danger now, per language as data
(locales/<lang>/crisis.yaml): laughter without a serious word, a question answered "no", a
past dated in the next clause or said to be over, the news told after the phrase, and a
negation before "thoughts of". Each pinned with its twin that must still alarm."""

from __future__ import annotations

import pytest

from bot.engine.crisis import CRISIS_DIR, CrisisDetector, load_detector


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector(CRISIS_DIR, ("en", "es", "pt_BR"))


def _concern(detector: CrisisDetector, text: str) -> str:
    found = detector.find(text)
    return found.concern if found else "ordinary"


@pytest.mark.parametrize(
    ("text", "concern"),
    [
        # Laughter reads as an idiom or a joke ...
        ("this kid beat me up from the inside lol", "ordinary"),
        ("ya no puedo mas con este calor jaja", "ordinary"),
        ("vou me jogar da janela com esse dever de matematica kkkkk", "ordinary"),
        # ... unless the text says it is serious; a relapse is never laughed off.
        ("lol jk hes actually not breathing please", "emergency"),
        ("jaja ya me quiero morir de verdad, no es broma", "suicide"),
        ("kkk eu quero morrer de verdade, nao e piada", "suicide"),
        ("kkk to bêbada de novo, sei q nao devia", "relapse"),
        ("i want to die", "suicide"),
        # Asked and answered no; answered yes still alarms.
        ("la pregunta de si quiero hacerme daño: no", "ordinary"),
        ("la pregunta de si pienso en hacerme daño: si, casi todos los dias", "suicide"),
        # A past dated in the next clause, or said to be over.
        ("meu ex me batia, faz 4 anos, nao to mais com ele", "ordinary"),
        ("antes mi ex me pegaba, hace 4 años, ya no estoy con el", "ordinary"),
        ("my husband relapsed once before the baby but hes been sober since", "ordinary"),
        ("i relapsed after 8 months clean", "relapse"),
        ("my ex hit me again last night", "violence"),
        # The news told after the phrase.
        ("they found two overdoses in the next county on the news", "ordinary"),
        ("he overdosed in the bathroom", "emergency"),
        # A negation before "thoughts of".
        ("no thoughts of hurting myself this week", "ordinary"),
        ("no tengo pensamientos de hacerme daño", "ordinary"),
        ("i have thoughts of hurting myself", "suicide"),
    ],
)
def test_frames(detector: CrisisDetector, text: str, concern: str) -> None:
    assert _concern(detector, text) == concern


@pytest.mark.parametrize(
    ("text", "concern"),
    [
        # "!@group": any word but these; a vitamin or a baby carrier again is no relapse.
        ("estoy tomando de nuevo el acido folico", "ordinary"),
        ("estoy usando otra vez el portabebe", "ordinary"),
        ("estoy usando otra vez la coca", "relapse"),
        ("to usando de novo o sling", "ordinary"),
        ("to usando de novo o crack", "relapse"),
        ("im using the app every day", "ordinary"),
        ("im using again", "relapse"),
    ],
)
def test_an_everyday_object_after_a_use_verb(
    detector: CrisisDetector, text: str, concern: str
) -> None:
    assert _concern(detector, text) == concern
