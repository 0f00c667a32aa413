"""Step 3b (project venv, optional): the tuned encoder beside the detector as served.

For each language: the detector as served (rules or the learned model, `second_opinion`); the
encoder alone; and rules or a blend of the two models' probabilities ((1 - w) * model + w *
encoder), acted on as `second_opinion` acts on the model's (the model's own veto and rename
settings, `CrisisModel.overrules` / `renames`). Every threshold is chosen on the dev rounds
(4-7): the lowest whose false alarms there are no more than the served detector's. Figures:
recall / false alarms on rounds 8-11 together and round 12 (blind: totals only, no text is
printed), probes 36 and 37 together, and the plan answers the model reads alone.
Run: .venv/bin/python -m bench.crisis_encoder.evaluate [PROBS_PKL]
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.bench_crisis_model import rates
from bench.crisis_encoder.paths import LOCALES, OUT
from bot.engine.crisis import load_detector
from bot.engine.crisis_lexicon import CONCERNS, Concern
from bot.engine.crisis_model import (
    MODEL_FILE,
    CrisisModel,
    Reading,
    features,
    fold,
    load_model,
    long_enough,
    second_opinion,
)
from bot.i18n import LOCALES_DIR
from tests.crisis_corpus import Example

DEV = tuple(f"crisis_heldout{n}" for n in (4, 5, 6, 7))
COLUMNS = {
    "rounds 8-11": tuple(f"crisis_heldout{n}" for n in (8, 9, 10, 11)),
    "round 12": ("crisis_heldout12",),
    "probes 36+37": ("crisis_probe36", "crisis_probe37"),
    "plan answers": ("plan_alone",),
}
WEIGHTS = (0.2, 0.3, 0.4, 0.5)
Row = tuple[str, str, Concern | None, Concern | None, list[float] | None, list[float]]
Decide = Callable[[Row, float], Concern | None]


def reading(p: Sequence[float]) -> Reading:
    best = max(range(1, len(p)), key=p.__getitem__)
    return Reading(CONCERNS[best - 1], 1.0 - p[0], p[best])


def opinion(
    model: CrisisModel, rules: Concern | None, read: Reading, threshold: float
) -> Concern | None:
    """`second_opinion` on a given reading (the model's, the encoder's or a blend)."""
    if rules not in (None, "relapse"):
        return None if model.overrules(read) else model.renames(read, rules) or rules
    found = read.concern if read.probability >= threshold else None
    return rules if found is None or (rules == "relapse" and found == "relapse") else found


def counts(decide: Decide, rows: Sequence[Row], threshold: float) -> tuple[float, int]:
    """Recall and the number of false alarms (bench_crisis_model.rates counts them)."""
    decided = {row[0]: decide(row, threshold) for row in rows}
    examples = [Example(row[0], row[1]) for row in rows]
    _, recall, ordinary, rate = rates(decided.__getitem__, examples)
    return recall, round(rate * ordinary)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT / "probs_ep2.pkl"
    with (OUT / "texts.pkl").open("rb") as handle:
        data = pickle.load(handle)  # noqa: S301 (written by dump.py)
    with path.open("rb") as handle:
        tuned = pickle.load(handle)  # noqa: S301 (written by finetune.py)
    order = [tuned["labels"].index(label) for label in ("ordinary", *CONCERNS)]
    detector = load_detector(LOCALES_DIR, LOCALES)
    models = load_model(LOCALES_DIR / MODEL_FILE)  # the nets alone, as before the encoder
    print("| language | finder | threshold | " + " | ".join(COLUMNS) + " |")
    print("|---|---|---:" + "|---:" * len(COLUMNS) + "|")
    for locale in LOCALES:
        model = models[locale]

        def row(text: str, label: str, m: CrisisModel = model) -> Row:
            found = detector.find(text)
            rules = found.concern if found else None
            folded = fold(text)
            p = None
            if long_enough(folded):
                p = m.layer.probabilities(features(folded, m.negations, m.negation_window))
            q = tuned["probabilities"][text]
            served = second_opinion(m, text, rules)
            return (
                text,
                label,
                rules,
                served,
                None if p is None else list(p),
                [q[i] for i in order],
            )

        sets = {
            name: [row(t, label) for t, label in data["sets"][name].get(locale, [])]
            for name in data["sets"]
        }
        dev = [r for name in DEV for r in sets[name] if r[1] == "ordinary"]
        budget = sum(r[3] is not None for r in dev)
        finders: list[tuple[str, Decide]] = [("served", lambda r, t: r[3])]
        finders.append(
            ("encoder alone", lambda r, t: reading(r[5]).concern if 1 - r[5][0] >= t else None)
        )
        for w in WEIGHTS:

            def blend(r: Row, t: float, w: float = w, m: CrisisModel = model) -> Concern | None:
                mixed = (
                    r[5]
                    if r[4] is None
                    else [(1 - w) * a + w * b for a, b in zip(r[4], r[5], strict=True)]
                )
                return opinion(m, r[2], reading(mixed), t)

            finders.append((f"rules or blend w={w}", blend))
        for name, decide in finders:
            threshold = 1.0
            for step in range(99, 4, -1):
                if counts(decide, dev, step / 100)[1] > budget:
                    break
                threshold = step / 100
            cells = []
            for names in COLUMNS.values():
                recall, alarms = counts(decide, [r for n in names for r in sets[n]], threshold)
                cells.append(f"{recall:.3f} / {alarms}")
            shown = "-" if name == "served" else f"{threshold:.2f}"
            print(f"| {locale} | {name} | {shown} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
