"""What the learned crisis model (bot/engine/crisis_model.py) trains on, and a digest of it.

Labelled texts: tests/corpora/crisis/<lang>.yaml, the held-out rounds 1-3 (read already, so
they may train) and tests/corpora/crisis_model_extra/<lang>.yaml (written for the model).
Ordinary texts: the bulk set tests/corpora/crisis_ordinary/<lang>.yaml, every reply of the
understanding corpus (plan answers) and what parents send in the transcript tests (turns that
raise no crisis). Rounds 4 to 6 (tests/corpora/crisis_heldout4/ to crisis_heldout6/) are blind:
they are never read here.
The digest is recorded in each model file, so a test can tell whether the committed weights
were trained on today's inputs without training again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from tests.crisis_corpus import (
    CORPUS_DIR,
    HELD_OUT2_DIR,
    HELD_OUT3_DIR,
    HELD_OUT_DIR,
    load_corpus,
    understanding_replies,
)

TESTS = Path(__file__).resolve().parent
ORDINARY_DIR = TESTS / "corpora" / "crisis_ordinary"
# Labelled texts written for the model only (not read by the rules' bench or tests).
EXTRA_DIR = TESTS / "corpora" / "crisis_model_extra"
TRANSCRIPTS_DIR = TESTS / "transcripts"
LABELLED_DIRS = (CORPUS_DIR, HELD_OUT_DIR, HELD_OUT2_DIR, HELD_OUT3_DIR, EXTRA_DIR)


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


def training_examples(locale: str) -> list[tuple[str, str]]:
    """(text, label) pairs, each text once (the first label it is given wins)."""
    pairs: list[tuple[str, str]] = []
    for directory in LABELLED_DIRS:
        pairs += [(e.text, e.label) for e in load_corpus(locale, directory)]
    bulk = yaml.load((ORDINARY_DIR / f"{locale}.yaml").read_text("utf-8"), Loader=yaml.BaseLoader)  # noqa: S506
    pairs += [(str(text), "ordinary") for text in bulk["ordinary"]]
    pairs += [(e.text, "ordinary") for e in understanding_replies(locale)]
    pairs += [(text, "ordinary") for text in transcript_sends()]
    first: dict[str, str] = {}
    for text, label in pairs:
        first.setdefault(text, label)
    return list(first.items())


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
        for directory in (EXTRA_DIR, ORDINARY_DIR)
        for e in load_corpus(locale, directory)
    ]
    return _digest([own, settings])
