"""How a second, careful reader labels a probe's texts, against the writers' labels (stop 36).

Probe 35 (tests/corpora/crisis_probe35: written to the blind rounds' brief, a dev set) was
shuffled, its labels removed, and each text labelled again by a second reader told only the six
labels' definitions (tests/corpora/crisis_second_reader35). The agreement says how far the
goal (recall >= 0.97, false alarms <= 1 %) is from what a reader can get out of the texts alone;
beside it, the detector as served (rules or model) on the same texts.
Run: .venv/bin/python bench/bench_second_reader.py
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_crisis_model import rates  # noqa: E402
from bot.engine.crisis import load_detector  # noqa: E402
from bot.engine.crisis_model import load_models, second_opinion  # noqa: E402
from bot.i18n import LOCALES_DIR  # noqa: E402
from tests.crisis_corpus import load_corpus  # noqa: E402

LOCALES = ("en", "es", "pt_BR")
CORPORA = ROOT / "tests" / "corpora"
PROBE, SECOND = CORPORA / "crisis_probe35", CORPORA / "crisis_second_reader35"


def main() -> None:
    detector = load_detector(LOCALES_DIR, LOCALES)
    models = load_models(LOCALES_DIR, LOCALES)
    print("| language | reader | recall | false alarms | disagreements (writer -> reader) |")
    print("|---|---|---:|---:|---|")
    for locale in LOCALES:
        probe = load_corpus(locale, PROBE)
        second = {e.text: e.label for e in load_corpus(locale, SECOND)}
        if set(second) != {e.text for e in probe}:
            raise SystemExit(f"{locale}: the second reader's texts are not the probe's")
        served: dict[str, str] = {}
        for example in probe:
            found = detector.find(example.text)
            concern = found.concern if found else None
            served[example.text] = (
                second_opinion(models[locale], example.text, concern) or "ordinary"
            )
        for name, reader in (("second reader", second), ("rules or model", served)):
            concerns, recall, ordinary, alarm_rate = rates(
                lambda text, r=reader: None if r[text] == "ordinary" else r[text], probe
            )
            wrong = Counter(
                f"{e.label} -> {reader[e.text]}" for e in probe if reader[e.text] != e.label
            )
            shown = ", ".join(f"{k} {n}" for k, n in wrong.most_common(4)) or "none"
            print(
                f"| {locale} | {name} | {recall:.3f} ({round(recall * concerns)}/{concerns}) "
                f"| {round(alarm_rate * ordinary)}/{ordinary} | {shown} |"
            )


if __name__ == "__main__":
    main()
