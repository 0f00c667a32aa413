"""Program reports: how long the operator waits, by how many plans the program holds.

    .venv/bin/python bench/bench_reports.py [--plans 1000,10000] [--redis-url redis://127.0.0.1:6379/10]

Synthetic plans (tests/reports/synthetic.py: sections, needs, dates) are saved with the real
RedisConversationStore.transact, encrypted as in production. Then, per size:
  * collect: SCAN + pipelined loads + decryption + facts_of, the report's only I/O;
  * count: program_report + suppression + JSON and CSV rendering (pure);
Prints a markdown table. Keys live under a private prefix on the given db and are deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine.events import Event  # noqa: E402
from bot.engine.session import Session  # noqa: E402
from bot.reports.collect import collect_facts  # noqa: E402
from bot.reports.program import program_report  # noqa: E402
from bot.reports.render import report_csv, report_json  # noqa: E402
from bot.store.client import client_for_url  # noqa: E402
from bot.store.crypto import Cipher  # noqa: E402
from bot.store.redis_store import RedisConversationStore  # noqa: E402
from tests.reports.synthetic import FROM, TO, session_of, specs  # noqa: E402

Applied = tuple[Session, list[str], list[Event]]


async def seed(store: RedisConversationStore, count: int) -> None:
    made = specs(count, seed=11)
    for start in range(0, count, 16):
        jobs = []
        for spec in made[start : start + 16]:
            session = session_of(spec)

            def replace(_: Session, new: Session = session) -> Applied:
                return new, [], []

            jobs.append(store.transact(spec.phone, None, replace))
        await asyncio.gather(*jobs)


async def measure(redis_url: str, count: int) -> tuple[int, float, float]:
    redis = client_for_url(redis_url)
    prefix = f"bench-rep:{secrets.token_hex(4)}:"
    store = RedisConversationStore(redis, Cipher(secrets.token_bytes(32)), prefix=prefix)
    try:
        await seed(store, count)
        today = datetime.now(UTC).date()
        started = time.perf_counter()
        facts = await collect_facts(store, as_of=today)
        collected = time.perf_counter() - started
        started = time.perf_counter()
        published = program_report(facts, FROM, TO).publish()
        json.dumps(report_json(published))
        report_csv(published)
        counted = time.perf_counter() - started
        return len(facts), collected, counted
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*", count=1000)]
        for i in range(0, len(keys), 1000):
            await redis.delete(*keys[i : i + 1000])
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", default="1000,10000")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/10")
    args = parser.parse_args()
    print("| plans | collect s | collect plans/s | count + render ms |")
    print("|---:|---:|---:|---:|")
    for count in (int(n) for n in args.plans.split(",")):
        found, collected, counted = asyncio.run(measure(args.redis_url, count))
        assert found == count, (found, count)
        print(f"| {count:,} | {collected:.2f} | {count / collected:,.0f} | {counted * 1000:.1f} |")


if __name__ == "__main__":
    main()
