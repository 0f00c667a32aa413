"""Score the engine's reading of the labelled reply corpora in tests/corpora/understanding.

A case is a question (flow.step, or "command"), a reply, and what the bot must take from it.
It is read as the engine reads a text: an exact command first, then the answer, then a skip or
a loose command. One case in five (by a hash of question and reply) is held out: it was not
looked at while the parsers were tuned, so its rate shows how well they carry over.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.engine.keywords import REMINDER_REPLIES, fold
from bot.engine.machine import Engine
from bot.engine.understand import read_answer

CORPORA = Path(__file__).resolve().parent.parent / "tests" / "corpora" / "understanding"
LANGUAGES = ("en", "es", "pt_BR")
SKIP = "SKIP"
UNCLEAR = "?"


@dataclass(frozen=True, slots=True)
class Case:
    question: str
    text: str
    expect: Any

    @property
    def held_out(self) -> bool:
        return zlib.crc32(f"{self.question}|{self.text}".encode()) % 5 == 0


@dataclass(frozen=True, slots=True)
class Outcome:
    case: Case
    got: Any

    @property
    def right(self) -> bool:
        expect, got = self.case.expect, self.got
        if isinstance(expect, list) and isinstance(got, list):
            return sorted(expect) == sorted(got)
        return bool(expect == got)


def load(lang: str) -> tuple[date, list[Case]]:
    raw = yaml.safe_load((CORPORA / f"{lang}.yaml").read_text(encoding="utf-8"))
    cases = [
        Case(question, str(text), expect)
        for question, pairs in raw["cases"].items()
        for text, expect in pairs
    ]
    return date.fromisoformat(raw["today"]), cases


def read(engine: Engine, lang: str, today: date, case: Case) -> Any:
    """What the bot takes from the reply, in the corpus's terms."""
    folded = fold(case.text[:500])
    match = engine.keywords.command(folded)
    if match is not None and match.command != "start" and match.command not in REMINDER_REPLIES:
        if match.command == "skip" and case.question != "command":
            return SKIP
        return {"command": match.command}
    if case.question == "command":
        near = engine.keywords.near_command(folded, typos=True)
        return {"command": near} if near else UNCLEAR
    flow_id, step_id = case.question.split(".")
    step = engine.flows[flow_id].step(step_id)
    voice_labels = [engine.translator.gettext(lang, label) for label in step.label_ids]
    reading = read_answer(
        step,
        case.text,
        lang=lang,
        today=today,
        labels=voice_labels,
        zip_lookup=engine.zip_lookup,
        keywords=engine.keywords,
    )
    if reading.skip or reading.command == "skip":
        return SKIP
    if reading.command is not None:
        return {"command": reading.command}
    if reading.failure is not None:
        return UNCLEAR
    return reading.value


def read_alone(engine: Engine, lang: str) -> list[str]:
    """The replies the learned crisis reader may read alone: all but those that are exactly an
    answer the bot offers in some language (Engine.is_offered_answer: there only the word rules
    count)."""
    _, cases = load(lang)
    texts = dict.fromkeys(case.text for case in cases)
    return [text for text in texts if not engine.is_offered_answer(text)]


def score(engine: Engine, lang: str) -> list[Outcome]:
    today, cases = load(lang)
    return [Outcome(case, read(engine, lang, today, case)) for case in cases]


def rate(outcomes: list[Outcome]) -> float:
    return sum(o.right for o in outcomes) / len(outcomes) if outcomes else 0.0
