"""A load generator that leaves the cores to the servers: `wrk` (C, epoll) in its own process.

drive_raw() in bench_webhook.py runs in the bench's Python process and costs ~50-60 us of CPU
per request: on a 2-core machine that is CPU the app processes under test do not get, and
more so the more of them there are. wrk costs a fraction of that. It sends the same
pre-signed requests (bench_webhook.encode_request), one connection per wrk thread, each
connection's texts in order and each after the answer to the one before
(bench/wrk_texts.lua), for a fixed time. Debian package `wrk` (`make system-packages`).
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.bench_webhook import Work, encode_request
from bot.store.embedded import server_env

SCRIPT = Path(__file__).resolve().parent / "wrk_texts.lua"


@dataclass
class Load:
    """What one wrk run measured, and the CPU wrk itself used."""

    sent: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # not 2xx/3xx, or a socket error/timeout (bench_cluster.py adds the app's own
    # error counts: a "having trouble" text is a 200)
    exhausted: int  # connections that ran out of texts before the time was up
    cpu_s: float

    @property
    def rps(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def texts_needed(rate_cap: float, seconds: float, concurrency: int) -> int:
    """Texts to sign so that no connection runs out at up to `rate_cap` req/s."""
    return int(rate_cap * seconds) + concurrency * 10


def drive_wrk(ports: list[int], work: Work, seconds: int) -> Load:
    """Connection i sends work[i] to ports[i % len(ports)] for `seconds` (whole seconds)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is needed for this bench: `make system-packages` installs it")
    with tempfile.TemporaryDirectory(prefix="safestart-wrk-") as texts:
        for i, items in enumerate(work):
            port = ports[i % len(ports)]
            with open(Path(texts) / f"{i}.req", "wb") as file:
                for form, signature in items:
                    raw = encode_request("127.0.0.1", port, form, signature)
                    file.write(b"%d\n" % len(raw) + raw)
        # Real time for wrk under `make test-clock`'s libfaketime, as for redis-server.
        env = dict(server_env(), WRK_TEXTS=texts, WRK_PORTS=",".join(map(str, ports)))
        command = [wrk, "-t", str(len(work)), "-c", str(len(work))]
        command += ["-d", f"{seconds}s", "--timeout", "30s", "-s", str(SCRIPT)]
        command.append(f"http://127.0.0.1:{ports[0]}/twilio/sms")
        # The CPU of wrk (all its threads), from the kernel as for the servers: the only
        # child that ends in between.
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    found = re.search(r"wrk-result (.*)", done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    fields = {k: int(v) for k, v in (kv.split("=") for kv in found.group(1).split())}
    return Load(
        sent=fields["requests"],
        seconds=fields["duration_us"] / 1e6,
        p50_ms=fields["p50_us"] / 1000,
        p99_ms=fields["p99_us"] / 1000,
        errors=fields["errors"] + fields["socket_errors"],
        exhausted=fields["exhausted"],
        cpu_s=after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
    )
