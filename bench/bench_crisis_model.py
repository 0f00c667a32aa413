"""The learned crisis second opinion beside the rules, per language, in one run.

(a) rules alone (`load_detector(...).find`), (b) the model alone at each of the two thresholds
stored for the language (one model reads all three languages; thresholds chosen per language
by bench/train_crisis_model.py where the model alone alarms on <= 1 % and <= 2 % of the dev
rounds' (4-7) ordinary texts; never on rounds 8 onwards), (c) rules or model, as the
conversation reads (crisis_model.second_opinion): the model adds a concern where the rules find
none, names a crisis it is sure of where they find only a relapse, overrules a crisis they
find where it is all but sure there is none, and names another crisis where it is sure of that
one alone (not over an emergency; stop 35). Sets: round 4, the later rounds
(tests/crisis_corpus.BLIND_ROUND_DIRS: 5-7 dev, 8 onwards blind; aggregate figures only, their
texts are never printed) and the plan answers of the understanding corpus (none may alarm: the
rules read all of them, the model those it may read alone). Then us/text for each on the
labelled texts and plan answers (fresh detector each round, as bench_crisis.py does). A second
table gives, beside recall, the share of concern texts met at all (stop 33): a crisis read as
another crisis still gets 911 or 988 and the on-call person; one read as a relapse does not. A third
table: rules and rules or model with one typo in each text (the labelled set, on which the model
trains, and each round).
Run: .venv/bin/python bench/bench_crisis_model.py
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine.crisis import load_detector  # noqa: E402
from bot.engine.crisis_lexicon import Concern  # noqa: E402
from bot.engine.crisis_model import (  # noqa: E402
    MODEL_FILE,
    CrisisModel,
    load_models,
    second_opinion,
)
from bot.i18n import LOCALES_DIR  # noqa: E402
from tests.crisis_corpus import (  # noqa: E402
    BLIND_ROUND_DIRS,
    HELD_OUT4_DIR,
    Example,
    load_corpus,
    plan_answers_read_alone,
    understanding_replies,
    with_typos,
)
from tests.crisis_model_inputs import inputs_digest  # noqa: E402

LOCALES = ("en", "es", "pt_BR")
Find = Callable[[str], str | None]


def rates(find: Find, examples: Sequence[Example]) -> tuple[int, float, int, float]:
    """Concern texts, recall (right concern), ordinary texts, false alarm rate."""
    concerns = found = ordinary = alarms = 0
    for example in examples:
        got = find(example.text)
        if example.label == "ordinary":
            ordinary += 1
            alarms += got is not None
        else:
            concerns += 1
            found += got == example.label
    return concerns, found / max(concerns, 1), ordinary, alarms / max(ordinary, 1)


def caught(find: Find, examples: Sequence[Example]) -> tuple[float, float]:
    """Recall (right concern) and the share of concern texts met at all: a crisis text (not a
    relapse) by some crisis reply, whatever concern it was read as (each carries 911 or 988 and
    tells the on-call person); a relapse text by any reply (a crisis reply offers a person too).
    A crisis read only as a relapse gets the relapse offer, so it is not caught."""
    concerns = right = met = 0
    for example in examples:
        if example.label == "ordinary":
            continue
        got = find(example.text)
        concerns += 1
        right += got == example.label
        met += got is not None and (example.label == "relapse" or got != "relapse")
    return right / max(concerns, 1), met / max(concerns, 1)


def us_per_text(make: Callable[[], Find], texts: Sequence[str], rounds: int = 5) -> float:
    elapsed = 0.0
    for _ in range(rounds):
        find = make()
        started = time.process_time()
        for text in texts:
            find(text)
        elapsed += time.process_time() - started
    return elapsed / (rounds * len(texts)) * 1e6


def main() -> None:
    detector = load_detector(LOCALES_DIR, LOCALES)
    models = load_models(LOCALES_DIR, LOCALES)

    def detector_concern(text: str) -> Concern | None:
        finding = detector.find(text)
        return finding.concern if finding else None

    rules: Find = detector_concern
    blind = [d for d in BLIND_ROUND_DIRS if d != HELD_OUT4_DIR and (d / "en.yaml").is_file()]
    head = "| language | finder | threshold | round 4 recall | round 4 false alarms "
    head += "".join(f"| {d.name} recall | {d.name} false alarms " for d in blind)
    print(head + "| plan answers (rules: all; model: those it reads alone) |")
    print("|---|---|---:" + "|---:|---:" * (1 + len(blind)) + "|---:|")
    for locale in LOCALES:
        model = models[locale]
        sets = [load_corpus(locale, d) for d in (HELD_OUT4_DIR, *blind)]
        # The rules read every plan answer; the model alone only those it may read alone (not
        # exactly an answer the bot offers: the conversation guards those).
        plan_all, plan_alone = understanding_replies(locale), plan_answers_read_alone(locale)
        rows: list[tuple[str, float | None, Find]] = [("rules", None, rules)]
        for threshold in dict.fromkeys((model.threshold, model.threshold_loose)):

            def alone(text: str, m: CrisisModel = model, t: float = threshold) -> str | None:
                return m.find(text, t)

            def combined(text: str, m: CrisisModel = model, t: float = threshold) -> str | None:
                return second_opinion(m, text, detector_concern(text), t)

            rows += [("model", threshold, alone), ("rules or model", threshold, combined)]
        for name, chosen, find in rows:
            cells = []
            for examples in sets:
                _, recall, ordinary, alarms = rates(find, examples)
                cells.append(f"{recall:.3f} | {alarms:.3f} ({round(alarms * ordinary)}/{ordinary})")
            _, _, plan_count, plan_alarms = rates(find, plan_all if chosen is None else plan_alone)
            shown = "-" if chosen is None else f"{chosen:.2f}"
            print(
                f"| {locale} | {name} | {shown} | {' | '.join(cells)} | {plan_alarms:.3f} "
                f"({round(plan_alarms * plan_count)}/{plan_count}) |"
            )
    print("\nCaught: rules or model at the chosen threshold; recall (right concern) / concern")
    print("texts met by a crisis reply whatever concern it names (a relapse text: by any reply):")
    print("| language | " + " | ".join(d.name for d in (HELD_OUT4_DIR, *blind)) + " |")
    print("|---" + "|---:" * (1 + len(blind)) + "|")
    for locale in LOCALES:
        model = models[locale]

        def served(text: str, m: CrisisModel = model) -> str | None:
            return second_opinion(m, text, detector_concern(text))

        cells = []
        for round_dir in (HELD_OUT4_DIR, *blind):
            right, met = caught(served, load_corpus(locale, round_dir))
            cells.append(f"{right:.3f} / {met:.3f}")
        print(f"| {locale} | {' | '.join(cells)} |")
    print("\nOne typo in each text (tests/crisis_corpus.with_typos), rules and rules or model:")
    print("| language | set | rules: recall | false alarms | with model: recall | false alarms |")
    print("|---|---|---:|---:|---:|---:|")
    for locale in LOCALES:
        model = models[locale]

        def product(text: str, m: CrisisModel = model) -> str | None:
            return second_opinion(m, text, detector_concern(text))

        parts = [("all", None), ("round 4", HELD_OUT4_DIR)]
        parts += [(d.name, d) for d in blind]
        for name, directory in parts:
            examples = load_corpus(locale) if directory is None else load_corpus(locale, directory)
            part = with_typos(examples)
            _, r_recall, _, r_alarms = rates(rules, part)
            _, p_recall, _, p_alarms = rates(product, part)
            print(
                f"| {locale} | {name}, one typo each | {r_recall:.3f} | {r_alarms:.3f} "
                f"| {p_recall:.3f} | {p_alarms:.3f} |"
            )
    texts = [e.text for locale in LOCALES for e in load_corpus(locale)]
    texts += [e.text for locale in LOCALES for e in understanding_replies(locale)]

    def fresh_rules() -> Find:
        fresh = load_detector(LOCALES_DIR, LOCALES)
        return lambda text: f.concern if (f := fresh.find(text)) else None

    def fresh_model() -> Find:
        return load_models(LOCALES_DIR, ["en"])["en"].find

    def fresh_combined() -> Find:
        fresh, model = load_detector(LOCALES_DIR, LOCALES), load_models(LOCALES_DIR, ["en"])["en"]

        def both(text: str) -> str | None:
            found = fresh.find(text)
            return second_opinion(model, text, found.concern if found else None)

        return both

    print(f"\nus/text, {len(texts)} labelled texts and plan answers, one core, never seen before:")
    finders = (("rules", fresh_rules), ("model", fresh_model), ("rules or model", fresh_combined))
    for name, make in finders:
        print(f"  {name}: {us_per_text(make, texts):.1f} us/text")
    path = LOCALES_DIR / MODEL_FILE
    data = json.loads(path.read_text("utf-8"))
    for locale in LOCALES:
        current = data["inputs_sha256"][locale] == inputs_digest(locale, data["settings"])
        print(f"  {locale}: trained on today's inputs: {'yes' if current else 'NO, retrain'}")
    size, pieces = path.stat().st_size, len(models["en"].weights)
    print(f"  {MODEL_FILE}: {size:,} bytes, {pieces:,} pieces (one model, all languages)")


if __name__ == "__main__":
    main()
