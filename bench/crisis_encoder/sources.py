"""Where the served reading's misses and false alarms come from, set by set (project venv).

The conversation's reading (rules or model, `second_opinion`, with locales/crisis_encoder.npz
as served) on the dev rounds 4-7, the probes 35-37, 38 and 39 (dev, read; 39 chose nothing)
and the blind rounds 8-11 and 12 (totals only: no text is printed): recall (right concern);
caught (met by some crisis reply: a relapse by any reply, a crisis by a crisis reply); the
misses split into nothing found and another concern named; the false alarms split into the
rules' that stand (the model did not overrule them, or the rules' relapse) and the model's (the
rules found nothing). Stop 40: most of the blind rounds' false alarms in English and Portuguese
were the rules'.
Run: .venv/bin/python -m bench.crisis_encoder.sources
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.crisis_encoder.paths import LOCALES
from bot.engine.crisis import CrisisDetector, load_detector
from bot.engine.crisis_model import CrisisModel, load_models, second_opinion
from bot.i18n import LOCALES_DIR
from tests.crisis_corpus import (
    BLIND_ROUND_DIRS,
    DEV_ROUND_DIRS,
    PROBE39_DIR,
    PROBE_DIRS,
    load_corpus,
)

SETS: dict[str, Sequence[Path]] = {
    "rounds 4-7 (dev)": DEV_ROUND_DIRS,
    "probes 35-37 (dev)": PROBE_DIRS[:3],
    "probe 38 (dev)": PROBE_DIRS[3:],
    "probe 39 (dev, chose nothing)": (PROBE39_DIR,),
    "rounds 8-11 (blind)": BLIND_ROUND_DIRS[4:8],
    "round 12 (blind)": BLIND_ROUND_DIRS[8:],
}


def counts(
    detector: CrisisDetector, model: CrisisModel, locale: str, directories: Sequence[Path]
) -> Counter[str]:
    out: Counter[str] = Counter()
    for directory in directories:
        for example in load_corpus(locale, directory):
            found = detector.find(example.text)
            rules = found.concern if found else None
            got = second_opinion(model, example.text, rules)
            if example.label == "ordinary":
                out["ordinary"] += 1
                if got is not None:
                    by_rules = rules is not None and (rules != "relapse" or got == "relapse")
                    out["rules" if by_rules else "model"] += 1
                continue
            out["crises"] += 1
            out["right"] += got == example.label
            out["nothing found"] += got is None
            out["caught"] += got is not None and (example.label == "relapse" or got != "relapse")
    return out


def main() -> None:
    detector = load_detector(LOCALES_DIR, LOCALES)
    models = load_models(LOCALES_DIR, LOCALES)
    print(
        "| set | language | recall | caught | misses: nothing / other concern | false alarms "
        "| of them the rules' |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, directories in SETS.items():
        for locale in LOCALES:
            c = counts(detector, models[locale], locale, directories)
            alarms = c["rules"] + c["model"]
            other = c["crises"] - c["right"] - c["nothing found"]
            print(
                f"| {name} | {locale} | {c['right'] / c['crises']:.3f} "
                f"| {c['caught'] / c['crises']:.3f} | {c['nothing found']} / {other} "
                f"| {alarms} / {c['ordinary']} ({alarms / c['ordinary']:.1%}) "
                f"| {c['rules']} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
