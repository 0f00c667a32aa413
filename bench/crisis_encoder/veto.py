"""Would the encoder's own reading overrule the rules' false alarms? (project venv; stop 41)

Where the word rules find a crisis (not a relapse), it stands unless the nets' reading is under
`veto_below` (crisis_model.CrisisModel.overrules). The blend cannot veto: the encoder is asked
only where the nets give some concern at the gate (0.166) or more, so the blend stays above
0.6 * 0.166. This bench asks what a veto by the encoder alone would do: for each level, among
the rules' crisis findings that stand as served, the false alarms it would remove and the
crises named right it would lose, on the dev sets (rounds 4-7, probes 35-38), probe 39 (dev,
chose nothing) and the blind rounds 8-12 (totals only: no blind text is printed).
--dev-texts prints the dev crises the highest level would lose.
Run: .venv/bin/python -m bench.crisis_encoder.veto [--dev-texts]
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.crisis_encoder.paths import LOCALES
from bot.engine.crisis import load_detector
from bot.engine.crisis_model import load_models
from bot.i18n import LOCALES_DIR
from tests.crisis_corpus import (
    BLIND_ROUND_DIRS,
    DEV_ROUND_DIRS,
    PROBE39_DIR,
    PROBE_DIRS,
    load_corpus,
)

LEVELS = (0.005, 0.01, 0.02, 0.05)
SETS: dict[str, tuple[Sequence[Path], bool]] = {
    "dev (rounds 4-7, probes 35-38)": ((*DEV_ROUND_DIRS, *PROBE_DIRS), True),
    "probe 39 (dev, chose nothing)": ((PROBE39_DIR,), True),
    "blind rounds 8-12": (BLIND_ROUND_DIRS[4:], False),
}


def main() -> None:
    show = "--dev-texts" in sys.argv[1:]
    detector = load_detector(LOCALES_DIR, LOCALES)
    models = load_models(LOCALES_DIR, LOCALES)
    print("| set | language | " + " | ".join(f"< {v}: FA gone / right lost" for v in LEVELS) + " |")
    print("|---|---|" + "---|" * len(LEVELS))
    for name, (directories, readable) in SETS.items():
        for locale in LOCALES:
            model = models[locale]
            encoder = model.encoder
            if encoder is None:
                raise SystemExit(f"no encoder file in {LOCALES_DIR}")
            gone: Counter[float] = Counter()
            lost: Counter[float] = Counter()
            for directory in directories:
                for example in load_corpus(locale, directory):
                    found = detector.find(example.text)
                    if found is None or found.concern == "relapse":
                        continue
                    reading = model.read(example.text)
                    if model.overrules(reading):
                        continue  # already not acted on
                    acted = model.renames(reading, found.concern) or found.concern
                    some = 1.0 - encoder.probabilities(example.text)[0]
                    for level in LEVELS:
                        if some < level:
                            gone[level] += example.label == "ordinary"
                            lost[level] += acted == example.label
                    if show and readable and some < LEVELS[-1] and acted == example.label:
                        print(f"  lost: {locale} {example.label} {some:.4f} {example.text[:100]}")
            cells = " | ".join(f"{gone[v]} / {lost[v]}" for v in LEVELS)
            print(f"| {name} | {locale} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
