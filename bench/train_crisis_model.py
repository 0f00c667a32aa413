"""Train the learned crisis second opinion (bot/engine/crisis_model.py): one model for all three
languages, one file (locales/crisis_model.json) with a threshold per language.

Since stop 34: three nets (SETTINGS "nets"), each the model's pieces of a text (character
2-5-grams of the folded text, words, word pairs, negated words) summed over 1/sqrt(pieces) into
32 hidden units, ReLU, dropout while training, six classes (ordinary + the five concerns);
trained with Adam on mini-batches, cross-entropy; the product averages the nets'
probabilities. Deterministic: floats are IEEE doubles, every sum runs in a fixed order without
BLAS, the exponentials are math.exp's, each net's start, order and dropout come from its own
seeded generator, so the same inputs give the same file byte for byte on any machine with the
pinned numpy (--check). Until stop 33 the model was linear (multinomial logistic regression by
plain SGD, 40 epochs), which had stopped gaining from more texts.
Inputs: tests/crisis_model_inputs.py, every language's (labelled texts, held-out rounds 1-3,
texts written for the model, many ordinary texts), with its leak guard against the blind
rounds 4-12, which are never trained on.
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
The model alone on the dev rounds is printed at those thresholds. (Until stop 33 5-fold
cross-validation of the inputs was printed; until stop 31 it chose the thresholds, but the
inputs' ordinary texts are mostly hard twins written to sit near the line, and a step of 0.01
in its threshold moved blind recall by 2-4 points. Three nets five times over would take half
an hour, so it went.)

Run: .venv/bin/python bench/train_crisis_model.py [--check] [--jobs=N]
(--jobs=N trains the nets in N processes; the file is the same.)
(--check trains again and fails unless the committed file comes out byte for byte.)
"""

from __future__ import annotations

import base64
import json
import math
import random
import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import cast

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine.crisis import CRISIS_FILE  # noqa: E402
from bot.engine.crisis_lexicon import load_lexicon  # noqa: E402
from bot.engine.crisis_model import (  # noqa: E402
    CLASSES,
    LEVELS,
    MODEL_FILE,
    OFFSET,
    CrisisModel,
    features,
    fold,
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
    # Net n trains from seed + n. Stop 34: a hidden layer replaced the linear model (multinomial
    # logistic regression by SGD, 40 epochs, stops 27-33), which had plateaued: more data moved
    # its blind curve about a point either way. Measured before adopting (one training each, the
    # inputs with extra77-82, rules or model, thresholds by the dev rounds' 1 % rule, blind rounds
    # 8-11 together, totals only; bench/README, stop 34): three nets of 32 units averaged, 4 bits
    # a unit, en 0.932 / 36, es 0.928 / 21, pt_BR 0.933 / 28 (recall / false alarms) against
    # the linear model's 0.919 / 38, 0.911 / 35, 0.918 / 33; one net alone reads up to a point
    # lower and moves more with its seed; nets of 16 units 0.3-1.2 points lower.
    "seed": 14,
    "nets": 3,
    "width": 32,
    "epochs": 5,  # dev recall still rose at 5 with torch (stop 33); 5 kept
    "rate": 0.003,  # Adam's step (betas 0.9 / 0.999, eps 1e-8)
    "batch": 256,
    "dropout": 0.2,  # of the hidden units, while training
    "init": 0.1,  # the piece table starts normal(0, init); the output uniform(+-1/sqrt(width))
    # The file stores each piece's units in four bits (-7..7), a unit's step its 99.5th
    # percentile absolute value / 7 (the rest clipped). Stop 34, three 32-wide nets, blind rounds
    # 8-11: the same recall within 0.3 points and 86 -> 85 false alarms against full floats;
    # scaled by the largest value instead, 0.3-0.7 points lower.
    "quantile": 99.5,
    # A piece must appear in this many texts to get weights: 3 until stop 31; 4 with extra47-62
    # (~27,000 texts a language): the file 6.55 -> 5.60 MB, dev rounds (4-7) the same within a
    # text or two (rules or model at target 1.5 %: en 0.946 -> 0.941, es and pt_BR equal).
    "min_count": 4,
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
    # A crisis the word rules find (not an emergency: its reply is the most urgent) is named as
    # the model's other crisis when the model gives that crisis alone at least this probability
    # (stop 35; stored as "rename_above"). The rules answer the first concern their phrases
    # meet, in a fixed order; the model weighs the whole text. Of the dev rounds' (4-7) texts
    # renamed at 0.7, the model's crisis was the label on 10, the rules' on 5; chosen there among
    # 0.4-0.95 (flat: dev recall within 0.4 points). Blind rounds 8-11 (totals only), rules or
    # model: recall +0.6 / +0.7 / +0.9 points (en / es / pt_BR); fresh round 12: +0.5 / +0.5 /
    # -0.5. False alarms unchanged (a rename never adds or removes an alarm). 0: never.
    "rules_rename_above": 0.7,
    # Words this many after a negation are also read as negated pieces ("~hurt"): the negation
    # words are every language's (locales/<lang>/crisis.yaml `negations`, and the spellings that
    # stand for one: "dont" -> "do not"), stored in the file as "negations". Stop 33, one
    # training on stop 32's inputs, blind rounds 8-11 (totals only) at each fixed threshold
    # 0.74-0.86: recall +0.0 to +0.5 points and 0-3 fewer false alarms in every language; 3
    # reads the same as 4. 0: no negation pieces.
    "negation_window": 4,
}
K = len(CLASSES)
# One net: the piece table (pieces x width), the hidden units' bias, the output weights
# (width x classes) and the output bias.
Net = tuple[NDArray, NDArray, NDArray, NDArray]
# The pieces (sorted, one per row of each net's table) and the nets.
Model = tuple[list[str], list[Net]]
# A training text: its piece ids, each id's weight, its class index.
Example = tuple[NDArray, NDArray, int]


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


def all_pairs(languages: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """Every language's pairs and their chatter copies."""
    out: list[tuple[str, str]] = []
    for n, (locale, pairs) in enumerate(languages.items()):
        out += with_chatter(pairs, chatter(locale), random.Random(n * 10))
        plan = plan_answers(locale)
        out += [p for p in pairs if p[0] in plan] * int(str(SETTINGS["plan_answer_copies"]))
    return out


def plan_answers(locale: str) -> frozenset[str]:
    return frozenset(e.text for e in understanding_replies(locale))


def plan_answers_the_model_reads(locale: str) -> frozenset[str]:
    """The plan answers the model may read alone in the conversation: not those that are
    exactly an answer the bot offers (only the word rules count there)."""
    return frozenset(e.text for e in plan_answers_read_alone(locale))


def served(model: Model) -> CrisisModel:
    """The model as the product reads it (integer steps, rounded floats, integer sums): its
    thresholds are chosen on these scores, which can differ from the trained floats' by a
    text at the boundary."""
    data = {
        "languages": ["en"],
        "classes": list(CLASSES),
        "thresholds": {"en": 0.5},
        "negations": sorted(NEGATIONS),
        "negation_window": SETTINGS["negation_window"],
        **layer_data(model),
    }
    return models_from_data(data)["en"]


def plan_answer_floor(reader: CrisisModel, locale: str) -> float:
    """The lowest threshold (in steps of 0.01) above the P(concern) of every plan answer the
    model may read alone, plus the margin: no plan answer alarms at it (stop 32: "i have a
    plan" to the birth control question, which held English at 0.85, is no longer among them;
    the dev rounds alone then choose). `reader`: the model as served (`served`)."""
    margin = float(str(SETTINGS["plan_answer_margin"]))
    texts = plan_answers_the_model_reads(locale)
    top = max((reader.score(text)[1] for text in texts), default=0.0)
    return min(math.ceil((top + margin) * 100) / 100, 0.99)


def _table(pairs: Sequence[tuple[str, str]]) -> tuple[list[str], list[Example]]:
    """The pieces kept (in min_count texts or more, sorted) and each text as (piece ids, each
    id's weight: how often the text holds it over sqrt(its pieces), class index); a text with
    no kept piece teaches nothing and is left out. Typo'd copies teach only pieces that real
    texts have too (so the file stays small)."""
    counts: Counter[str] = Counter()
    for text, _ in pairs:
        counts.update(dict.fromkeys(_pieces(text), 1))
    rng = random.Random(int(str(SETTINGS["seed"])))
    min_count = int(str(SETTINGS["min_count"]))
    vocab = sorted(g for g in counts if counts[g] >= min_count)
    index = {g: i for i, g in enumerate(vocab)}
    rows = []
    for text, label in with_typos(pairs, rng):
        pieces = _pieces(text)
        ids, times = np.unique(
            np.fromiter((index[g] for g in pieces if g in index), dtype=np.int64),
            return_counts=True,
        )
        if len(ids):
            rows.append((ids, times / math.sqrt(len(pieces)), CLASSES.index(label)))
    return vocab, rows


def _exp(z: NDArray) -> NDArray:
    """math.exp of each value: no vector-math path of the processor changes a bit."""
    return np.array([math.exp(v) for v in z.ravel().tolist()]).reshape(z.shape)


def train_net(vocab: Sequence[str], rows: Sequence[Example], seed: int) -> Net:
    """One net (pieces -> width hidden units -> ReLU -> dropout -> six classes), trained with
    Adam on mini-batches of the rows in a seeded order, cross-entropy averaged over a batch.
    Deterministic: the seeded generator (PCG64) draws the start, order and dropout; sums run
    in a fixed order without BLAS (elementwise products, np.add.reduceat and np.add.at); the
    exponentials are math.exp's."""
    width, epochs = int(str(SETTINGS["width"])), int(str(SETTINGS["epochs"]))
    rate, batch = float(str(SETTINGS["rate"])), int(str(SETTINGS["batch"]))
    drop, init = float(str(SETTINGS["dropout"])), float(str(SETTINGS["init"]))
    rng = np.random.Generator(np.random.PCG64(seed))
    embed = rng.standard_normal((len(vocab), width)) * init
    bias = np.zeros(width)
    out = (rng.random((width, K)) * 2 - 1) / math.sqrt(width)
    out_bias = np.zeros(K)
    params = (embed, bias, out, out_bias)
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(rows))
        for start in range(0, len(rows), batch):
            chosen = [rows[i] for i in order[start : start + batch]]
            size = len(chosen)
            ids = np.concatenate([r[0] for r in chosen])
            weight = np.concatenate([r[1] for r in chosen])
            lengths = np.array([len(r[0]) for r in chosen])
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            labels = np.array([r[2] for r in chosen])
            hidden = np.add.reduceat(embed[ids] * weight[:, None], starts, axis=0) + bias
            alive = hidden > 0
            mask = (rng.random((size, width)) >= drop) / (1 - drop)
            units = np.where(alive, hidden, 0.0) * mask
            z = (units[:, :, None] * out[None]).sum(axis=1) + out_bias
            e = _exp(z - z.max(axis=1, keepdims=True))
            grad = e / e.sum(axis=1, keepdims=True)
            grad[np.arange(size), labels] -= 1.0
            grad /= size
            g_units = (grad[:, None, :] * out[None]).sum(axis=2) * mask * alive
            grads = [
                None,
                g_units.sum(axis=0),
                (units[:, :, None] * grad[:, None, :]).sum(axis=0),
                grad.sum(axis=0),
            ]
            seen, where = np.unique(ids, return_inverse=True)
            g_embed = np.zeros((len(seen), width))
            of_text = np.repeat(np.arange(size), lengths)
            np.add.at(g_embed, where, g_units[of_text] * weight[:, None])
            step += 1
            lr = rate / (1 - beta1**step)
            correction = 1 - beta2**step
            for n, param in enumerate(params):
                m, v = first[n], second[n]
                m *= beta1
                v *= beta2
                if n == 0:  # the piece table: only the rows this batch holds have a gradient
                    m[seen] += (1 - beta1) * g_embed
                    v[seen] += (1 - beta2) * g_embed * g_embed
                else:
                    g = grads[n]
                    m += (1 - beta1) * g
                    v += (1 - beta2) * g * g
                param -= lr * m / (np.sqrt(v / correction) + eps)
    return embed, bias, out, out_bias


def _train_one(pairs: Sequence[tuple[str, str]], seed: int) -> tuple[list[str], Net]:
    vocab, rows = _table(pairs)
    return vocab, train_net(vocab, rows, seed)


def train(pairs: Sequence[tuple[str, str]], jobs: int = 1) -> Model:
    """The pieces and `nets` nets, each from its own seed (seed, seed + 1, ...); with jobs > 1
    the nets train in that many processes (the same weights: each training is on its own)."""
    seed, nets = int(str(SETTINGS["seed"])), int(str(SETTINGS["nets"]))
    seeds = range(seed, seed + nets)
    if jobs > 1:  # each process builds the table itself (cheaper than sending it over)
        with ProcessPoolExecutor(jobs) as pool:
            trained = list(pool.map(_train_one, [pairs] * nets, seeds))
        return trained[0][0], [net for _, net in trained]
    vocab, rows = _table(pairs)
    return vocab, [train_net(vocab, rows, s) for s in seeds]


def layer_data(model: Model) -> dict[str, object]:
    """The model file's weight fields (crisis_model.layer_from_data): each unit's values as
    integers -LEVELS..LEVELS in steps of its `quantile` absolute value / LEVELS (the few above
    it are clipped), four bits each; the other weights rounded to 6 decimals."""
    vocab, nets = model
    embed = np.concatenate([net[0] for net in nets], axis=1)
    steps = np.percentile(np.abs(embed), float(str(SETTINGS["quantile"])), axis=0) / LEVELS
    steps = np.round(np.where(steps > 0, steps, 1.0), 9)
    values = np.clip(np.round(embed / steps), -LEVELS, LEVELS).astype(np.int64)
    kept = np.flatnonzero(np.abs(values).sum(axis=1))
    stored = (values[kept] + OFFSET).astype(np.uint8)
    blob = (stored[:, 0::2] | (stored[:, 1::2] << 4)).tobytes()

    def rounded(a: NDArray) -> list[object]:
        return cast(list[object], np.round(a, 6).tolist())

    return {
        "pieces": [vocab[i] for i in kept],
        "rows": base64.b64encode(blob).decode("ascii"),
        "steps": steps.tolist(),
        "bias": rounded(np.concatenate([net[1] for net in nets])),
        "out": [rounded(net[2].T) for net in nets],
        "out_bias": [rounded(net[3]) for net in nets],
    }


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
    data = {
        "languages": list(languages),
        "classes": list(CLASSES),
        "thresholds": thresholds,
        "thresholds_loose": loose,
        "veto_below": SETTINGS["rules_veto_below"],
        "rename_above": SETTINGS["rules_rename_above"],
        "negations": sorted(NEGATIONS),
        "negation_window": SETTINGS["negation_window"],
        "inputs_sha256": {locale: inputs_digest(locale, SETTINGS) for locale in languages},
        "own_inputs_sha256": {locale: own_inputs_digest(locale, SETTINGS) for locale in languages},
        "settings": SETTINGS,
        **layer_data(model),
    }
    return json.dumps(data, ensure_ascii=True, sort_keys=True, separators=(",", ":")) + "\n"


def dev_figures(reader: CrisisModel, locale: str, threshold: float) -> tuple[float, int, int]:
    """The model alone on the dev rounds at a threshold: recall (right concern), false
    alarms and ordinary texts."""
    examples = [e for d in DEV_ROUND_DIRS for e in load_corpus(locale, d)]
    concerns = [e for e in examples if e.label != "ordinary"]
    found = sum(1 for e in concerns if reader.find(e.text, threshold) == e.label)
    ordinary = [e for e in examples if e.label == "ordinary"]
    alarms = sum(1 for e in ordinary if reader.find(e.text, threshold) is not None)
    return found / max(len(concerns), 1), alarms, len(ordinary)


def main(argv: list[str]) -> int:
    jobs = next((int(a.split("=", 1)[1]) for a in argv if a.startswith("--jobs=")), 1)
    languages = by_language()
    model = train(all_pairs(languages), jobs)
    reader = served(model)
    thresholds, loose = {}, {}
    for locale, pairs in languages.items():
        dev = [reader.score(text)[1] for text in dev_ordinary(locale)]
        chosen = choose_threshold(dev, "target_false_alarms")
        wider = choose_threshold(dev, "loose_false_alarms")
        floor = plan_answer_floor(reader, locale)
        if floor > chosen or floor > wider:
            print(f"{locale}: threshold raised to {floor:.2f}: no plan answer alarms")
        thresholds[locale] = chosen = max(chosen, floor)
        loose[locale] = wider = max(wider, floor)
        marks = {wider: "  <- loose", chosen: "  <- chosen"}
        print(f"{locale}: {len(pairs)} texts; the model alone on the dev rounds (4-7):")
        for t in sorted({0.5, 0.7, 0.8, 0.9, 0.95, *marks}):
            recall, alarms, ordinary = dev_figures(reader, locale, t)
            print(
                f"  threshold {t:.2f}: recall {recall:.3f}, false alarms {alarms}/{ordinary}"
                f"{marks.get(t, '')}"
            )
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
