"""Engine throughput on one core, over the shipped flows, three workloads side by side.

- whole plans: the 86 texts of tests/transcripts/shipped/full_plan.yaml (a parent finishing
  onboarding and all eight sections), replayed from a fresh session again and again;
- random mix: answers, commands and junk in random order (menus, read-backs, re-prompts);
- floor: only the session copy every pure step() must make (JSON round trip).
Rates are messages per CPU-second of this process (time.process_time), i.e. per core.
Run: .venv/bin/python bench/bench_engine.py
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine.machine import Engine  # noqa: E402
from bot.engine.session import Session  # noqa: E402
from bot.flows import build_engine  # noqa: E402

MIX = ["yes", "1", "2", "no", "1, 2", "in 3 weeks", "06103", "10am", "Dr. Lee",
       "860-555-0123", "menu", "review", "back", "skip", "help", "what?", "0"]  # fmt: skip
START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TICK = timedelta(minutes=2)


def whole_plans(engine: Engine, messages: int) -> float:
    transcript = yaml.safe_load((ROOT / "tests/transcripts/shipped/full_plan.yaml").read_text())
    texts = [str(t["send"]) for t in transcript["turns"]]
    done = 0
    started = time.process_time()
    while done < messages:
        session, now = Session(), START
        for text in texts:
            session = engine.step(session, text, now).session
            now += TICK
        done += len(texts)
    return done / (time.process_time() - started)


def random_mix(engine: Engine, messages: int, seed: int) -> float:
    rng = random.Random(seed)
    texts = [rng.choice(MIX) for _ in range(messages)]
    session, now = Session(), START
    started = time.process_time()
    for text in texts:
        session = engine.step(session, text, now).session
        now += TICK
    return messages / (time.process_time() - started)


def copy_floor(session: Session, messages: int) -> float:
    started = time.process_time()
    for _ in range(messages):
        session = Session.from_json(session.to_json())
    return messages / (time.process_time() - started)


def main() -> None:
    engine = build_engine()
    messages = 43_000
    engine.step(Session(), "hi", START)  # load ZIP data and caches before timing
    plans = [whole_plans(engine, messages) for _ in range(3)]
    mixes = [random_mix(engine, messages, seed) for seed in range(3)]
    sample = engine.step(Session(), "hi", START).session
    floors = [copy_floor(sample, messages) for _ in range(3)]
    rows = [
        ("engine.step(), whole plans (realistic)", statistics.median(plans)),
        ("engine.step(), random mix (menus, read-backs, junk)", statistics.median(mixes)),
        ("floor: session copy only", statistics.median(floors)),
    ]
    print(f"| workload ({messages:,} messages x 3 runs, one core) | median msg/s | us/msg |")
    print("|---|---|---|")
    for name, rate in rows:
        print(f"| {name} | {rate:,.0f} | {1e6 / rate:.1f} |")


if __name__ == "__main__":
    main()
