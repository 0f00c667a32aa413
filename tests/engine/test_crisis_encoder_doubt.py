"""The encoder's doubt (stop 45): where the word rules found nothing, a relapse the blend of
the nets and the encoder names is not acted on when the encoder alone is all but sure the text
shows no concern; an emergency, a baby's harm or a suicide the blend names always is."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.engine.crisis import CrisisDetector, load_detector
from bot.engine.crisis_encoder import (
    DOUBTABLE,
    ENCODER_FILE,
    CrisisEncoder,
    EncoderDoubt,
    load_encoder,
)
from bot.engine.crisis_lexicon import CONCERNS, Concern
from bot.engine.crisis_model import CrisisModel, second_opinion, with_encoder
from bot.engine.crisis_pieces import features, fold
from bot.engine.machine import Engine
from bot.errors import ConfigError
from bot.i18n import LOCALES_DIR
from tests.crisis_corpus import DEV_ROUND_DIRS, PROBE39_DIR, PROBE_DIRS, load_corpus
from tests.engine.test_crisis_agreed_veto import acted_on

LOCALES = ("en", "es", "pt_BR")
SERVED = LOCALES_DIR / ENCODER_FILE

# Ordinary dev texts (read, never trained on) the rules find nothing in, where the nets are
# sure of a relapse (0.95-1.00) and the encoder of nothing (under 0.0005): the blend named a
# relapse, and the relapse reply went to a parent who told of school, a show or a refusal.
DOUBTED: list[tuple[str, str]] = [
    ("en", "me and my bf got into it about money again, he spends it all on shoes"),
    ("en", "can i use mouthwash with alcohol in it if im on antabuse"),
    ("es", "volvi a la escuela!"),
    ("es", "mi amiga del programa recayo y me puse triste, le estoy echando porras"),
    ("pt_BR", "consegui dizer nao pro meu ex quando ele ofereceu droga"),
    ("pt_BR", "to assistindo Breaking Bad inteira de novo"),
]
# Dev crises the rules find nothing in, the nets read with near certainty and the encoder as
# all but nothing: a relapse the encoder gives 0.015 (three times the served level), and an
# emergency and a suicide, which no doubt overrules (0.007 and 0.008).
KEPT: list[tuple[str, str, Concern]] = [
    ("es", "hoy me sirvieron vino en la boda y no me detuve, tome como loca", "relapse"),
    ("pt_BR", "amiga, a verdade é q eu nunca parei de beber, so escondi", "relapse"),
    (
        "es",
        "la bebe esta temblando toda y tiene los ojitos volteados para arriba, nunca le "
        "habia pasado",
        "emergency",
    ),
    ("pt_BR", "to de pé na beira do telhado faz uns 10 min", "suicide"),
]


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector(LOCALES_DIR, LOCALES)


def _without_doubt(encoder: CrisisEncoder) -> CrisisEncoder:
    return replace(encoder, settings=replace(encoder.settings, encoder_doubt=None))


def test_the_served_file_holds_a_doubt_over_a_relapse_only(encoder: CrisisEncoder) -> None:
    doubt = encoder.settings.encoder_doubt
    assert doubt is not None
    assert set(doubt.levels) == {"relapse"}
    assert 0 < doubt.levels["relapse"] <= 0.01


@pytest.mark.parametrize(
    ("locale", "text", "blend", "acted"),
    [(*case, "relapse", None) for case in DOUBTED] + [(*case, case[2]) for case in KEPT],
)
def test_the_blends_finding_stands_unless_the_encoder_all_but_rules_out_a_relapse(
    i18n_engine: Engine,
    encoder: CrisisEncoder,
    nets: dict[str, CrisisModel],
    detector: CrisisDetector,
    locale: str,
    text: str,
    blend: Concern,
    acted: Concern | None,
) -> None:
    """The rules find nothing; the file without the doubt acts on the blend's `blend`; the
    served file acts on `acted` (None: doubted), and so does the conversation."""
    assert detector.find(text) is None
    without = with_encoder(nets, _without_doubt(encoder))[locale]
    assert second_opinion(without, text, None) == blend
    served = with_encoder(nets, encoder)[locale]
    assert served.encoder_doubts(text, blend) is (acted is None)
    assert second_opinion(served, text, None) == acted
    assert acted_on(i18n_engine, locale, text) == ([] if acted is None else [acted])


def test_what_the_rules_found_is_never_doubted(
    encoder: CrisisEncoder, nets: dict[str, CrisisModel]
) -> None:
    """The doubt weighs only what the blend adds: a relapse the rules found stands even under
    a doubt at every level (the agreed veto alone may overrule it)."""
    text = "volvi a caer anoche despues de 8 meses"
    loose = replace(
        encoder,
        settings=replace(
            encoder.settings, encoder_doubt=EncoderDoubt({"relapse": 1.0}), agreed_veto=None
        ),
    )
    served = with_encoder(nets, loose)["es"]
    assert served.encoder_doubts(text, "relapse")
    assert second_opinion(served, text, "relapse") == "relapse"
    assert second_opinion(served, text, None) is None


@pytest.mark.parametrize("concern", ["emergency", "baby", "suicide"])
def test_a_doubt_over_an_emergency_a_baby_or_a_suicide_is_refused(concern: Concern) -> None:
    assert concern not in DOUBTABLE
    with pytest.raises(ValueError, match="may not overrule"):
        EncoderDoubt({concern: 0.001})


def test_a_file_asking_a_doubt_over_a_suicide_is_refused(tmp_path: Path) -> None:
    with np.load(SERVED, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    settings = json.loads(str(arrays["settings"]))
    arrays["settings"] = np.array(json.dumps({**settings, "encoder_doubt": {"suicide": 0.01}}))
    np.savez(tmp_path / ENCODER_FILE, **arrays)
    with pytest.raises(ConfigError, match="may not overrule"):
        load_encoder(tmp_path / ENCODER_FILE)


def _nets_p(model: CrisisModel, text: str) -> list[float] | None:
    return model.layer.probabilities(features(fold(text), model.negations, model.negation_window))


def test_the_doubt_removes_no_dev_crisis_and_some_false_alarms(
    encoder: CrisisEncoder, nets: dict[str, CrisisModel], detector: CrisisDetector
) -> None:
    """Over every dev set (rounds 4-7, probes 35-39: read, never trained on), each text the
    doubt changes the outcome of is an ordinary one (bench/crisis_encoder/doubt.py chose the
    level on rounds 4-7 and probes 35-38). The doubt can fire only where the encoder is under
    the level, so the blend's concern is the nets' own and the nets alone reach the threshold
    less the encoder's share: only those texts are read by the encoder here."""
    doubt = encoder.settings.encoder_doubt
    assert doubt is not None
    served = with_encoder(nets, encoder)
    before = with_encoder(nets, _without_doubt(encoder))
    weight = encoder.settings.weight
    changed: list[tuple[str, str]] = []
    for locale in LOCALES:
        model = served[locale]
        for directory in (*DEV_ROUND_DIRS, *PROBE_DIRS, PROBE39_DIR):
            for example in load_corpus(locale, directory):
                p = _nets_p(nets[locale], example.text)
                if p is None:
                    continue
                top = max(range(1, len(p)), key=p.__getitem__)
                level = doubt.levels.get(CONCERNS[top - 1])
                reach = (model.threshold - weight * (level or 0)) / (1 - weight)
                if level is None or 1 - p[0] < reach - 0.01:
                    continue
                found = detector.find(example.text)
                rules = found.concern if found else None
                if second_opinion(model, example.text, rules) != second_opinion(
                    before[locale], example.text, rules
                ):
                    changed.append((example.label, example.text))
    assert all(label == "ordinary" for label, _ in changed), changed
    assert len(changed) >= 6, changed
