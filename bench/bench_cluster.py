"""Webhook throughput on one Redis and on a Redis Cluster, with one and two app processes.

    .venv/bin/python bench/bench_cluster.py [--requests 3000] [--concurrency 32] [--runs 1]

In one run, side by side: POST /twilio/sms (SDK-signed onboarding texts, as
bench_webhook.py sends them) to
  * 1 app process on one redis-server,
  * 2 app processes on the same redis-server,
  * 2 app processes on a local 3-primary Redis Cluster (bot/store/local_cluster.py),
each process a `uvicorn` of create_app() on its own port; the load generator (this
process, on the same cores) sends each parent's texts to one process, parents spread
round-robin. Prints req/s and p50/p99 per setup, and the two ratios issue 18 asks for:
2 processes / 1 (goal >= 1.7) and cluster / one Redis with 2 processes (goal >= 0.8).
With --store: only the store's client CPU per text (transact(), 32 contacts in flight) on
each, without HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_webhook import (  # noqa: E402
    WARMUP_REQUESTS,
    Result,
    Work,
    app_environment,
    drive_raw,
    free_port,
    signed_requests,
    split,
    stop,
    wait_until_up,
)
from bot.store.local_cluster import start_cluster  # noqa: E402
from tests.fakes.redis_server import PrivateRedis  # noqa: E402


def serve(port: int) -> None:
    from app import create_app
    from bot.settings import Settings

    application = create_app(Settings(_env_file=None))
    uvicorn.run(application, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@dataclass
class Setup:
    name: str
    result: Result


async def drive_all(urls: list[str], work: Work, time_cap: float) -> Result:
    """Worker i's parents go to process i mod n; one Result over all of them."""
    shares = [work[i :: len(urls)] for i in range(len(urls))]
    parts = await asyncio.gather(
        *(drive_raw("part", url, share, time_cap) for url, share in zip(urls, shares, strict=True))
    )
    latencies = [x for part in parts for x in part.latencies]
    return Result(
        "all",
        sum(p.sent for p in parts),
        sum(p.errors for p in parts),
        max(p.seconds for p in parts),
        latencies,
    )


def measure(name: str, redis_url: str, processes: int, args: argparse.Namespace, tmp: str) -> Setup:
    env = app_environment(redis_url, Path(tmp) / "var")
    ports = [free_port() for _ in range(processes)]
    me = [sys.executable, str(Path(__file__).resolve())]
    procs = [subprocess.Popen([*me, "--serve", str(port)], env=env) for port in ports]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, proc in zip(urls, procs, strict=True):
            wait_until_up(url + "/healthz", proc, timeout=60)
        warm, work = split(
            signed_requests(args.requests + WARMUP_REQUESTS, args.concurrency), WARMUP_REQUESTS
        )
        asyncio.run(drive_all(urls, warm, args.time_cap))
        return Setup(name, asyncio.run(drive_all(urls, work, args.time_cap)))
    finally:
        for proc in procs:
            stop(proc)


async def store_cpu(url: str, events: int, parents: int = 32, texts: int = 30) -> float:
    """Client CPU per transact() (us): `parents` contacts in flight, `texts` each."""
    import secrets

    from bot.engine.events import OptedIn
    from bot.engine.session import Session
    from bot.store.client import client_for_url
    from bot.store.crypto import Cipher
    from bot.store.redis_store import RedisConversationStore

    store = RedisConversationStore(
        client_for_url(url), Cipher(secrets.token_bytes(32)), prefix=f"bench{secrets.token_hex(3)}:"
    )
    await store.prepare()

    def apply(session: Session) -> tuple[Session, list[str], list[OptedIn]]:
        return session, ["ok"], [OptedIn("START")] * events

    phones = [f"+1860555{n:04d}" for n in range(parents)]
    for phone in phones:
        await store.transact(phone, None, apply)  # connections and scripts warmed

    async def parent(phone: str) -> None:
        for _ in range(texts):
            await store.transact(phone, None, apply)

    started = time.process_time()
    await asyncio.gather(*(parent(p) for p in phones))
    cpu = time.process_time() - started
    await store.close()
    return cpu / (parents * texts) * 1e6


def store_only(single_url: str, cluster_url: str) -> None:
    print("| client CPU per text, bot.store alone | one Redis | 3-primary cluster |")
    print("|---|---|---|")
    for events in (0, 1):
        one = asyncio.run(store_cpu(single_url, events))
        many = asyncio.run(store_cpu(cluster_url, events))
        print(f"| text with {events} event(s) | {one:.0f} us | {many:.0f} us |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--runs", type=int, default=1, help="rounds of the three; medians kept")
    parser.add_argument("--time-cap", type=float, default=30.0, help="seconds per setup")
    parser.add_argument(
        "--store", action="store_true", help="only the store's client CPU per text, no HTTP"
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    rounds: list[list[Setup]] = []
    with tempfile.TemporaryDirectory(prefix="safestart-bench-") as tmp:
        single = PrivateRedis(Path(tmp))
        single.start()
        cluster = start_cluster()
        try:
            if args.store:
                store_only(single.url, cluster.url)
                return
            for _ in range(max(1, args.runs)):
                rounds.append(
                    [
                        measure("1 process, one Redis", single.url, 1, args, tmp),
                        measure("2 processes, one Redis", single.url, 2, args, tmp),
                        measure("2 processes, 3-primary cluster", cluster.url, 2, args, tmp),
                    ]
                )
        finally:
            cluster.stop()
            single.stop()
    report(rounds)


def report(rounds: list[list[Setup]]) -> None:
    print(f"{os.cpu_count()} cores; load generator on the same machine; {len(rounds)} round(s)")
    print()
    print("| setup | req/s | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|")
    medians = []
    for i in range(3):
        results = [r[i].result for r in rounds]
        rps = statistics.median(r.rps for r in results)
        medians.append(rps)
        best = results[len(results) // 2]
        print(
            f"| {rounds[0][i].name} | {rps:,.0f} | {best.percentile(0.5):.1f} | "
            f"{best.percentile(0.99):.1f} | {sum(r.errors for r in results)} |"
        )
    two, cluster = medians[1] / medians[0], medians[2] / medians[1]
    print()
    print(f"2 processes / 1 on one Redis: {two:.2f} (goal >= 1.7)")
    print(f"cluster / one Redis, 2 processes each: {cluster:.2f} (goal >= 0.8)")
    if len(rounds) > 1:
        for i, r in enumerate(rounds):
            print(f"round {i + 1}: " + ", ".join(f"{s.result.rps:,.0f}" for s in r))


if __name__ == "__main__":
    main()
