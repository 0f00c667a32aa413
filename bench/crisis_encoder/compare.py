"""Step 6 (project venv): what the served encoder changes, text by text, on the probes.

The conversation's reading (rules or model, `second_opinion`) with the nets alone
(crisis_model.json) and as served (with locales/crisis_encoder.npz), on the probes 35-38 (dev
sets, written to the blind rounds' brief, never trained on; read, so their texts are printed):
per language, the crises each finds that the other misses and the false alarms each raises;
then the same counts, totals only, on the blind rounds 8 onwards (no text printed). A reader
that drops clear crises the nets found does not ship, whatever it gains elsewhere (stop 37).
Run: .venv/bin/python -m bench.crisis_encoder.compare [--quiet]
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

from bench.crisis_encoder.paths import LOCALES
from bot.engine.crisis import CrisisDetector, load_detector
from bot.engine.crisis_model import MODEL_FILE, CrisisModel, load_model, load_models, second_opinion
from bot.i18n import LOCALES_DIR
from tests.crisis_corpus import BLIND_ROUND_DIRS, PROBE_DIRS, Example, load_corpus


def changes(
    examples: Sequence[Example],
    detector: CrisisDetector,
    before: CrisisModel,
    after: CrisisModel,
) -> dict[str, list[Example]]:
    """The texts whose outcome differs: crises gained and lost (right concern), false alarms
    gone and come."""
    out: dict[str, list[Example]] = {"gained": [], "lost": [], "alarm gone": [], "alarm new": []}
    for example in examples:
        found = detector.find(example.text)
        rules = found.concern if found else None
        old = second_opinion(before, example.text, rules)
        new = second_opinion(after, example.text, rules)
        if example.label == "ordinary":
            if (old is None) != (new is None):
                out["alarm gone" if new is None else "alarm new"].append(example)
        elif (old == example.label) != (new == example.label):
            out["gained" if new == example.label else "lost"].append(example)
    return out


Readers = tuple[CrisisDetector, Mapping[str, CrisisModel], Mapping[str, CrisisModel]]


def report(name: str, sets: Mapping[str, Sequence[Example]], models: Readers, show: bool) -> None:
    detector, nets, served = models
    print(f"\n{name}: crises gained / lost, false alarms gone / new (nets alone -> served)")
    for locale in LOCALES:
        found = changes(sets[locale], detector, nets[locale], served[locale])
        counts = " / ".join(str(len(v)) for v in found.values())
        print(f"  {locale}: {counts} of {len(sets[locale])} texts")
        if show:
            for kind, examples in found.items():
                for example in examples:
                    print(f"    {kind:10} {example.label:9} {example.text}")


def main() -> None:
    show = "--quiet" not in sys.argv
    detector = load_detector(LOCALES_DIR, LOCALES)
    models = (detector, load_model(LOCALES_DIR / MODEL_FILE), load_models(LOCALES_DIR, LOCALES))
    probes = {loc: [e for p in PROBE_DIRS for e in load_corpus(loc, p)] for loc in LOCALES}
    report("probes 35-38 (dev, read)", probes, models, show)
    blind = BLIND_ROUND_DIRS[4:]
    rounds = {loc: [e for d in blind for e in load_corpus(loc, d)] for loc in LOCALES}
    report("blind rounds 8 onwards (totals only)", rounds, models, False)


if __name__ == "__main__":
    main()
