"""What the learned crisis model (bot/engine/crisis_model.py) trains on, and a digest of it.

Labelled texts: tests/corpora/crisis/<lang>.yaml, the held-out rounds 1-3 (read already, so
they may train) and tests/corpora/crisis_model_extra{,2,...,87}/<lang>.yaml (written for the
model; a set may hold some languages only).
Ordinary texts: the bulk set tests/corpora/crisis_ordinary/<lang>.yaml, every reply of the
understanding corpus (plan answers) and what parents send in the transcript tests (turns that
raise no crisis). Rounds 4 to 12 (tests/corpora/crisis_heldout4/ to crisis_heldout12/) are
never trained on, and the leak guard below drops any training text close to one of theirs.
The digest is recorded in each model file, so a test can tell whether the committed weights
were trained on today's inputs without training again.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process, utils

from tests.crisis_corpus import (
    BLIND_ROUND_DIRS,
    CORPUS_DIR,
    HELD_OUT2_DIR,
    HELD_OUT3_DIR,
    HELD_OUT_DIR,
    Example,
    load_corpus,
    understanding_replies,
)

TESTS = Path(__file__).resolve().parent
ORDINARY_DIR = TESTS / "corpora" / "crisis_ordinary"
# Labelled texts written for the model only (not read by the rules' bench or tests): a first
# set, then ~1,600 a language for diversity (extra2) and contrast twins (extra3), 2026-12-05/06,
# and ~800 a language in under-represented voices (extra4: euphemism, rambling and multi-line
# texts, regional slang, relatives texting, coercion, relapse told through circumstances).
EXTRA_DIR = TESTS / "corpora" / "crisis_model_extra"
EXTRA2_DIR = TESTS / "corpora" / "crisis_model_extra2"
EXTRA3_DIR = TESTS / "corpora" / "crisis_model_extra3"
EXTRA4_DIR = TESTS / "corpora" / "crisis_model_extra4"
# Three focused authors, 2026-12-06: suicide and relapse (extra5), baby and violence (extra6),
# emergency and hard ordinary texts (extra7).
EXTRA5_DIR = TESTS / "corpora" / "crisis_model_extra5"
EXTRA6_DIR = TESTS / "corpora" / "crisis_model_extra6"
EXTRA7_DIR = TESTS / "corpora" / "crisis_model_extra7"
# Then plain short statements (extra8: relapse and suicide), the parent's own acts and control
# (extra9: baby and violence), and crises inside long, mixed texts (extra10), 2026-12-06.
EXTRA8_DIR = TESTS / "corpora" / "crisis_model_extra8"
EXTRA9_DIR = TESTS / "corpora" / "crisis_model_extra9"
EXTRA10_DIR = TESTS / "corpora" / "crisis_model_extra10"
# Five focused authors, 2026-12-06 (stop 29): baby from every side (extra11), emergency and
# violence (extra12), suicide and relapse (extra13), new voices and shapes (extra14: very short,
# caps, emoji, voice-to-text, code-switching, relatives typing), indirect and hedged (extra15).
EXTRA11_DIR = TESTS / "corpora" / "crisis_model_extra11"
EXTRA12_DIR = TESTS / "corpora" / "crisis_model_extra12"
EXTRA13_DIR = TESTS / "corpora" / "crisis_model_extra13"
EXTRA14_DIR = TESTS / "corpora" / "crisis_model_extra14"
EXTRA15_DIR = TESTS / "corpora" / "crisis_model_extra15"
# And five more (stop 29), each language written first from its own situations: relapse told
# every way (extra16), suicide in new voices (extra17), hard ordinary texts only (extra18), baby
# and violence in new voices (extra19), on-scene emergencies and crises in long texts (extra20).
EXTRA16_DIR = TESTS / "corpora" / "crisis_model_extra16"
EXTRA17_DIR = TESTS / "corpora" / "crisis_model_extra17"
EXTRA18_DIR = TESTS / "corpora" / "crisis_model_extra18"
EXTRA19_DIR = TESTS / "corpora" / "crisis_model_extra19"
EXTRA20_DIR = TESTS / "corpora" / "crisis_model_extra20"
# Stop 30, wave 1 (eight authors, all three languages): relapse told indirectly (extra21) and in
# each culture's own words (extra22), suicide hedged (extra23), baby harm (extra24), violence and
# control told obliquely (extra25), emergencies and crises inside long texts (extra26), hard
# ordinary texts only (extra27), new voices and shapes (extra28). Wave 2, one language per file
# so that none is a translation: relapse and suicide (extra29 pt_BR, extra31 es, extra33 en),
# baby, violence and emergency (extra30 pt_BR, extra32 es, extra34 en), understated crises and
# their mild twins (extra35, three languages), long and messy texts (extra36-38 pt_BR/es/en).
# Wave 3, one language each: relapse (extra39 en, extra40 es, extra41 pt_BR), baby (extra42
# pt_BR), suicide (extra43 es), hard ordinary texts only (extra44 en, extra45 es, extra46 pt_BR).
EXTRA_WAVES_30 = tuple(TESTS / "corpora" / f"crisis_model_extra{n}" for n in range(21, 47))
# Stop 31, one language per file: baby and relapse (extra47 en, extra48 es, extra49 pt_BR), hard
# ordinary texts with many plan answers in crisis words (extra50 en, extra51 es, extra52 pt_BR),
# regional voices in every concern (extra53 es, extra54 pt_BR). Then baby in new voices (extra55
# en, extra57 es), relapse in new voices (extra56 en, extra58 es), both (extra62 pt_BR), and the
# ordinary texts word lists flag (questions, others' crises, the parent's past, negations, a baby
# who "hits", look-alike words) with their crisis twins (extra59 en, extra60 pt_BR, extra61 es).
# Then the weakest concerns on blind round 10: baby (extra63 en, extra64 es), relapse (extra65 es,
# extra66 pt_BR), both in short and mixed texts (extra68 en), and everyday Spanish (extra67).
EXTRA_WAVE_31 = tuple(TESTS / "corpora" / f"crisis_model_extra{n}" for n in range(47, 69))
# Stop 32, one language per file: baby and relapse (extra69 en), relapse and suicide (extra70 es),
# relapse, emergency and suicide (extra71 pt_BR), and crises told with a shrug beside ordinary
# texts that sound dramatic (extra72 en, extra73 es, extra74 pt_BR). Then baby, the weakest
# concern on rounds 10-11 in Spanish and Portuguese (extra75 es, extra76 pt_BR).
EXTRA_WAVE_32 = tuple(TESTS / "corpora" / f"crisis_model_extra{n}" for n in range(69, 77))
# Stop 33, one language per file, the weakest concerns on rounds 10-11: baby (extra77 pt_BR,
# extra82 es), suicide and self-harm (extra78 pt_BR), emergency (extra79 es, extra81 en),
# violence (extra80 en), each with hard ordinary twins; audited. Kept out of training in stop 33
# (the linear model drew no better curve with them, and the dev rounds' 1 % rule then chose
# higher thresholds); trained on since stop 34, by the hidden-layer model, which gains from them.
EXTRA_WAVE_33 = tuple(TESTS / "corpora" / f"crisis_model_extra{n}" for n in range(77, 83))
# Stop 34, one language per file, the weakest concerns of the hidden-layer model on rounds 8-11
# (by-concern totals only): relapse (extra83 en, extra84 es), suicide and self-harm (extra85 es),
# baby (extra86 pt_BR), violence and emergency (extra87 pt_BR), each with hard ordinary twins.
# Texts that fold to another corpus's text were dropped (counts only printed), then read-only
# audits dropped or moved 96.
EXTRA_WAVE_34 = tuple(TESTS / "corpora" / f"crisis_model_extra{n}" for n in range(83, 88))
# Then, the same way (audits: 77 dropped or moved): baby (extra88 en), baby and emergency
# (extra89 es), baby and relapse (extra90 pt_BR), hard ordinary texts only (extra91 en), suicide
# and relapse in new voices (extra92 es). NOT YET TRAINED ON: retrained with them, the blind
# curve at equal false alarms moved -0.2 (en), +0.5 (es), -0.3 (pt_BR) points, and the dev
# rounds' 1 % rule chose 0.79 / 0.86 / 0.92 (now 0.72 / 0.83 / 0.82), so recall over rounds 8-11
# fell 1.5 and 1.8 points in English and Portuguese for 16 and 7 fewer false alarms
# (bench/README, stop 34). They wait for a steadier threshold rule; the nets' trainer does not
# read them. The encoder's fine-tune does, since stop 40 (encoder_training_examples).
NOT_YET_TRAINED = tuple(TESTS / "corpora" / f"crisis_model_extra{n}" for n in range(88, 93))
# Stop 40, one language per file, hard ordinary texts of the kinds the rules and the model both
# flagged on the dev sets (a toddler's headbutt, violent idioms of others, a blue onesie, relapse
# planning, others' relapse, a resolved past), ~300 each with 150 crisis twins; audited; texts
# near a dev, blind or training text dropped. Neither model reads them. Stop 41 tuned the
# encoder with them too (encoder_training_examples + NEXT_TUNE, as stop 40 otherwise): on probe
# 39 (written after them, chose nothing) and the blind totals it tied the served file (crises
# -2, false alarms -4 over the three languages), and the rules' false alarms it was meant to
# overrule stood, because the veto reads the nets (bench/README, stop 41); not adopted.
NEXT_TUNE = tuple(TESTS / "corpora" / f"crisis_model_extra{n}" for n in range(93, 96))
# Stop 44, one language per file: answers to screening questions that say no, offers refused,
# everyday logistics and hard ordinary texts (271-297 each after the near-duplicate drop), with
# crisis twins (30 per concern as written, 125-134 left: the same topics answered yes, or
# happening now); one writer per language, who opened no corpus. The nets retrained with them
# (and extra93-95) traded about one crisis for one false alarm on probe 39 and the blind
# totals, as extra93-95 alone did: not adopted (bench/README, stop 44). Neither model reads them.
REFUSALS_NOT_YET_TRAINED = tuple(
    TESTS / "corpora" / f"crisis_model_extra{n}" for n in range(96, 99)
)
EXTRA_DIRS = (
    EXTRA_DIR,
    EXTRA2_DIR,
    EXTRA3_DIR,
    EXTRA4_DIR,
    EXTRA5_DIR,
    EXTRA6_DIR,
    EXTRA7_DIR,
    EXTRA8_DIR,
    EXTRA9_DIR,
    EXTRA10_DIR,
    EXTRA11_DIR,
    EXTRA12_DIR,
    EXTRA13_DIR,
    EXTRA14_DIR,
    EXTRA15_DIR,
    EXTRA16_DIR,
    EXTRA17_DIR,
    EXTRA18_DIR,
    EXTRA19_DIR,
    EXTRA20_DIR,
    *EXTRA_WAVES_30,
    *EXTRA_WAVE_31,
    *EXTRA_WAVE_32,
    *EXTRA_WAVE_33,
    *EXTRA_WAVE_34,
)
TRANSCRIPTS_DIR = TESTS / "transcripts"
LABELLED_DIRS = (CORPUS_DIR, HELD_OUT_DIR, HELD_OUT2_DIR, HELD_OUT3_DIR, *EXTRA_DIRS)
# The blind rounds the model's figures are measured on (tests/crisis_corpus.BLIND_ROUND_DIRS).
BLIND_DIRS = BLIND_ROUND_DIRS
# Leak guard: a training text within this rapidfuzz ratio (0-100, on lower-cased alphanumeric
# words) of any blind round's text is dropped. This only protects the blind measure: a text
# written for training that happens to (nearly) repeat a blind one would make the blind figure
# read like a training figure. It is computed in memory and never prints or logs blind texts.
LEAK_RATIO = 90


def transcript_sends() -> list[str]:
    """Every text a parent sends in the transcript tests, except turns that raise a crisis."""
    texts: list[str] = []
    for path in sorted(TRANSCRIPTS_DIR.rglob("*.yaml")):
        data = yaml.load(path.read_text("utf-8"), Loader=yaml.BaseLoader)  # noqa: S506
        for turn in data.get("turns", []):
            if not isinstance(turn, dict) or "send" not in turn:
                continue
            events = json.dumps([turn.get("events", []), turn.get("expect_events", [])])
            if "Crisis" not in events:
                texts.append(str(turn["send"]))
    return texts


@cache
def _blind_texts(locale: str) -> tuple[str, ...]:
    texts: list[str] = []
    for directory in BLIND_DIRS:
        if (directory / f"{locale}.yaml").is_file():
            texts += [utils.default_process(e.text) for e in load_corpus(locale, directory)]
    return tuple(t for t in texts if t)


def _labelled(locale: str, directory: Path) -> list[Example]:
    """A directory's texts in one language; a set written in some languages only (one writer
    per language, so that none is a translation) has no file for the others."""
    if not (directory / f"{locale}.yaml").is_file():
        return []
    return load_corpus(locale, directory)


def near_blind(locale: str, text: str) -> bool:
    """Whether a text is within LEAK_RATIO of some blind round's text (the leak guard)."""
    folded = utils.default_process(text)
    return bool(folded) and (
        process.extractOne(folded, _blind_texts(locale), scorer=fuzz.ratio, score_cutoff=LEAK_RATIO)
        is not None
    )


def training_examples(locale: str) -> list[tuple[str, str]]:
    """(text, label) pairs, each text once (the first label it is given wins), none near a
    blind round's text (the leak guard)."""
    pairs: list[tuple[str, str]] = []
    for directory in LABELLED_DIRS:
        pairs += [(e.text, e.label) for e in _labelled(locale, directory)]
    bulk = yaml.load((ORDINARY_DIR / f"{locale}.yaml").read_text("utf-8"), Loader=yaml.BaseLoader)  # noqa: S506
    pairs += [(str(text), "ordinary") for text in bulk["ordinary"]]
    pairs += [(e.text, "ordinary") for e in understanding_replies(locale)]
    pairs += [(text, "ordinary") for text in transcript_sends()]
    first: dict[str, str] = {}
    for text, label in pairs:
        first.setdefault(text, label)
    return [(text, label) for text, label in first.items() if not near_blind(locale, text)]


def encoder_training_examples(locale: str) -> list[tuple[str, str]]:
    """The encoder's fine-tune pairs (bench/crisis_encoder/dump.py): the nets' pairs, then the
    sets the nets do not read yet (NOT_YET_TRAINED), each text once, none near a blind text."""
    pairs = training_examples(locale)
    seen = {text for text, _ in pairs}
    for directory in NOT_YET_TRAINED:
        for example in _labelled(locale, directory):
            if example.text not in seen and not near_blind(locale, example.text):
                seen.add(example.text)
                pairs.append((example.text, example.label))
    return pairs


def chatter(locale: str) -> list[str]:
    """Everyday texts of the bulk ordinary set short enough to stand beside another text: the
    trainer glues one before or after a labelled text, so a crisis said amid chatter still
    reads as one and chatter alone does not."""
    bulk = yaml.load((ORDINARY_DIR / f"{locale}.yaml").read_text("utf-8"), Loader=yaml.BaseLoader)  # noqa: S506
    return [str(text) for text in bulk["ordinary"] if len(str(text)) < 120]


def _digest(value: object) -> str:
    blob = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def inputs_digest(locale: str, settings: dict[str, object]) -> str:
    """sha256 of all the training pairs and the training settings."""
    return _digest([training_examples(locale), settings])


def own_inputs_digest(locale: str, settings: dict[str, object]) -> str:
    """sha256 of what only the model reads (its extra labelled and bulk ordinary texts) and
    its settings. The shared labelled set grows with every miss another change collects; a
    test holds only this part, so such a change stays green and the model is retrained after."""
    own = [
        (e.text, e.label)
        for directory in (*EXTRA_DIRS, ORDINARY_DIR)
        for e in _labelled(locale, directory)
    ]
    return _digest([own, settings])
