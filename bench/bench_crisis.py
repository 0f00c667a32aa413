"""Crisis understanding on the labelled texts: recall and false alarms per language, and speed.

Recall: texts labelled with a concern (emergency, baby, suicide, violence, relapse) found
with that same concern. False alarms: ordinary texts flagged with any concern. Figures for
the whole set, for its crc32 fifth, and for the separate held-out set
(tests/corpora/crisis_heldout/, written apart and never read to tune phrase lists), and the
second to sixth held-out rounds (tests/corpora/crisis_heldout2/ to crisis_heldout6/, each written
before that round's changes; rounds 4 to 6 each written blind after the round before; their misses
are never printed).
Also the whole set with one typo in each text (seeded), and every plan answer of
tests/corpora/understanding/ (none may alarm).
Run: .venv/bin/python bench/bench_crisis.py [--misses] [--held-out-misses] [--held-out2-misses]
    [--held-out3-misses]
(--held-out*-misses print a held-out set's misses: only to report, then move them over.)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine.crisis import load_detector  # noqa: E402
from bot.i18n import LOCALES_DIR  # noqa: E402
from tests.crisis_corpus import (  # noqa: E402
    BLIND_ROUND_DIRS,
    HELD_OUT2_DIR,
    HELD_OUT3_DIR,
    HELD_OUT_DIR,
    load_corpus,
    score,
    understanding_replies,
    with_typos,
)

LOCALES = tuple(
    a for a in ("en", "es", "pt_BR") if (ROOT / "tests/corpora/crisis" / f"{a}.yaml").exists()
)


def main(argv: list[str]) -> None:
    detector = load_detector(LOCALES_DIR, LOCALES)
    print("| language | texts | set | concern texts | recall | ordinary texts | false alarms |")
    print("|---|---:|---|---:|---:|---:|---:|")
    shown = []
    for locale in LOCALES:
        examples = load_corpus(locale)
        round2 = load_corpus(locale, HELD_OUT2_DIR)
        for name, part in (
            ("all", examples),
            ("crc32 fifth", [e for e in examples if e.held_out]),
            ("design", [e for e in examples if not e.held_out]),
            ("HELD-OUT set", load_corpus(locale, HELD_OUT_DIR)),
            ("HELD-OUT 2", round2),
            ("HELD-OUT 2, looked-at half", [e for e in round2 if not e.blind]),
            ("HELD-OUT 2, blind half", [e for e in round2 if e.blind]),
            ("HELD-OUT 3", load_corpus(locale, HELD_OUT3_DIR)),
            *(
                (f"HELD-OUT {n}", load_corpus(locale, d))
                for n, d in enumerate(BLIND_ROUND_DIRS, 4)
                if (d / f"{locale}.yaml").is_file()
            ),
            ("all, one typo each", with_typos(examples)),
            ("plan answers", understanding_replies(locale)),
        ):
            s = score(detector, part)
            print(
                f"| {locale} | {len(part)} | {name} | {s.concerns} | {s.recall:.3f} "
                f"| {s.ordinary} | {s.false_alarm_rate:.3f} ({s.alarms}) |"
            )
            if (
                (name == "design" and "--misses" in argv)
                or (name == "HELD-OUT set" and "--held-out-misses" in argv)
                or (name == "HELD-OUT 2, looked-at half" and "--held-out2-misses" in argv)
                or (name == "HELD-OUT 3" and "--held-out3-misses" in argv)
                or (name == "plan answers" and "--misses" in argv)
            ):
                shown += [(locale, e, got) for e, got in s.misses]
    for locale, example, got in shown:
        print(f"  miss {locale}: {example.label} -> {got}: {example.text}")
    # Speed on first sight: a fresh detector each round, so no text is remembered.
    texts = [e.text for locale in LOCALES for e in load_corpus(locale)]
    elapsed, count = 0.0, 0
    for _ in range(20):
        fresh = load_detector(LOCALES_DIR, LOCALES)
        started = time.process_time()
        for text in texts:
            fresh.find(text)
        elapsed += time.process_time() - started
        count += len(texts)
    rate, each = count / elapsed, elapsed / count * 1e6
    print(f"\nfind(), texts never seen before: {rate:,.0f} texts/s, {each:.1f} us/text (one core)")


if __name__ == "__main__":
    main(sys.argv[1:])
