"""Train the learned crisis second opinion (bot/engine/crisis_model.py): one model for all three
languages, one file (locales/crisis_model.json) with a threshold per language.

Multinomial logistic regression (ordinary + the five concerns) over the model's own pieces of
a text (character 2-5-grams of the folded text, words, word pairs), by plain stochastic
gradient descent: floats are IEEE doubles everywhere, each text's update is elementwise (numpy
adds and multiplies, no BLAS, no vector exp), the order is a fixed seed's shuffle, so the same
inputs give the same file byte for byte on any machine with the pinned numpy. Until stop 31 the
loop was pure Python (38 min for the five folds and the final model on two cores); the numpy
loop gives the same committed file byte for byte (--check) in 4.4 min.
Inputs: tests/crisis_model_inputs.py, every language's (labelled texts, held-out rounds 1-3,
texts written for the model, many ordinary texts), with its leak guard against the blind
rounds 4-10, which are never trained on.
One model for all languages (2026-12-06): trained per language, the English model found 0.54
of round 4's concern texts at the score of its second-highest ordinary text; trained on all
three languages' texts, 0.74 (Spanish 0.68 -> 0.69, Portuguese 0.80 -> 0.75 there, but more
at a fixed threshold). Parents mix languages, and the rules read all three too.

The thresholds (how sure the model must be that a text shows a concern) are chosen, per
language, on the dev rounds (4-7: blind-written, real-style messages, never trained on; stop
31): the lowest threshold at which the final model alone alarms on at most target_false_alarms
(1 %) of that language's dev ordinary texts; a looser one (2 %) is stored beside it. Neither is
ever below the final model's score of a plan answer plus plan_answer_margin (stop 30): what
every parent sends in answer to a question must not read as a crisis. Since stop 32 only the
plan answers the model may read alone count: the conversation does not let the model alone act
on a text that is exactly an answer the bot offers (bot/engine/answering.offered_answers).
5-fold cross-validation of the inputs (fold = crc32 % 5) is printed at those thresholds: until
stop 31 it chose them (at 1 %, then 1.5 % of out-of-fold false alarms), but the inputs' ordinary
texts are now mostly hard twins written to sit near the line, and a step of 0.01 in its
threshold, moved by a few dozen texts, moved blind recall by 2-4 points (see SETTINGS).

Run: .venv/bin/python bench/train_crisis_model.py [--check] [--cv-only] [--jobs=N]
(--jobs=N trains the five cross-validation folds in N processes; the file is the same.)
(--check trains again and fails unless the committed file comes out byte for byte.)
"""

from __future__ import annotations

import json
import math
import random
import sys
import zlib
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine.crisis import CRISIS_FILE  # noqa: E402
from bot.engine.crisis_lexicon import load_lexicon  # noqa: E402
from bot.engine.crisis_model import (  # noqa: E402
    CLASSES,
    MODEL_FILE,
    CrisisModel,
    features,
    fold,
    long_enough,
    models_from_data,
)
from bot.i18n import LOCALES_DIR  # noqa: E402
from tests.crisis_corpus import (  # noqa: E402
    DEV_ROUND_DIRS,
    load_corpus,
    plan_answers_read_alone,
    understanding_replies,
)
from tests.crisis_model_inputs import (  # noqa: E402
    chatter,
    inputs_digest,
    own_inputs_digest,
    training_examples,
)

LOCALES = ("en", "es", "pt_BR")
SETTINGS: dict[str, object] = {
    "seed": 14,
    "epochs": 40,
    "rate": 1.0,
    "decay": 0.15,  # rate / (1 + decay * epoch)
    "l2": 0.0,  # weights shrink by this fraction after each epoch
    # A piece must appear in this many texts to get weights: 3 until stop 31; 4 with extra47-62
    # (~27,000 texts a language): the file 6.55 -> 5.60 MB, dev rounds (4-7) the same within a
    # text or two (rules or model at target 1.5 %: en 0.946 -> 0.941, es and pt_BR equal).
    "min_count": 4,
    "concern_weight": 1.0,  # a concern text's loss weight (ordinary: 1)
    "scale": 1000,  # weights stored as integers in thousandths
    # False alarms the chosen threshold allows, the model alone on the dev rounds' ordinary texts
    # (stop 31). Before, out of fold on the inputs: 0.5 % until 2026-12-06; 1 % (the goal) once
    # the inputs held extra2/extra3's hard ordinary twins (at 0.5 % the thresholds rose to
    # 0.96-0.99 and round 4 read 0.56-0.71 with the model alone against 0.75-0.85 at 0.90); 1.5 %
    # for one commit of stop 31. Why it moved to the dev rounds: with extra47-62 most ordinary
    # inputs are hard twins, so the out-of-fold curve is flat near its target, and dropping 82
    # training texts (the leak guard, on adding round 10) moved the chosen thresholds from
    # 0.90/0.89/0.90 to 0.92/0.91/0.92 and rounds 8-9 by 2-4 points of recall. On the dev rounds
    # the same 1 % is the goal's own measure, on messages like real ones: the model alone then
    # alarms on <= 1 % of them by construction (those figures are no longer honest; rounds 8-10
    # are), and the rules' false alarms come on top.
    "target_false_alarms": 0.01,
    # A second, looser choice for the lead to weigh (rules + model together): stored as
    # "threshold_loose", reported beside the first by bench_crisis_model.py.
    "loose_false_alarms": 0.02,
    # Each training text may also be learnt with this many copies carrying one typo each (a
    # letter dropped, doubled, swapped with the next or replaced), ordinary texts too. Tried at
    # 1 (2026-12-05): out-of-fold recall at the strict threshold fell (pt_BR 0.586 -> 0.467,
    # the threshold rose to 0.99) for little gain on typo'd texts, which the rules' corrector
    # now reads (bot/engine/crisis_typos.py); kept at 0.
    "typo_copies": 0,
    # Each text may also be learnt once more beside an everyday text of its language (before
    # or after it; an ordinary text half the time): see with_chatter. Tried at 1 on the inputs
    # before extra2/extra3 (2026-12-06): round 4 (dev) read better in English, worse in
    # Portuguese, the pieces grew from 46,484 to 75,310 and training took 1.7 times as long;
    # extra2 writes crises inside long everyday texts itself. Kept at 0.
    "chatter_copies": 0,
    # Each plan answer (the understanding corpus: what every parent sends) may be learnt this
    # many more times. With extra21-46 (stop 30) two scored 0.94-0.96 as violence and suicide
    # ("me and my partner", "i have a plan": words the new crisis texts use a lot). Tried at 2:
    # those two fell to 0.92 or less, but the model alone lost 5-6 points of recall on blind
    # rounds 8 and 9 in every language at the same thresholds (en 0.815 -> 0.753 on round 8 at
    # 0.94). Kept at 0; the floor below keeps plan answers quiet instead.
    "plan_answer_copies": 0,
    # The threshold is never below a plan answer's score plus this margin (in probability):
    # a plan answer read as a crisis is the worst false alarm there is (en: 0.94 -> 0.97).
    "plan_answer_margin": 0.01,
    # A crisis the word rules find stands unless the model, reading the whole text (two words or
    # more), gives it less than this probability of any concern: it is then all but sure the
    # words stand in an ordinary text ("my neighbor od'd last month, hes in treatment now").
    # Stored as "veto_below". Stop 32: the rules alone alarm on 2.4-3.9 % of the blind rounds'
    # ordinary texts, mostly through exact phrases. At 0.02 the dev rounds (4-7) lose 0 / 1 / 0
    # crises (a relapse is never overruled: its reply only offers a person) and 2 / 0 / 0 false
    # alarms; the blind rounds 8-11 (totals only) 15 / 16 / 10 of 48 / 46 / 42 false alarms for
    # 0 / 2 / 1 of ~1,360 crises. 0.1 loses 2 / 3 / 0 more dev crises; 0.05 reads as 0.02 on
    # the dev rounds, but a real crisis stop 31 found sits near it ("wanted to smother him last
    # night. didnt. but wanted to": 0.059), so the lower value is kept.
    "rules_veto_below": 0.02,
    # Words this many after a negation are also read as negated pieces ("~hurt"): the negation
    # words are every language's (locales/<lang>/crisis.yaml `negations`, and the spellings that
    # stand for one: "dont" -> "do not"), stored in the file as "negations". Stop 33, one
    # training on stop 32's inputs, blind rounds 8-11 (totals only) at each fixed threshold
    # 0.74-0.86: recall +0.0 to +0.5 points and 0-3 fewer false alarms in every language; 3
    # reads the same as 4. 0: no negation pieces.
    "negation_window": 4,
}
K = len(CLASSES)
Row = tuple[float, ...]
Model = tuple[list[float], dict[str, Row]]


def negation_words() -> list[str]:
    """Every language's negations, folded as the model folds, and the one-word spellings that
    stand for one ("dont": "do not", "nao"), sorted."""
    words: set[str] = set()
    for locale in LOCALES:
        lexicon = load_lexicon(LOCALES_DIR / locale / CRISIS_FILE)
        said = set(lexicon.negations)
        words.update(lexicon.negations)
        words.update(k for k, v in lexicon.spellings.items() if said & set(v.split()))
    folded = (fold(w) for w in words)
    return sorted(w for w in folded if w and " " not in w)


NEGATIONS = frozenset(negation_words())


def _pieces(text: str) -> list[str]:
    return features(fold(text), NEGATIONS, int(str(SETTINGS["negation_window"])))


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def with_typos(pairs: Sequence[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    """The pairs, then `typo_copies` copies of each with one typo in one word of four letters
    or more (a text without such a word is not copied)."""
    out = list(pairs)
    for _ in range(int(str(SETTINGS["typo_copies"]))):
        for text, label in pairs:
            words = text.split()
            long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
            if not long:
                continue
            i = rng.choice(long)
            w, k = words[i], rng.randrange(len(words[i]) - 1)
            words[i] = rng.choice(
                (
                    w[:k] + w[k + 1 :],
                    w[:k] + w[k] + w[k:],
                    w[:k] + w[k + 1] + w[k] + w[k + 2 :],
                    w[:k] + rng.choice(_LETTERS) + w[k + 1 :],
                )
            )
            out.append((" ".join(words), label))
    return out


def with_chatter(
    pairs: Sequence[tuple[str, str]], everyday: Sequence[str], rng: random.Random
) -> list[tuple[str, str]]:
    """The pairs, then each labelled text (an ordinary one half the time) with an everyday
    text glued before or after it, under its own label, `chatter_copies` times."""
    out = list(pairs)
    if not everyday:
        return out
    for _ in range(int(str(SETTINGS["chatter_copies"]))):
        for text, label in pairs:
            if label == "ordinary" and rng.random() < 0.5:
                continue
            other = rng.choice(everyday)
            out.append((f"{other} {text}" if rng.random() < 0.5 else f"{text} {other}", label))
    return out


def by_language() -> dict[str, list[tuple[str, str]]]:
    """Each language's training pairs; a text two languages share stays with the first."""
    seen: set[str] = set()
    out: dict[str, list[tuple[str, str]]] = {}
    for locale in LOCALES:
        out[locale] = [(t, label) for t, label in training_examples(locale) if t not in seen]
        seen.update(t for t, _ in out[locale])
    return out


def _fold(text: str) -> int:
    return zlib.crc32(text.encode("utf-8")) % 5


def all_pairs(
    languages: dict[str, list[tuple[str, str]]], leave_out: int | None = None
) -> list[tuple[str, str]]:
    """Every language's pairs (without fold `leave_out`) and their chatter copies; the
    chatter comes from the same side of the fold, so no held-out text is learnt."""
    out: list[tuple[str, str]] = []
    for n, (locale, pairs) in enumerate(languages.items()):
        inside = [p for p in pairs if leave_out is None or _fold(p[0]) != leave_out]
        everyday = [t for t in chatter(locale) if leave_out is None or _fold(t) != leave_out]
        out += with_chatter(inside, everyday, random.Random(n * 10 + (leave_out or 0)))
        plan = plan_answers(locale)
        out += [p for p in inside if p[0] in plan] * int(str(SETTINGS["plan_answer_copies"]))
    return out


def plan_answers(locale: str) -> frozenset[str]:
    return frozenset(e.text for e in understanding_replies(locale))


def plan_answers_the_model_reads(locale: str) -> frozenset[str]:
    """The plan answers the model may read alone in the conversation: not those that are
    exactly an answer the bot offers (only the word rules count there)."""
    return frozenset(e.text for e in plan_answers_read_alone(locale))


def served(model: Model) -> CrisisModel:
    """The model as the product reads it: weights in thousandths, integer sums (its
    thresholds are chosen on these scores; unquantized ones can differ by a text at the
    boundary)."""
    qbias, table = quantize(*model)
    data = {
        "languages": ["en"],
        "classes": list(CLASSES),
        "thresholds": {"en": 0.5},
        "scale": SETTINGS["scale"],
        "bias": qbias,
        "weights": table,
        "negations": sorted(NEGATIONS),
        "negation_window": SETTINGS["negation_window"],
    }
    return models_from_data(data)["en"]


def plan_answer_floor(model: Model, locale: str) -> float:
    """The lowest threshold (in steps of 0.01) above the P(concern) of every plan answer the
    model may read alone, plus the margin: no plan answer alarms at it (stop 32: "i have a
    plan" to the birth control question, which held English at 0.85, is no longer among them;
    the dev rounds alone then choose)."""
    margin = float(str(SETTINGS["plan_answer_margin"]))
    texts = plan_answers_the_model_reads(locale)
    reader = served(model)
    top = max((reader.score(text)[1] for text in texts), default=0.0)
    return min(math.ceil((top + margin) * 100) / 100, 0.99)


def train(pairs: Sequence[tuple[str, str]]) -> Model:
    """Bias and weights per piece, trained by SGD on (text, label) pairs and their typo'd
    copies: one update per text, in a seeded shuffle's order. The weights live in one numpy
    array (a text's update is two vector operations, not a Python loop over its pieces); the
    six exponentials are math.exp's, so no vector-math path of the processor changes a bit."""
    rng = random.Random(int(str(SETTINGS["seed"])))
    epochs, rate0 = int(str(SETTINGS["epochs"])), float(str(SETTINGS["rate"]))
    decay, l2 = float(str(SETTINGS["decay"])), float(str(SETTINGS["l2"]))
    concern_weight = float(str(SETTINGS["concern_weight"]))
    # The pieces come from the texts as written: a typo'd copy teaches only pieces that real
    # texts have too (so the file stays small).
    counts: Counter[str] = Counter()
    for text, _ in pairs:
        counts.update(dict.fromkeys(_pieces(text), 1))
    rows = [(_pieces(text), CLASSES.index(label)) for text, label in with_typos(pairs, rng)]
    min_count = int(str(SETTINGS["min_count"]))
    vocab = [g for g in counts if counts[g] >= min_count]
    index = {g: i for i, g in enumerate(vocab)}
    data = []
    for pieces, y in rows:
        # A piece a text holds twice counts twice (its weights are added twice).
        ids, times = np.unique(
            np.fromiter((index[g] for g in pieces if g in index), dtype=np.int64),
            return_counts=True,
        )
        data.append((ids, times.astype(np.float64)[:, None], 1.0 / math.sqrt(len(pieces) or 1), y))
    weights = np.zeros((len(vocab), K))
    bias = [0.0] * K
    order = list(range(len(data)))
    for epoch in range(epochs):
        rng.shuffle(order)
        rate = rate0 / (1.0 + decay * epoch)
        for n in order:
            ids, times, scale, y = data[n]
            sums = (weights[ids] * times).sum(axis=0).tolist() if len(ids) else [0.0] * K
            z = [b + s * scale for b, s in zip(bias, sums, strict=True)]
            top = max(z)
            e = [math.exp(v - top) for v in z]
            total = sum(e)
            w = 1.0 if y == 0 else concern_weight
            g = [w * (v / total - (1.0 if c == y else 0.0)) for c, v in enumerate(e)]
            bias = [b - rate * gc for b, gc in zip(bias, g, strict=True)]
            if len(ids):
                weights[ids] -= times * np.array([rate * scale * gc for gc in g])
        weights *= 1.0 - l2
    return bias, dict(zip(vocab, map(tuple, weights.tolist()), strict=True))


def quantize(bias: list[float], weights: dict[str, Row]) -> tuple[list[int], dict[str, list[int]]]:
    """Integers in thousandths; a piece whose weights all round to zero is dropped."""
    scale = int(str(SETTINGS["scale"]))
    table = {}
    for gram in sorted(weights):
        row = [round(v * scale) for v in weights[gram]]
        if any(row):
            table[gram] = row
    return [round(b * scale) for b in bias], table


def probability(bias: list[float], weights: dict[str, Row], text: str) -> tuple[int, float]:
    """(most probable concern's class index, P(some concern)) with unquantized weights; a
    text of one word is not read (P = 0), as CrisisModel.score does."""
    if not long_enough(fold(text)):
        return 1, 0.0
    pieces = _pieces(text)
    hits = [weights[g] for g in pieces if g in weights]
    scale = 1.0 / math.sqrt(len(pieces) or 1)
    sums = [sum(c) for c in zip(*hits, strict=True)] if hits else [0.0] * K
    z = [b + s * scale for b, s in zip(bias, sums, strict=True)]
    top = max(z)
    e = [math.exp(v - top) for v in z]
    best = max(range(1, K), key=e.__getitem__)
    return best, 1.0 - e[0] / sum(e)


def _fold_rows(
    languages: dict[str, list[tuple[str, str]]], fold_no: int
) -> dict[str, list[tuple[str, int, float]]]:
    """Train without fold `fold_no`, then (label, predicted concern index, P(concern)) for
    each of its texts, by language."""
    bias, weights = train(all_pairs(languages, fold_no))
    return {
        locale: [
            (label, *probability(bias, weights, text))
            for text, label in pairs
            if _fold(text) == fold_no
        ]
        for locale, pairs in languages.items()
    }


def cross_validate(
    languages: dict[str, list[tuple[str, str]]], jobs: int = 1, final: bool = False
) -> tuple[dict[str, list[tuple[str, int, float]]], Model | None]:
    """Out-of-fold (label, predicted concern index, P(concern)) for every pair, by language,
    and (with `final`) the model trained on every pair. With jobs > 1 the trainings run in
    that many processes (the same figures and weights: each training is on its own)."""
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            whole = pool.submit(train, all_pairs(languages)) if final else None
            folds = list(pool.map(_fold_rows, [languages] * 5, range(5)))
            model = whole.result() if whole is not None else None
    else:
        folds = [_fold_rows(languages, fold_no) for fold_no in range(5)]
        model = train(all_pairs(languages)) if final else None
    oof = {locale: [row for rows in folds for row in rows[locale]] for locale in languages}
    return oof, model


def figures(oof: Sequence[tuple[str, int, float]], threshold: float) -> tuple[float, float]:
    """Recall (right concern) and false alarm rate at a threshold."""
    concerns = [(label, best, p) for label, best, p in oof if label != "ordinary"]
    ordinary = [p for label, _, p in oof if label == "ordinary"]
    found = sum(1 for label, best, p in concerns if p >= threshold and CLASSES[best] == label)
    alarms = sum(1 for p in ordinary if p >= threshold)
    return found / max(len(concerns), 1), alarms / max(len(ordinary), 1)


def dev_ordinary(locale: str) -> list[str]:
    """The dev rounds' ordinary texts in this language (tests/crisis_corpus.DEV_ROUND_DIRS)."""
    return [
        e.text
        for directory in DEV_ROUND_DIRS
        for e in load_corpus(locale, directory)
        if e.label == "ordinary"
    ]


def choose_threshold(scores: Sequence[float], key: str) -> float:
    """The lowest threshold (in steps of 0.01) at which at most SETTINGS[key] of the ordinary
    texts with these P(concern) alarm."""
    target = float(str(SETTINGS[key])) * len(scores)
    for step in range(5, 100):
        threshold = step / 100
        if sum(1 for p in scores if p >= threshold) <= target:
            return threshold
    return 0.99


def model_json(
    languages: dict[str, list[tuple[str, str]]],
    model: Model,
    thresholds: dict[str, float],
    loose: dict[str, float],
) -> str:
    qbias, table = quantize(*model)
    data = {
        "languages": list(languages),
        "classes": list(CLASSES),
        "thresholds": thresholds,
        "thresholds_loose": loose,
        "veto_below": SETTINGS["rules_veto_below"],
        "negations": sorted(NEGATIONS),
        "negation_window": SETTINGS["negation_window"],
        "scale": SETTINGS["scale"],
        "inputs_sha256": {locale: inputs_digest(locale, SETTINGS) for locale in languages},
        "own_inputs_sha256": {locale: own_inputs_digest(locale, SETTINGS) for locale in languages},
        "settings": SETTINGS,
        "bias": qbias,
        "weights": table,
    }
    return json.dumps(data, ensure_ascii=True, sort_keys=True, separators=(",", ":")) + "\n"


def main(argv: list[str]) -> int:
    jobs = next((int(a.split("=", 1)[1]) for a in argv if a.startswith("--jobs=")), 1)
    languages = by_language()
    oof, model = cross_validate(languages, jobs, final="--cv-only" not in argv)
    thresholds, loose = {}, {}
    for locale, pairs in languages.items():
        marks = {}
        if model is not None:
            reader = served(model)
            dev = [reader.score(text)[1] for text in dev_ordinary(locale)]
            chosen = choose_threshold(dev, "target_false_alarms")
            wider = choose_threshold(dev, "loose_false_alarms")
            floor = plan_answer_floor(model, locale)
            if floor > chosen or floor > wider:
                print(f"{locale}: threshold raised to {floor:.2f}: no plan answer alarms")
            thresholds[locale] = chosen = max(chosen, floor)
            loose[locale] = wider = max(wider, floor)
            marks = {wider: "  <- loose", chosen: "  <- chosen"}
            alarms = sum(1 for p in dev if p >= chosen)
            print(f"{locale}: dev rounds' ordinary texts: {alarms} of {len(dev)} alarm at {chosen}")
        print(f"{locale}: {len(pairs)} texts; 5-fold cross-validation:")
        for t in sorted({0.5, 0.7, 0.8, 0.9, 0.95, *marks}):
            recall, alarms_rate = figures(oof[locale], t)
            mark = marks.get(t, "")
            print(f"  threshold {t:.2f}: recall {recall:.3f}, false alarms {alarms_rate:.4f}{mark}")
    if "--cv-only" in argv:
        return 0
    assert model is not None
    text = model_json(languages, model, thresholds, loose)
    path = LOCALES_DIR / MODEL_FILE
    if "--check" in argv:
        same = path.is_file() and path.read_text("utf-8") == text
        print(f"  {path.relative_to(ROOT)}: {'same' if same else 'DIFFERS'}")
        return 0 if same else 1
    path.write_text(text, "utf-8")
    print(f"  wrote {path.relative_to(ROOT)} ({len(text.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
