"""Where a webhook text's CPU goes with 1 and 2 app processes on one Redis, by component,
for one or more source trees side by side (an A/B of a change, interleaved in one run).

    .venv/bin/python bench/bench_cpu_split.py [--trees /a,/b] [--rounds 4] [--seconds 6]

Per tree (default: this one), two app processes of that tree (its bench_cluster.py
--serve) on one private redis-server with an append-only file (automatic rewrites off, so
no fork lands in a measurement), driven by that tree's wrk script (bench/wrk_load.py) as
bench_cluster.py drives them: "1" sends every connection to the first process, "2" spreads
them over both. Each round measures every tree's 1 and 2 in turn, the trees' order reversed
every other round. Per text answered: user + system CPU of the app processes, of the
redis-server (all its threads) and of wrk (/proc, wait4), wrk's voluntary context switches
(its wake-ups), and the time Redis spent in EVALSHA (INFO commandstats). These hold up
while other work loads the machine far better than req/s does; "CPU allows" is the 2/1
ratio two cores could give from them, 2 x app(1) / total(2), as bench_cluster.py computes it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench.wrk_load as wrk_load  # noqa: E402
from bench.bench_cluster import Servers  # noqa: E402
from bench.bench_webhook import (  # noqa: E402
    app_environment,
    cpu_seconds,
    free_port,
    signed_requests,
    stop,
    wait_until_up,
)
from tests.fakes.redis_server import PrivateRedis  # noqa: E402


def evalsha_us(port: int) -> float:
    node = redis.Redis(port=port)
    stats = node.info("commandstats").get("cmdstat_evalsha", {"usec": 0})
    node.close()
    return float(stats["usec"])


@dataclass
class Row:
    app_us: float
    redis_us: float
    wrk_us: float
    wrk_wakeups: float
    evalsha_us: float
    rps: float

    @property
    def total_us(self) -> float:
        return self.app_us + self.redis_us + self.wrk_us


def measure(tree: Path, ports: list[int], pids: list[int], redis_pid: int, port: int,
            args: argparse.Namespace) -> Row:  # fmt: skip
    wrk_load.SCRIPT = tree / "bench" / "wrk_texts.lua"
    warm = signed_requests(wrk_load.texts_needed(3000, 2, args.concurrency), args.concurrency)
    wrk_load.drive_wrk(ports, warm, 2)
    work = signed_requests(
        wrk_load.texts_needed(args.rate_cap, args.seconds, args.concurrency), args.concurrency
    )
    apps, server, sha = [cpu_seconds(p) for p in pids], cpu_seconds(redis_pid), evalsha_us(port)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = wrk_load.drive_wrk(ports, work, args.seconds)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    n = load.sent or 1
    app_s = sum(cpu_seconds(p) - b for p, b in zip(pids, apps, strict=True))
    return Row(
        app_us=app_s / n * 1e6,
        redis_us=(cpu_seconds(redis_pid) - server) / n * 1e6,
        wrk_us=load.cpu_s / n * 1e6,
        wrk_wakeups=(after.ru_nvcsw - before.ru_nvcsw) / n,
        evalsha_us=(evalsha_us(port) - sha) / n,
        rps=load.rps,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", default=str(ROOT), help="comma-separated source trees")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=6, help="measured seconds per setup")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate-cap", type=float, default=6000, help="texts signed per second")
    args = parser.parse_args()
    trees = [Path(t).resolve() for t in args.trees.split(",")]
    rows: dict[tuple[Path, int], list[Row]] = {}
    with tempfile.TemporaryDirectory(prefix="safestart-split-") as tmp:
        server = PrivateRedis(Path(tmp))
        server.start()
        assert server.proc is not None
        Servers(server.url, [server.port]).fresh()
        node = redis.Redis(port=server.port)
        node.config_set("auto-aof-rewrite-percentage", 0)
        node.close()
        env = app_environment(server.url, Path(tmp) / "var")
        groups: list[tuple[Path, list[int], list[subprocess.Popen[bytes]]]] = []
        try:
            for tree in trees:
                ports = [free_port(), free_port()]
                serve = [sys.executable, str(tree / "bench" / "bench_cluster.py"), "--serve"]
                procs = [subprocess.Popen([*serve, str(port)], env=env) for port in ports]
                groups.append((tree, ports, procs))
                for port, proc in zip(ports, procs, strict=True):
                    wait_until_up(f"http://127.0.0.1:{port}/healthz", proc, timeout=60)
            for n in range(args.rounds):
                for tree, ports, procs in groups if n % 2 == 0 else groups[::-1]:
                    for k in (1, 2):
                        row = measure(tree, ports[:k], [p.pid for p in procs[:k]],
                                      server.proc.pid, server.port, args)  # fmt: skip
                        rows.setdefault((tree, k), []).append(row)
                        print(
                            f"round {n + 1} {tree.name} {k}: {row.rps:,.0f} req/s, app "
                            f"{row.app_us:.0f} / Redis {row.redis_us:.0f} (EVALSHA "
                            f"{row.evalsha_us:.1f}) / wrk {row.wrk_us:.0f} us a text, wrk "
                            f"wake-ups {row.wrk_wakeups:.2f}, load {os.getloadavg()[0]:.1f}",
                            flush=True,
                        )
        finally:
            for _, _, procs in groups:
                for proc in procs:
                    stop(proc)
            server.stop()
    report(trees, rows)


def report(trees: list[Path], rows: dict[tuple[Path, int], list[Row]]) -> None:
    print()
    print("| tree | processes | app | Redis (EVALSHA) | wrk | total | wrk wake-ups | req/s |")
    print("|---|---|---|---|---|---|---|---|")
    for tree in trees:
        for k in (1, 2):
            got = rows[(tree, k)]

            def med(name: str, got: list[Row] = got) -> float:
                return statistics.median(getattr(r, name) for r in got)

            print(
                f"| {tree.name} | {k} | {med('app_us'):.0f} | {med('redis_us'):.0f} "
                f"({med('evalsha_us'):.1f}) | {med('wrk_us'):.0f} | {med('total_us'):.0f} | "
                f"{med('wrk_wakeups'):.2f} | {med('rps'):,.0f} |"
            )
    print()
    for tree in trees:
        one = statistics.median(r.app_us for r in rows[(tree, 1)])
        two = statistics.median(r.total_us for r in rows[(tree, 2)])
        print(f"{tree.name}: CPU allows 2 / 1 = 2 x {one:.0f} / {two:.0f} = {2 * one / two:.2f}")


if __name__ == "__main__":
    main()
