"""The agreed veto (stop 42): a suicide, violence or relapse the word rules found is not acted
on where both readers, the nets and the fine-tuned encoder, are all but sure the text shows no
concern; where either is less sure, or it is an emergency or a baby's harm, the rules stand."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.engine.crisis import CrisisDetector, load_detector
from bot.engine.crisis_encoder import ENCODER_FILE, AgreedVeto, CrisisEncoder, load_encoder
from bot.engine.crisis_lexicon import Concern
from bot.engine.crisis_model import READ_UP_TO, CrisisModel, second_opinion, with_encoder
from bot.engine.crisis_pieces import MAX_CHARS
from bot.engine.events import CrisisDetected
from bot.engine.machine import Engine
from bot.errors import ConfigError
from bot.i18n import LOCALES_DIR
from tests.crisis_corpus import DEV_ROUND_DIRS, PROBE39_DIR, PROBE_DIRS, load_corpus
from tests.engine.test_crisis import NOW, onboarded

LOCALES = ("en", "es", "pt_BR")
SERVED = LOCALES_DIR / ENCODER_FILE

# Dev texts (read, never trained on), all ordinary: the rules find the concern, the nets alone
# let it stand (over veto_below), and both readers are all but sure it is nothing.
OVERRULED: list[tuple[str, str, Concern]] = [
    ("en", "she hits me when shes tired, shes 2. normal?", "violence"),
    ("en", "she shot me the dirtiest look when i took the bottle away", "violence"),
    ("es", "ay no, me quiero morir, se me quemó el arroz otra vez", "suicide"),
    ("es", "mi hermana me va a matar cuando sepa que le manche su blusa nueva", "violence"),
    ("pt_BR", "a buprenorfina pode dar prisão de ventre? to travada", "relapse"),
    (
        "en",
        "my dad relapsed last month, hes back in rehab and doing ok. im sad but im fine",
        "relapse",
    ),
    (
        "en",
        "the pharmacist looked at me funny when i picked up my subs, i hate the stigma",
        "relapse",
    ),
    ("pt_BR", "to tendo uma recaida... de chocolate kkkk comi a barra toda", "relapse"),
]
# Crises from the dev sets: one reader is not sure enough, or the concern is one no agreement
# overrules (both read this cord prolapse as nothing), so the rules stand.
KEPT: list[tuple[str, str, Concern]] = [
    ("en", "she threw a pan at my head", "violence"),  # the encoder: 0.0045
    ("en", "got jumped at the bus stop, they took my purse and kicked me", "violence"),
    ("en", "I'M SO DONE WITH LIFE", "suicide"),
    ("es", "el cordon salio antes que el bebe!!! estamos en la casa", "emergency"),
    ("en", "no kicks all day. zero. im scared to go in but im scared not to", "emergency"),
    ("pt_BR", "tive uma recaida quando levaram o bebe pra uti", "relapse"),  # the encoder: 0.0065
]

# Dev crises (read) the nets alone overruled, all but sure of nothing, while the encoder read
# a crisis: the nets' veto now needs the encoder's agreement (stop 42).
NETS_ALONE_WRONG: list[tuple[str, str, Concern]] = [
    (
        "es",
        "ya no lo quiero, mañana temprano voy a dejar al bebe en la estacion de bomberos",
        "baby",
    ),
    (
        "es",
        "desde el almuerzo mi bebe no patea, ni con el jugo de naranja helado ni acostandome "
        "del lado izquierdo",
        "emergency",
    ),
]


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector(LOCALES_DIR, LOCALES)


def _without_veto(encoder: CrisisEncoder) -> CrisisEncoder:
    return replace(encoder, settings=replace(encoder.settings, agreed_veto=None))


def test_the_served_file_holds_a_veto_over_suicide_violence_and_relapse_only(
    encoder: CrisisEncoder,
) -> None:
    veto = encoder.settings.agreed_veto
    assert veto is not None
    assert veto.concerns == {"suicide", "violence", "relapse"}
    assert 0 < veto.encoder_below <= 0.01
    assert 0 < veto.nets_below < 1


@pytest.mark.parametrize(
    ("locale", "text", "concern", "nets_alone", "acted"),
    [(*case, case[2], None) for case in OVERRULED]
    + [(*case, case[2], case[2]) for case in KEPT]
    + [(*case, None, case[2]) for case in NETS_ALONE_WRONG],
)
def test_the_rules_stand_unless_both_readers_are_sure_of_nothing(
    i18n_engine: Engine,
    encoder: CrisisEncoder,
    nets: dict[str, CrisisModel],
    detector: CrisisDetector,
    locale: str,
    text: str,
    concern: Concern,
    nets_alone: Concern | None,
    acted: Concern | None,
) -> None:
    """The rules find `concern`; the nets alone act on `nets_alone`, as does the encoder file
    without the agreed veto; the served file acts on `acted` (None: overruled)."""
    found = detector.find(text)
    assert found is not None
    assert found.concern == concern
    assert second_opinion(nets[locale], text, concern) == nets_alone
    without = with_encoder(nets, _without_veto(encoder))[locale]
    assert second_opinion(without, text, concern) == nets_alone
    served = with_encoder(nets, encoder)[locale]
    assert served.doubts(text, concern) is (acted is None)
    assert second_opinion(served, text, concern) == acted
    assert acted_on(i18n_engine, locale, text) == ([] if acted is None else [acted])


def acted_on(engine: Engine, locale: str, text: str) -> list[str]:
    """The crisis events the conversation raises for the text, with "relapse" where it offers
    a person for a relapse (commands/person.py)."""
    session = onboarded(engine)
    session.locale = locale
    result = engine.step(session, text, NOW)
    met = [e.kind for e in result.events if isinstance(e, CrisisDetected)]
    if (result.session.listing or {}).get("kind") == "relapse":
        met.append("relapse")
    return met


def test_the_veto_removes_no_dev_crisis_and_some_false_alarms(
    encoder: CrisisEncoder, nets: dict[str, CrisisModel], detector: CrisisDetector
) -> None:
    """Over every dev set (rounds 4-7, probes 35-39: read, never trained on), each text the
    agreed veto changes the outcome of is an ordinary one (bench/crisis_encoder/veto.py chose
    the levels on rounds 4-7 and probes 35-38: 7 / 6 / 3 false alarms removed in stop 42, and
    5 / 6 / 2 at the point re-chosen after stop 43's rules)."""
    served = with_encoder(nets, encoder)
    before = with_encoder(nets, _without_veto(encoder))
    changed: list[tuple[str, str]] = []
    for locale in LOCALES:
        for directory in (*DEV_ROUND_DIRS, *PROBE_DIRS, PROBE39_DIR):
            for example in load_corpus(locale, directory):
                found = detector.find(example.text)
                if found is None or found.concern not in ("suicide", "violence", "relapse"):
                    continue
                # second_opinion differs from the file without the veto only where it doubts.
                if not served[locale].doubts(example.text, found.concern):
                    continue
                assert second_opinion(served[locale], example.text, found.concern) is None
                if second_opinion(before[locale], example.text, found.concern) is not None:
                    changed.append((example.label, example.text))
    assert all(label == "ordinary" for label, _ in changed), changed
    assert len(changed) >= 12, changed


def test_no_dev_crisis_the_rules_find_is_vetoed(
    encoder: CrisisEncoder, nets: dict[str, CrisisModel], detector: CrisisDetector
) -> None:
    """Over every dev set, a crisis text the rules find something in is acted on: neither the
    nets' veto (with the encoder's agreement) nor the agreed veto silences one."""
    served = with_encoder(nets, encoder)
    veto = encoder.settings.agreed_veto
    assert veto is not None
    assert veto.nets_below <= 0.5
    silenced = []
    for locale in LOCALES:
        for directory in (*DEV_ROUND_DIRS, *PROBE_DIRS, PROBE39_DIR):
            for example in load_corpus(locale, directory):
                if example.label == "ordinary":
                    continue
                found = detector.find(example.text)
                if found is None:
                    continue
                key = example.text[:READ_UP_TO]
                some = served[locale].nets_some(key)
                if some is not None and some >= 0.5:
                    continue  # over every veto's nets level (the served file's is below)
                if second_opinion(served[locale], key, found.concern) is None:
                    silenced.append((locale, example.text))
    assert silenced == []


def test_asks_encoder_knows_the_veto_will_read_it(
    encoder: CrisisEncoder, nets: dict[str, CrisisModel]
) -> None:
    """Below the gate the blend does not ask the encoder, but the veto does where the rules
    found a concern it may overrule: the service then reads ahead off the event loop."""
    text = "mi hermana me va a matar cuando sepa que le manche su blusa nueva"
    served = with_encoder(nets, replace(encoder, readings={}))["es"]
    assert not served.asks_encoder(text)
    assert not served.asks_encoder(text, "emergency")
    assert served.asks_encoder(text, "violence")
    assert second_opinion(served, text, "violence") is None
    assert not served.asks_encoder(text, "violence")  # read once, then known


def test_no_veto_where_the_readers_stop_short_of_the_text(
    encoder: CrisisEncoder, nets: dict[str, CrisisModel], detector: CrisisDetector
) -> None:
    """The rules read past MAX_CHARS; the readers do not. A crisis said after a long ordinary
    start stands: neither the nets' veto nor the agreed one overrules what they never read."""
    start = (
        "good morning! the baby slept from nine to five, which is a record for us. we had "
        "oatmeal with bananas, then a walk around the block with grandma and the dog. the "
        "pediatrician called to say his weight check looks great and we can skip the next "
        "visit. i folded three loads of laundry and watched a cooking show while he napped. my "
        "sister is coming over on saturday to help me set up the crib and hang the curtains. "
    )
    text = (start + "i want to kill myself tonight")[:READ_UP_TO]
    assert len(text) > MAX_CHARS
    found = detector.find(text)
    assert found is not None
    assert found.concern == "suicide"
    served = with_encoder(nets, encoder)["en"]
    assert served.overrules(served.read(text))  # the start alone reads as nothing
    assert not served.doubts(text, "suicide")
    assert not served.asks_encoder(text, "suicide")  # so the veto needs no encoder reading
    assert second_opinion(served, text, "suicide") == "suicide"


def test_a_relapse_veto_never_silences_a_crisis_the_model_names(
    encoder: CrisisEncoder, nets: dict[str, CrisisModel], detector: CrisisDetector
) -> None:
    """Whatever a file's levels, where the rules found only a relapse and the model names a
    crisis, the crisis is acted on (the veto is asked only after the model's finding)."""
    text = "baby hasnt eaten since yesterday morning i keep forgetting, im so out of it"
    found = detector.find(text)
    assert found is not None
    assert found.concern == "relapse"
    veto = AgreedVeto(frozenset({"relapse"}), encoder_below=1.0, nets_below=1.0)
    loose = replace(encoder, settings=replace(encoder.settings, agreed_veto=veto))
    served = with_encoder(nets, loose)["en"]
    assert served.doubts(text, "relapse")
    assert second_opinion(served, text, "relapse") == "baby"


@pytest.mark.parametrize("concerns", [{"emergency"}, {"baby"}, {"suicide", "baby"}])
def test_an_agreed_veto_over_an_emergency_or_a_baby_is_refused(
    concerns: set[Concern],
) -> None:
    with pytest.raises(ValueError, match="may not overrule"):
        AgreedVeto(frozenset(concerns), encoder_below=0.001, nets_below=0.5)


def test_a_file_asking_a_veto_over_an_emergency_is_refused(tmp_path: Path) -> None:
    with np.load(SERVED, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    settings = json.loads(str(arrays["settings"]))
    veto = {"concerns": ["emergency"], "encoder_below": 0.001, "nets_below": 0.5}
    arrays["settings"] = np.array(json.dumps({**settings, "agreed_veto": veto}))
    np.savez(tmp_path / ENCODER_FILE, **arrays)
    with pytest.raises(ConfigError, match="may not overrule"):
        load_encoder(tmp_path / ENCODER_FILE)


def test_a_file_without_a_veto_overrules_nothing_by_agreement(
    encoder: CrisisEncoder, nets: dict[str, CrisisModel]
) -> None:
    served = with_encoder(nets, _without_veto(encoder))["es"]
    text = "ay no, me quiero morir, se me quemó el arroz otra vez"
    assert not served.doubts(text, "suicide")
    assert second_opinion(served, text, "suicide") == "suicide"
