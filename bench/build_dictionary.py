"""Write a new preset dictionary for packing stored values (see bot/store/packing.py).

    .venv/bin/python bench/build_dictionary.py bot/store/dictionaries/v2.bin

A shipped dictionary never changes (stored values name it by a form byte or checksum); this
writes a new file, which is used only once a new form byte in `ZSTD_FORMS` names it and
`CURRENT_FORM` is that byte. The samples are
synthetic and hold no one's answers:
- a whole Brazilian Portuguese plan through the real store and care-team delivery (sessions,
  plans, consent versions, section snapshots, audit lines, jobs, replies), as
  bench/bench_plan_size.py drives one;
- the shipped English and Spanish whole-plan transcripts through the engine (sessions, plans).
bench_plan_size.py measures English and Spanish plans answered another way, so its figures are
not flattered by the dictionary having seen them.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_plan_size  # noqa: E402

from bot.engine.session import Session  # noqa: E402
from bot.flows import build_engine  # noqa: E402
from bot.store import crypto  # noqa: E402

WINDOW = 32 * 1024  # zlib looked back at most this far (zstd at level 3 looks further)
TRANSCRIPTS = ("full_plan.yaml", "es_full_plan.yaml")


def kind_of(aad: str) -> str:
    """The key family a value is stored under ('session', 'ct:audit', ...), from its AAD."""
    tail = aad.split("}", 1)[-1].lstrip(":")
    return tail.split("|")[0].split("#")[0].split(":msg_")[0]


def transcript_values() -> dict[str, list[str]]:
    engine = build_engine(locales=["en", "es", "pt_BR"])
    found: dict[str, list[str]] = defaultdict(list)
    for name in TRANSCRIPTS:
        turns = yaml.safe_load((ROOT / "tests/transcripts/shipped" / name).read_text())["turns"]
        session, now = Session(), datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
        for turn in turns:
            session = engine.step(session, str(turn["send"]), now).session
            now += timedelta(minutes=1)
        found["session"].append(json.dumps(session.position_json(), separators=(",", ":")))
        found["plan"].append(json.dumps(session.plan.to_json(), separators=(",", ":")))
    return found


def store_values() -> dict[str, list[str]]:
    """Every JSON value sealed while a Portuguese plan goes through store and delivery."""
    found: dict[str, list[str]] = defaultdict(list)
    sealed = crypto.Cipher.encrypt_json

    def record(self: crypto.Cipher, value: Any, aad: str) -> bytes:
        found[kind_of(aad)].append(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
        return sealed(self, value, aad)

    crypto.Cipher.encrypt_json = record  # type: ignore[method-assign]
    try:
        asyncio.run(bench_plan_size.run(False, locales=("pt_BR",)))
    finally:
        crypto.Cipher.encrypt_json = sealed  # type: ignore[method-assign]
    return found


def build() -> bytes:
    """One sample per key family, the most common families last (nearest the data)."""
    values = store_values()
    for kind, texts in transcript_values().items():
        values[kind].extend(texts)
    order = sorted(values, key=lambda kind: len(values[kind]))
    parts = [values[kind][-1].encode() for kind in order]
    parts += [values[kind][len(values[kind]) // 2].encode() for kind in order]
    return b"".join(parts)[-WINDOW:]


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    target = Path(sys.argv[1])
    if target.exists():
        raise SystemExit(f"{target} exists: a shipped dictionary never changes")
    data = build()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    print(f"wrote {target}: {len(data):,} bytes")


if __name__ == "__main__":
    main()
