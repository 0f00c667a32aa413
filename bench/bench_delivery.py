"""Care-team delivery: sections per second to a local receiver, and outbox memory per section.

    .venv/bin/python bench/bench_delivery.py [--parents 300] [--concurrency 8,32]
                                             [--redis-url redis://127.0.0.1:6379/12]

One whole plan is driven through the real engine once (every section shared with the social
worker, recovery with its three yeses). For each parent, each step of it that emitted events
is written with the real RedisConversationStore.transact (answers and outbox in one Lua
script), so the outbox holds exactly what real parents leave in it. Then, per concurrency:
  * outbox: MEMORY USAGE of the stream per pending section (7 per parent);
  * read: the worker applies the outbox (snapshots, consent, one job per consented endpoint);
    MEMORY USAGE of the care-team keys per pending delivery;
  * send: the worker signs and posts every job to the fake receiver (tests/fakes/receiver.py)
    running in its own process, which verifies each signature with standardwebhooks.
Prints a markdown table. Keys live under a private prefix on the given db and are deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.careteam.delivery import DeliveryConfig, DeliveryWorker  # noqa: E402
from bot.careteam.directory import load_directory, new_webhook_secret  # noqa: E402
from bot.careteam.records import CareRecords  # noqa: E402
from bot.engine.events import Event, SectionCompleted  # noqa: E402
from bot.engine.machine import Engine  # noqa: E402
from bot.engine.session import Session  # noqa: E402
from bot.flows import build_engine  # noqa: E402
from bot.store.care_records_redis import RedisCareRecords  # noqa: E402
from bot.store.client import client_for_url  # noqa: E402
from bot.store.crypto import Cipher  # noqa: E402
from bot.store.redis_store import RedisConversationStore  # noqa: E402
from tests.drive import next_text  # noqa: E402
from tests.timed import open_timed  # noqa: E402

CONSENT = {
    "share_recovery_ok": "yes",
    "recovery_terms": "yes",
    "recovery_consent": "yes",
    "share_safety_private": "yes",
}
ENDPOINTS = ("hope_ehr", "hope_on_call")
Step = tuple[Session, list[Event]]


def capture_plan(engine: Engine) -> list[Step]:
    """The steps of one whole plan that emitted events, with the session after each."""
    session, now, steps = Session(), datetime.now(UTC), []
    for _ in range(400):
        text = next_text(engine, session, now.date())
        if text is None:
            return steps
        if session.mode == "ask" and session.step in CONSENT:
            text = CONSENT[session.step]
        now += timedelta(seconds=3)
        result = engine.step(session, text, now)
        if result.events:
            steps.append((result.session, list(result.events)))
        session = result.session
    raise RuntimeError("the plan did not finish")


def start_receiver(secrets_by_endpoint: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "RECEIVER_SECRETS": json.dumps(secrets_by_endpoint),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.receiver"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def write_directory(folder: Path, base_url: str, hook_secrets: dict[str, str]) -> Path:
    def endpoint(ident: str, roles: list[str], events: list[str]) -> dict[str, Any]:
        return {
            "id": ident,
            "organization": "hope",
            "url": f"{base_url}/hooks/{ident}",
            "secret": hook_secrets[ident],
            "serves": {"roles": roles},
            "events": events,
        }

    data = {
        "version": 1,
        "program": {"intermediary": "Safe Start bench", "crisis_fallback": "hope"},
        "organizations": [{"id": "hope", "name": "Hope", "service_area": {"zip_prefixes": ["06"]}}],
        "endpoints": [
            endpoint("hope_ehr", ["social_worker"], ["plan.section.completed"]),
            endpoint("hope_on_call", ["on_call"], ["plan.crisis", "plan.handoff_requested"]),
        ],
    }
    path = folder / "careteam.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


async def memory_of(redis: Redis, pattern: str) -> int:
    total = 0
    async for key in redis.scan_iter(match=pattern, count=1000):
        total += int(await redis.memory_usage(key, samples=0) or 0)
    return total


@dataclass
class Result:
    concurrency: int
    writes: int
    sections: int
    deliveries: int
    write_s: float
    outbox_bytes_per_section: float
    read_s: float
    jobs_bytes_per_delivery: float
    send_s: float
    received: int


async def run_once(
    url: str, steps: list[Step], parents: int, concurrency: int, base_url: str, directory: Path
) -> Result:
    redis = client_for_url(url, timeout=5.0)
    prefix = f"bench:{secrets.token_hex(4)}:"
    cipher = Cipher(secrets.token_bytes(32))
    store = RedisConversationStore(redis, cipher, prefix=prefix)
    await store.prepare()
    try:
        # Write: every parent's event steps, through the store's atomic save + outbox.
        gate = asyncio.Semaphore(50)

        async def one_parent(number: int) -> None:
            address = f"+1860{number:07d}"
            async with gate:
                for session, events in steps:
                    await store.transact(address, None, lambda _s, s=session, e=events: (s, [], e))

        started = time.perf_counter()
        await asyncio.gather(*(one_parent(n) for n in range(parents)))
        write_s = time.perf_counter() - started
        per_plan = sum(
            1
            for _, events in steps
            for e in events
            if isinstance(e, SectionCompleted) and e.section != "care_team"
        )
        sections = parents * per_plan
        stream_bytes = int(await redis.memory_usage(store.outbox_stream, samples=0) or 0)

        records = CareRecords(RedisCareRecords(redis, cipher, prefix))
        timed, timing = open_timed(redis, cipher, prefix)
        worker = DeliveryWorker(
            store=store,
            records=records,
            coordination=records.store,
            timed=timed,
            directory=load_directory(directory),
            flows=build_engine().flows,
            cipher=cipher,
            config=DeliveryConfig(consumer="bench", batch=200, concurrency=concurrency),
            client=httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)),
        )
        started = time.perf_counter()
        while await worker.consume():
            pass
        read_s = time.perf_counter() - started
        # Every first try is due at once: an entry in the care team's due stream.
        deliveries = await worker.timer.backlog()
        jobs_bytes = await memory_of(redis, f"{prefix}*:ct:*") + int(
            await redis.memory_usage(worker.timer.group.stream, samples=0) or 0
        )

        started = time.perf_counter()
        while await worker.send_due():
            pass
        send_s = time.perf_counter() - started
        await worker.close()
        timing.close()
        async with httpx.AsyncClient() as client:
            stats = (await client.get(f"{base_url}/stats")).json()
        return Result(
            concurrency,
            parents * len(steps),
            sections,
            deliveries,
            write_s,
            stream_bytes / sections,
            read_s,
            jobs_bytes / max(deliveries, 1),
            send_s,
            stats["processed"],
        )
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


def table(results: list[Result], parents: int) -> str:
    rows = [
        "| concurrency | sections | outbox B per pending section "
        "| care-team B per pending delivery | save+outbox writes/s | read sections/s "
        "| send sections/s | end-to-end sections/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rows.append(
            f"| {r.concurrency} | {r.sections} "
            f"| {r.outbox_bytes_per_section:,.0f} | {r.jobs_bytes_per_delivery:,.0f} "
            f"| {r.writes / r.write_s:,.0f} | {r.sections / r.read_s:,.0f} "
            f"| {r.deliveries / r.send_s:,.0f} | {r.sections / (r.read_s + r.send_s):,.0f} |"
        )
    info = f"{platform.python_version()}, {os.cpu_count()} cores, {parents} parents"
    return "\n".join(rows) + f"\n\n({info}; receiver in its own process)"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parents", type=int, default=300)
    parser.add_argument("--concurrency", default="8,32")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    steps = capture_plan(build_engine())
    hook_secrets = {e: new_webhook_secret() for e in ENDPOINTS}
    proc, base_url = start_receiver(hook_secrets)
    results = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            directory = write_directory(Path(folder), base_url, hook_secrets)
            for concurrency in (int(c) for c in args.concurrency.split(",")):
                result = await run_once(
                    args.redis_url, steps, args.parents, concurrency, base_url, directory
                )
                results.append(result)
                expected = sum(r.deliveries for r in results)
                if result.received != expected:
                    print(f"warning: receiver took {result.received}, expected {expected}")
    finally:
        proc.terminate()
        proc.wait(10)
    print(table(results, args.parents))


if __name__ == "__main__":
    asyncio.run(main())
