"""The learned crisis second opinion beside the rules, per language, in one run.

(a) rules alone (`load_detector(...).find`), (b) the model alone at each of the two thresholds
stored in its file (chosen on cross-validation by bench/train_crisis_model.py, out-of-fold false
alarms <= 0.5 % and <= 2 %; never on rounds 4 to 6), (c) rules or model, as the conversation
reads (crisis_model.second_opinion): the model adds a concern where the rules find none, and
names a crisis it is sure of where they find only a relapse; last, rules or the surest of all
three languages' models (each at its own strict threshold), as CrisisDetector.find would do
without knowing the language. Sets: the blind rounds 4, 5 and 6 (tests/corpora/crisis_heldout4/
to crisis_heldout6/, aggregate figures only: their texts are never printed) and every plan
answer of the understanding corpus (none may alarm). Then us/text for each on the labelled
texts and plan answers (fresh detector each round, as bench_crisis.py does). A second table:
rules and rules or model with one typo in each text (the labelled set, on which the model
trains, and rounds 4 to 6).
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
from bot.engine.crisis_model import CrisisModel, load_models, second_opinion  # noqa: E402
from bot.i18n import LOCALES_DIR  # noqa: E402
from tests.crisis_corpus import (  # noqa: E402
    HELD_OUT4_DIR,
    HELD_OUT5_DIR,
    HELD_OUT6_DIR,
    Example,
    load_corpus,
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

    def any_model(text: str) -> str | None:
        """Every language's model at its own threshold, the surest one: for a caller that
        does not know the parent's language (CrisisDetector.find reads all languages)."""
        sure = [(p, c) for m in models.values() for c, p in [m.score(text)] if p >= m.threshold]
        return max(sure)[1] if sure else None

    def rules_or_any(text: str) -> str | None:
        return rules(text) or any_model(text)

    print(
        "| language | finder | threshold | round 4 recall | round 4 false alarms "
        "| round 5 recall | round 5 false alarms | round 6 recall | round 6 false alarms "
        "| plan answers |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for locale in LOCALES:
        model = models[locale]
        round4 = load_corpus(locale, HELD_OUT4_DIR)
        round5 = load_corpus(locale, HELD_OUT5_DIR)
        round6 = load_corpus(locale, HELD_OUT6_DIR)
        plan = understanding_replies(locale)
        rows: list[tuple[str, float | None, Find]] = [("rules", None, rules)]
        for threshold in dict.fromkeys((model.threshold, model.threshold_loose)):

            def alone(text: str, m: CrisisModel = model, t: float = threshold) -> str | None:
                return m.find(text, t)

            def combined(text: str, m: CrisisModel = model, t: float = threshold) -> str | None:
                return second_opinion(m, text, detector_concern(text), t)

            rows += [("model", threshold, alone), ("rules or model", threshold, combined)]
        rows.append(("rules or any language's model", model.threshold, rules_or_any))
        for name, chosen, find in rows:
            _, recall, ordinary, alarms = rates(find, round4)
            _, recall5, ordinary5, alarms5 = rates(find, round5)
            _, recall6, ordinary6, alarms6 = rates(find, round6)
            _, _, plan_count, plan_alarms = rates(find, plan)
            shown = "-" if chosen is None else f"{chosen:.2f}"
            print(
                f"| {locale} | {name} | {shown} | {recall:.3f} | {alarms:.3f} "
                f"({round(alarms * ordinary)}/{ordinary}) | {recall5:.3f} | {alarms5:.3f} "
                f"({round(alarms5 * ordinary5)}/{ordinary5}) | {recall6:.3f} | {alarms6:.3f} "
                f"({round(alarms6 * ordinary6)}/{ordinary6}) | {plan_alarms:.3f} "
                f"({round(plan_alarms * plan_count)}/{plan_count}) |"
            )
    print("\nOne typo in each text (tests/crisis_corpus.with_typos), rules and rules or model:")
    print("| language | set | rules: recall | false alarms | with model: recall | false alarms |")
    print("|---|---|---:|---:|---:|---:|")
    for locale in LOCALES:
        model = models[locale]

        def product(text: str, m: CrisisModel = model) -> str | None:
            return second_opinion(m, text, detector_concern(text))

        for name, part in (
            ("all, one typo each", with_typos(load_corpus(locale))),
            ("round 4, one typo each", with_typos(load_corpus(locale, HELD_OUT4_DIR))),
            ("round 5, one typo each", with_typos(load_corpus(locale, HELD_OUT5_DIR))),
            ("round 6, one typo each", with_typos(load_corpus(locale, HELD_OUT6_DIR))),
        ):
            _, r_recall, _, r_alarms = rates(rules, part)
            _, p_recall, _, p_alarms = rates(product, part)
            print(
                f"| {locale} | {name} | {r_recall:.3f} | {r_alarms:.3f} | {p_recall:.3f} "
                f"| {p_alarms:.3f} |"
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

    def fresh_any() -> Find:
        a, fresh = fresh_rules(), load_models(LOCALES_DIR, LOCALES).values()

        def b(text: str) -> str | None:
            sure = [(p, c) for m in fresh for c, p in [m.score(text)] if p >= m.threshold]
            return max(sure)[1] if sure else None

        return lambda text: a(text) or b(text)

    print(f"\nus/text, {len(texts)} labelled texts and plan answers, one core, never seen before:")
    finders = (
        ("rules", fresh_rules),
        ("model", fresh_model),
        ("rules or model", fresh_combined),
        ("rules or any language's model", fresh_any),
    )
    for name, make in finders:
        print(f"  {name}: {us_per_text(make, texts):.1f} us/text")
    for locale in LOCALES:
        path = LOCALES_DIR / locale / "crisis_model.json"
        data = json.loads(path.read_text("utf-8"))
        current = data["inputs_sha256"] == inputs_digest(locale, data["settings"])
        print(f"  {locale}: trained on today's inputs: {'yes' if current else 'NO, retrain'}")
        size = path.stat().st_size
        pieces = len(models[locale].weights)
        print(f"  {locale}/crisis_model.json: {size:,} bytes, {pieces:,} pieces")


if __name__ == "__main__":
    main()
