"""The crisis reader: word classes and rules over them, signs that count in twos, and the guards
that keep new wording from alarming (another language's negation, everyday words, idioms).

The figures on whole sets are in test_crisis.py and bench/bench_crisis.py; these tests pin the
mechanisms with a small made-up language, then a few shipped combinations no phrase lists.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.crisis import CRISIS_DIR, CrisisDetector, load_detector

LOCALES = ("en", "es", "pt_BR")

# A small language (Haitian Creole words) with a reader: who + harm + me, and two signs.
HT = """\
language: ht
common: [li, mwen, m, a, nan]
negations: [pa]
negation_gap: [li, mwen]
words: [kalite]
groups:
  AGENT: [li, mari mwen, ex mwen]
  HARM: [frape*, bat, kale*, kalote]
concerns: {}
reader:
  violence: ['@AGENT .... @HARM mwen']
  suicide: ['vle_mouri/pa_vle_viv $']
signs:
  emergency: [pa_respire, ble, piki]
"""


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector(CRISIS_DIR, LOCALES)


def _made_up(tmp_path: Path) -> CrisisDetector:
    (tmp_path / "ht").mkdir()
    (tmp_path / "ht" / "crisis.yaml").write_text(HT, "utf-8")
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "crisis.yaml").write_text(
        (CRISIS_DIR / "en" / "crisis.yaml").read_text("utf-8"), "utf-8"
    )
    return load_detector(tmp_path, ["ht"])


def _concern(detector: CrisisDetector, text: str) -> str:
    found = detector.find(text)
    return found.concern if found else "ordinary"


def test_a_reader_rule_reads_any_member_of_each_class(tmp_path: Path) -> None:
    """One rule over classes covers every agent with every harm verb, with words between."""
    detector = _made_up(tmp_path)
    assert _concern(detector, "mari mwen te frapem mwen") == "violence"
    assert _concern(detector, "ex mwen vin lakay la yè swa e li kale mwen") == "violence"
    # The gap holds no negation of the rule's own language.
    assert _concern(detector, "mari mwen pa bat mwen") == "ordinary"


def test_an_underscore_joins_the_words_of_one_choice(tmp_path: Path) -> None:
    """`vle_mouri/pa_vle_viv` is "vle mouri" or "pa vle viv", not four slots."""
    detector = _made_up(tmp_path)
    assert _concern(detector, "m vle mouri") == "suicide"
    assert _concern(detector, "m pa vle viv") == "suicide"
    assert _concern(detector, "m vle viv") == "ordinary"


def test_signs_count_only_in_twos_and_only_when_different(tmp_path: Path) -> None:
    detector = _made_up(tmp_path)
    assert _concern(detector, "li ble") == "ordinary"
    assert _concern(detector, "li ble, ble nèt") == "ordinary"
    assert _concern(detector, "li ble e li pa respire") == "emergency"


def test_an_everyday_word_is_never_read_as_a_typo(tmp_path: Path) -> None:
    """`words` are known: "kalite" (kind, quality) is not a misspelt "kalote" (a slap), while
    a real typo of a class word is still read ("kalute")."""
    detector = _made_up(tmp_path)
    assert detector.fold("kalite") == ["kalite"]
    assert detector.fold("kalute") == ["kalote"]


@pytest.mark.parametrize(
    ("text", "concern"),
    [
        # who + harm + target, in words no phrase lists together
        ("my ex broke my arm", "violence"),
        ("she stabbed me with a fork", "violence"),
        ("me rompio el labio", "violence"),
        ("ele jogou uma cadeira em mim", "violence"),
        # wish + death or a way to it
        ("im going to walk into the ocean", "suicide"),
        ("busque cuantas pastillas se necesitan para morir", "suicide"),
        ("odeio estar viva", "suicide"),
        # a parent + harm + a child, fear of harming
        ("i yanked my toddler by the arm until she cried", "baby"),
        ("le pellizque muy fuerte a mi bebe para que se callara", "baby"),
        ("belisquei meu bebe com muita forca pra ele calar", "baby"),
        # amounts and medicines; body signs after use
        ("my friend downed a whole bottle of tylenol", "emergency"),
        ("se metio algo y se desplomo en la cocina", "emergency"),
        ("nao sinto o pulso dela", "emergency"),
        # use told as done
        ("i been sniffing again", "relapse"),
        ("volvi con el dealer", "relapse"),
        ("fiquei muito bebada ontem", "relapse"),
        # a two-digit number of pills is an overdose; "2 tylenol" is not
        ("i took 30 of my seroquel", "emergency"),
        ("me tome 30 de mis pastillas para dormir", "emergency"),
        ("tomei 30 dos meus remedios pra dormir", "emergency"),
    ],
)
def test_combinations_no_phrase_lists(detector: CrisisDetector, text: str, concern: str) -> None:
    assert _concern(detector, text) == concern


@pytest.mark.parametrize(
    "text",
    [
        "my husband threw me a baby shower",
        "my lips are blue from the popsicle",
        "i took the whole box of diapers to the car",
        "the nurse asked if i felt safe at home",
        "she stopped breathing through her nose because of the cold, is that ok",
        "meu marido vai matar aquela aranha",
        "nao aguento mais esse transito kkk",
        "quase deixei o bebe cair mas segurei",
        "mi hijo me patea cuando lo cambio",
        "se me muere la bateria",
        "el bebe esta mamando ahora",
        "what are signs of an overdose",
        "she pulled my hair while nursing",
        "se me quemo el pan otra vez",
        "i took two tylenol for my headache",
        "i took 2 tylenol for my headache",
        "my husband shook the baby's bottle",
        "o bebe ta mamando agora",
    ],
)
def test_new_ordinary_wording_does_not_alarm(detector: CrisisDetector, text: str) -> None:
    assert detector.find(text) is None


def test_a_relapse_yields_to_the_crisis_it_overlaps(detector: CrisisDetector) -> None:
    """Leaving a newborn to use is about the baby first, though "i used" is a relapse."""
    assert _concern(detector, "i left my newborn in the car while i used") == "baby"
    assert _concern(detector, "deixei meu recem nascido no carro enquanto usava") == "baby"


def test_a_gap_may_hold_another_languages_negation(detector: CrisisDetector) -> None:
    """Portuguese "no meu" is "in my": English "no" does not stop a Portuguese rule's gap."""
    assert _concern(detector, "ele colocou as maos no meu pescoco") == "violence"


def test_overlapping_matches_are_read_as_one(detector: CrisisDetector) -> None:
    """ "mi ex me está amenazando" + "amenazando con matarme" + "matarme" is one threat: the
    longest reading of the run decides, not a wish to die found in its tail."""
    assert _concern(detector, "mi ex me esta amenazando con matarme") == "violence"
    assert _concern(detector, "i took a bunch of pills to end it") == "suicide"
