"""Golden conversation transcripts: texts in, exact texts and events out.

A transcript is YAML:
    flows: fixture | shipped        which flows to run (tests/engine/flows or conversations/)
    locale: en                      the locale the session starts in
    start: 2026-11-23T15:00:00+00:00
    turns:
      - send: "yes"                 what the parent texts
        wait: 4d                    optional: time passing before this text (m, h, d)
        expect: ["Great!"]          hand-written: each must appear in the replies (kept on update)
        expect_events: [OptedOut]   hand-written: these event types must be among the events
        replies: [...]              golden: the exact replies (rewritten by UPDATE_TRANSCRIPTS=1)
        events: [...]               golden: event type names, in order
    final: {status: active, done: [alpha]}   optional checks on the last session

Run with UPDATE_TRANSCRIPTS=1 to rewrite the golden parts after a deliberate change, then
read the diff: the hand-written parts are what must stay true.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.engine.machine import Engine
from bot.engine.session import Session

UPDATE = os.environ.get("UPDATE_TRANSCRIPTS") == "1"


class _Dumper(yaml.SafeDumper):
    """Multi-line replies as literal blocks, so a diff reads like the texts themselves."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
_WAIT = re.compile(r"^(\d+)([mhd])$")


def parse_wait(spec: str) -> timedelta:
    match = _WAIT.match(spec)
    if match is None:
        raise ValueError(f"wait {spec!r}: use 30m, 2h or 4d")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: amount})


@dataclass
class TurnResult:
    send: str
    replies: list[str]
    events: list[str]
    event_objects: list[Any] = field(default_factory=list)


def play(engine: Engine, transcript: dict[str, Any]) -> tuple[list[TurnResult], Session]:
    session = Session(locale=transcript.get("locale", "en"))
    now = datetime.fromisoformat(str(transcript.get("start", "2026-11-23T15:00:00+00:00")))
    results: list[TurnResult] = []
    for turn in transcript["turns"]:
        now += parse_wait(turn["wait"]) if "wait" in turn else timedelta(minutes=1)
        outcome = engine.step(session, str(turn["send"]), now)
        session = outcome.session
        results.append(
            TurnResult(
                str(turn["send"]),
                outcome.replies,
                [type(e).__name__ for e in outcome.events],
                list(outcome.events),
            )
        )
    return results, session


def check(path: Path, engine: Engine) -> tuple[list[TurnResult], Session]:
    """Play a transcript and assert it; with UPDATE_TRANSCRIPTS=1 rewrite its golden parts."""
    transcript = yaml.safe_load(path.read_text(encoding="utf-8"))
    results, session = play(engine, transcript)
    for number, (turn, result) in enumerate(zip(transcript["turns"], results, strict=True), 1):
        where = f"{path.name} turn {number} ({turn['send']!r})"
        joined = "\n".join(result.replies)
        for text in turn.get("expect", []):
            assert text in joined, f"{where}: expected {text!r} in replies:\n{joined}"
        for name in turn.get("expect_events", []):
            assert name in result.events, f"{where}: expected event {name}, got {result.events}"
        if UPDATE:
            turn["replies"] = result.replies
            turn["events"] = result.events
            continue
        assert "replies" in turn, f"{where}: no golden replies; run with UPDATE_TRANSCRIPTS=1"
        assert result.replies == turn["replies"], f"{where}: replies differ"
        assert result.events == turn.get("events", []), f"{where}: events differ"
    final = transcript.get("final", {})
    if "status" in final:
        assert session.status == final["status"], f"{path.name}: status {session.status}"
    for flow_id in final.get("done", []):
        assert session.plan.is_done(flow_id), f"{path.name}: {flow_id} not completed"
    if "mode" in final:
        assert session.mode == final["mode"], f"{path.name}: mode {session.mode}"
    if UPDATE:
        path.write_text(
            yaml.dump(transcript, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000),
            encoding="utf-8",
        )
    return results, session
