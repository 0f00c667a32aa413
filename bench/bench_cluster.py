"""Webhook throughput on one Redis and on a Redis Cluster, with one and two app processes.

    .venv/bin/python bench/bench_cluster.py [--seconds 8] [--runs 3] [--concurrency 32]

In one run, side by side: POST /twilio/sms (SDK-signed onboarding texts, as
bench_webhook.py sends them) to
  * 1 app process on one redis-server,
  * 2 app processes on the same redis-server,
  * 2 app processes on a local 3-primary Redis Cluster (bot/store/local_cluster.py),
each process a `uvicorn` of create_app() on its own port, every redis-server with an
append-only file as the app's own embedded server keeps one. The load generator is `wrk`
in its own process (bench/wrk_load.py; `--client raw` drives from this Python process as
before): one connection per parent stream, each parent's texts in order to one process,
parents spread round-robin. Each round measures the three setups one after the other, in
turn reversed every other round, for `--seconds` each after a warm-up.

Prints req/s and p50/p99 per setup, the two ratios issue 18 asks for (2 processes / 1,
goal >= 1.7; cluster / one Redis with 2 processes each, goal >= 0.8), and where the CPU
went per text: the app processes, the redis-servers and the load generator (/proc, INFO cpu
with rewrite children, wait4: user + system). On a machine others load, the CPU figures
are the steady ones; from them, "CPU allows" is the ratio the two cores could give if
nothing else ran: 2 processes get at most 2 cores / (app + Redis + generator CPU per
text), 1 process at most its own core.
With --store: only the store's client CPU per text (transact(), 32 contacts in flight) on
each, without HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_webhook import (  # noqa: E402
    WARMUP_REQUESTS,
    Result,
    Work,
    app_environment,
    cpu_seconds,
    drive_raw,
    free_port,
    signed_requests,
    split,
    stop,
    wait_until_up,
)
from bench.wrk_load import Load, drive_wrk, texts_needed  # noqa: E402
from bot.store.local_cluster import start_cluster  # noqa: E402
from tests.fakes.redis_server import PrivateRedis  # noqa: E402

SETUPS = ("1 process, one Redis", "2 processes, one Redis", "2 processes, 3-primary cluster")
GOAL_TWO, GOAL_CLUSTER = 1.7, 0.8


def serve(port: int) -> None:
    from app import create_app
    from bot.settings import Settings

    application = create_app(Settings(_env_file=None))
    uvicorn.run(application, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@dataclass
class Setup:
    name: str
    load: Load  # what the load generator measured, and its own CPU
    app_cpu: list[float]  # seconds, per app process
    redis_cpu: float  # seconds, all the setup's redis-servers
    load_average: float

    @property
    def rps(self) -> float:
        return self.load.rps

    @property
    def sent(self) -> int:
        return self.load.sent

    def per_text(self, cpu: float) -> float:
        """Microseconds of `cpu` seconds per text answered."""
        return cpu / self.sent * 1e6 if self.sent else 0.0

    @property
    def total_us(self) -> float:
        return self.per_text(sum(self.app_cpu) + self.redis_cpu + self.load.cpu_s)

    @property
    def ceiling(self) -> float:
        """Texts per second the CPU per text allows on this machine's cores."""
        app, total = self.per_text(sum(self.app_cpu)), self.total_us
        if not app:
            return 0.0
        processes = len(self.app_cpu)
        return min(processes / app * 1e6, (os.cpu_count() or 1) / total * 1e6)


@dataclass
class Servers:
    """What a setup runs on: a Redis URL and the ports of its redis-servers."""

    url: str
    ports: list[int]

    def fresh(self) -> None:
        """Empty, with a rewritten (small) append-only file: each setup starts from the same
        state, and none pays for a rewrite of what an earlier one wrote (the one server is
        shared by two setups, and a rewrite forks a child that takes a core)."""
        for port in self.ports:
            node = redis.Redis(port=port)
            node.flushall()
            node.bgrewriteaof()
            while True:
                state = node.info("persistence")
                if not state["aof_rewrite_in_progress"] and not state["aof_rewrite_scheduled"]:
                    break
                time.sleep(0.05)
            node.close()

    def cpu_seconds(self) -> float:
        """User + system CPU of the servers so far, their rewrite children included."""
        total = 0.0
        for port in self.ports:
            node = redis.Redis(port=port)
            cpu = node.info("cpu")
            node.close()
            total += sum(float(cpu[k]) for k in ("used_cpu_sys", "used_cpu_user"))
            total += sum(float(cpu[k]) for k in ("used_cpu_sys_children", "used_cpu_user_children"))
        return total


def app_errors(ports: list[int]) -> float:
    """The app processes' error counters (GET /metrics, `safestart_errors`), summed: a text
    answered "having trouble" is a 200 the load generator does not look into."""
    total = 0.0
    for port in ports:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        for line in text.splitlines():
            if line.startswith("safestart_errors_total{") and "metrics_gauges" not in line:
                total += float(line.rsplit(" ", 1)[1])
    return total


def drive(args: argparse.Namespace, ports: list[int], work: Work, seconds: int) -> Load:
    """Connection i's texts to ports[i % len(ports)]: wrk for `seconds`, or raw sockets from
    this process (all of `work`)."""
    if args.client == "wrk":
        return drive_wrk(ports, work, seconds)
    started = time.process_time()
    shares = [work[i :: len(ports)] for i in range(len(ports))]

    async def all_of_them() -> list[Result]:
        return await asyncio.gather(
            *(
                drive_raw("part", f"http://127.0.0.1:{port}", share, args.time_cap)
                for port, share in zip(ports, shares, strict=True)
            )
        )

    parts = asyncio.run(all_of_them())
    cpu = time.process_time() - started
    latencies = [x for part in parts for x in part.latencies]
    both = Result("all", len(latencies), sum(p.errors for p in parts), 0, latencies)
    return Load(
        sent=both.sent,
        seconds=max(p.seconds for p in parts),
        p50_ms=both.percentile(0.5),
        p99_ms=both.percentile(0.99),
        errors=both.errors,
        exhausted=0,
        cpu_s=cpu,
    )


def texts(args: argparse.Namespace, warm: bool) -> Work:
    if args.client == "wrk":
        seconds = args.warmup if warm else args.seconds
        return signed_requests(
            texts_needed(args.rate_cap, seconds, args.concurrency), args.concurrency
        )
    warm_work, work = split(
        signed_requests(args.requests + WARMUP_REQUESTS, args.concurrency), WARMUP_REQUESTS
    )
    return warm_work if warm else work


def measure(
    name: str, servers: Servers, processes: int, args: argparse.Namespace, tmp: str
) -> Setup:
    servers.fresh()
    env = app_environment(servers.url, Path(tmp) / "var")
    ports = [free_port() for _ in range(processes)]
    me = [sys.executable, str(Path(__file__).resolve())]
    procs = [subprocess.Popen([*me, "--serve", str(port)], env=env) for port in ports]
    try:
        for port, proc in zip(ports, procs, strict=True):
            wait_until_up(f"http://127.0.0.1:{port}/healthz", proc, timeout=60)
        drive(args, ports, texts(args, warm=True), args.warmup)
        work = texts(args, warm=False)
        errors_before = app_errors(ports)
        app_before = [cpu_seconds(proc.pid) for proc in procs]
        redis_before = servers.cpu_seconds()
        load = drive(args, ports, work, args.seconds)
        app_cpu = [cpu_seconds(p.pid) - b for p, b in zip(procs, app_before, strict=True)]
        redis_cpu = servers.cpu_seconds() - redis_before
        failed = int(app_errors(ports) - errors_before)
        return Setup(
            name,
            dataclasses.replace(load, errors=load.errors + failed),
            app_cpu,
            redis_cpu,
            os.getloadavg()[0],
        )
    finally:
        for proc in procs:
            stop(proc)


def with_append_only_file(url: str, ports: list[int]) -> Servers:
    """The cluster's nodes keep an append-only file, as the one server does (and the app's
    embedded server): the same work per write on both sides."""
    for port in ports:
        node = redis.Redis(port=port)
        node.config_set("appendonly", "yes")
        node.close()
    return Servers(url, ports)


async def store_cpu(url: str, events: int, parents: int = 32, texts: int = 30) -> float:
    """Client CPU per transact() (us): `parents` contacts in flight, `texts` each."""
    import secrets

    from bot.engine.events import Event, OptedIn
    from bot.engine.session import Session
    from bot.store.client import client_for_url
    from bot.store.crypto import Cipher
    from bot.store.redis_store import RedisConversationStore

    store = RedisConversationStore(
        client_for_url(url), Cipher(secrets.token_bytes(32)), prefix=f"bench{secrets.token_hex(3)}:"
    )
    await store.prepare()

    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
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
    parser.add_argument("--seconds", type=int, default=8, help="measured seconds per setup")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per setup")
    parser.add_argument("--concurrency", type=int, default=32, help="connections (parents)")
    parser.add_argument("--runs", type=int, default=3, help="rounds of the three; medians kept")
    parser.add_argument(
        "--client",
        choices=("wrk", "raw"),
        default="wrk",
        help="load generator: wrk in its own process, or raw sockets in this one",
    )
    parser.add_argument(
        "--rate-cap", type=float, default=8000, help="wrk: texts signed per second measured"
    )
    parser.add_argument("--requests", type=int, default=3000, help="raw: texts per setup")
    parser.add_argument("--time-cap", type=float, default=30.0, help="raw: seconds per setup")
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
            one = Servers(single.url, [single.port])
            many = with_append_only_file(cluster.url, cluster.ports)
            plan = [(SETUPS[0], one, 1), (SETUPS[1], one, 2), (SETUPS[2], many, 2)]
            for n in range(max(1, args.runs)):
                order = plan if n % 2 == 0 else plan[::-1]
                done = {s[0]: measure(*s, args, tmp) for s in order}
                rounds.append([done[name] for name in SETUPS])
        finally:
            cluster.stop()
            single.stop()
    report(rounds, args)


def median_of(rounds: list[list[Setup]], i: int, value: str) -> float:
    return statistics.median(float(getattr(r[i], value)) for r in rounds)


def report(rounds: list[list[Setup]], args: argparse.Namespace) -> None:
    loads = [s.load_average for r in rounds for s in r]
    print(
        f"{os.cpu_count()} cores; load generator ({args.client}) on the same machine, "
        f"{args.concurrency} connections; {len(rounds)} round(s) of {args.seconds} s per "
        f"setup; load average (1 min) {min(loads):.1f}-{max(loads):.1f}"
    )
    print()
    print("| setup | req/s | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|")
    for i, name in enumerate(SETUPS):
        errors = sum(r[i].load.errors for r in rounds)
        print(
            f"| {name} | {median_of(rounds, i, 'rps'):,.0f} | "
            f"{statistics.median(r[i].load.p50_ms for r in rounds):.1f} | "
            f"{statistics.median(r[i].load.p99_ms for r in rounds):.1f} | {errors} |"
        )
    print()
    print("CPU per text answered (us, medians; app = all its processes together):")
    print()
    print("| setup | app | per process | Redis | load generator | total | CPU allows req/s |")
    print("|---|---|---|---|---|---|---|")
    for i, name in enumerate(SETUPS):
        app = statistics.median(r[i].per_text(sum(r[i].app_cpu)) for r in rounds)
        each = " / ".join(
            f"{statistics.median(r[i].per_text(r[i].app_cpu[k]) for r in rounds):.0f}"
            for k in range(len(rounds[0][i].app_cpu))
        )
        redis_us = statistics.median(r[i].per_text(r[i].redis_cpu) for r in rounds)
        load_us = statistics.median(r[i].per_text(r[i].load.cpu_s) for r in rounds)
        print(
            f"| {name} | {app:.0f} | {each} | {redis_us:.0f} | {load_us:.0f} | "
            f"{median_of(rounds, i, 'total_us'):.0f} | {median_of(rounds, i, 'ceiling'):,.0f} |"
        )
    two = [r[1].rps / r[0].rps for r in rounds if r[0].rps]
    cluster = [r[2].rps / r[1].rps for r in rounds if r[1].rps]
    two_cpu = [r[1].ceiling / r[0].ceiling for r in rounds if r[0].ceiling]
    cluster_cpu = [r[2].ceiling / r[1].ceiling for r in rounds if r[1].ceiling]
    print()
    print("| ratio | measured (median) | rounds | CPU allows | goal | met: measured / CPU |")
    print("|---|---|---|---|---|---|")
    for what, got, cpu, goal in (
        ("2 processes / 1, one Redis", two, two_cpu, GOAL_TWO),
        ("cluster / one Redis, 2 processes each", cluster, cluster_cpu, GOAL_CLUSTER),
    ):
        value, allows = statistics.median(got), statistics.median(cpu)
        met = f"{'yes' if value >= goal else 'no'} / {'yes' if allows >= goal else 'no'}"
        print(
            f"| {what} | {value:.2f} | {', '.join(f'{x:.2f}' for x in got)} | "
            f"{allows:.2f} | >= {goal} | {met} |"
        )
    if len(rounds) > 1:
        print()
        for n, r in enumerate(rounds):
            print(
                f"round {n + 1}: "
                + ", ".join(f"{s.rps:,.0f} req/s (load {s.load_average:.1f})" for s in r)
            )
    if any(s.load.exhausted for r in rounds for s in r):
        print("some connections ran out of signed texts before the time was up: raise --rate-cap")


if __name__ == "__main__":
    main()
