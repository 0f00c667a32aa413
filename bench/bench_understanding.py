"""How many real-style replies the bot understands, per language (goal: 95 % each).

Reads the labelled corpora in tests/corpora/understanding (see bot/corpus.py) and prints the
rate for all cases and for the held-out fifth. --misses lists the design cases it gets wrong
(--held-out too: only after tuning is done).
Run: .venv/bin/python bench/bench_understanding.py [--misses] [--held-out]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.corpus import LANGUAGES, rate, score  # noqa: E402
from bot.flows import build_engine  # noqa: E402

GOAL = 0.95


def main() -> None:
    engine = build_engine(locales=LANGUAGES)
    show = "--misses" in sys.argv
    held = "--held-out" in sys.argv
    for lang in LANGUAGES:
        score(engine, lang)  # warm the caches, so us/reply is per reply
    print("| language | cases | understood | held-out cases | held-out understood | us/reply |")
    print("|---|---|---|---|---|---|")
    for lang in LANGUAGES:
        started = time.process_time()
        outcomes = score(engine, lang)
        elapsed = time.process_time() - started
        kept = [o for o in outcomes if o.case.held_out]
        print(
            f"| {lang} | {len(outcomes)} | {rate(outcomes):.1%} | {len(kept)} | {rate(kept):.1%} "
            f"| {elapsed / len(outcomes) * 1e6:.0f} |"
        )
        if show:
            for o in outcomes:
                if not o.right and (held or not o.case.held_out):
                    case = o.case
                    print(f"   {case.question}: {case.text!r} -> {o.got!r} (want {case.expect!r})")
    print(f"goal: {GOAL:.0%} per language")


if __name__ == "__main__":
    main()
