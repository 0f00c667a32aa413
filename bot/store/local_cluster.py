"""A throwaway 3-primary Redis Cluster on loopback, from `redis-server` on PATH.

For people (`scripts/cluster`, `make cluster`) and tests (`redis_cluster_url` in
tests/conftest.py): three `redis-server --cluster-enabled yes` on free ports in a temporary
directory, joined with `redis-cli --cluster create … --cluster-replicas 0` (or N replicas
per primary), ready once every node says cluster_state:ok. Nothing is persisted; stop()
kills exactly the servers it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CLUSTER_SCHEME = "redis+cluster"


def free_ports(count: int) -> list[int]:
    """`count` distinct ports nothing listens on now (and whose +10000 bus port is free)."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + 10000 > 65535 or port in ports:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        ports.append(port)
    return ports


@dataclass
class LocalCluster:
    ports: list[int]
    directory: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{CLUSTER_SCHEME}://127.0.0.1:{self.ports[0]}"

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        shutil.rmtree(self.directory, ignore_errors=True)


def process_exited(cluster: LocalCluster, port: int) -> bool:
    return cluster.processes[cluster.ports.index(port)].poll() is not None


def cli(port: int, *args: str) -> str:
    """One `redis-cli` command to the node on `port`; its output."""
    done = subprocess.run(
        ["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=10
    )
    return done.stdout


def replicas_of(primary_port: int) -> list[int]:
    """The ports of the replicas the primary on `primary_port` lists in its CLUSTER NODES."""
    primary_id = cli(primary_port, "CLUSTER", "MYID").strip()
    return [
        int(fields[1].split("@")[0].rsplit(":", 1)[1])
        for fields in map(str.split, cli(primary_port, "CLUSTER", "NODES").splitlines())
        if len(fields) > 3 and "slave" in fields[2].split(",") and fields[3] == primary_id
    ]


def replica_of(primary_port: int) -> int:
    """The port of a replica of the primary on `primary_port` (for failover tests)."""
    found = replicas_of(primary_port)
    if not found:
        raise LookupError(f"no replica of the primary on port {primary_port}")
    return found[0]


def start_cluster(
    primaries: int = 3,
    *,
    replicas: int = 0,
    timeout_s: float = 20.0,
    tries: int = 3,
    node_timeout_ms: int = 2000,
) -> LocalCluster:
    """Start and join the nodes (`replicas` per primary); raise RuntimeError (after stopping
    them) if the cluster is not ok in time. A node that does not start (another process
    took its port between the pick and the bind), or a replica that does not catch up with
    its primary, means a fresh try on other ports."""
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        raise RuntimeError("redis-server and redis-cli must be on PATH (make system-packages)")
    for _ in range(tries):
        cluster = _start(primaries, replicas, timeout_s, node_timeout_ms)
        if cluster is not None:
            return cluster
    raise RuntimeError(f"a redis-server did not start or a replica did not catch up, {tries} times")


def _start(
    primaries: int, replicas: int, timeout_s: float, node_timeout_ms: int
) -> LocalCluster | None:
    """The running cluster, or None (all stopped) when a node did not start."""
    directory = Path(tempfile.mkdtemp(prefix="safe-start-cluster-"))
    cluster = LocalCluster(free_ports(primaries * (1 + replicas)), directory)
    try:
        for port in cluster.ports:
            node_dir = directory / str(port)
            node_dir.mkdir()
            cluster.processes.append(
                subprocess.Popen(
                    [
                        "redis-server",
                        "--port", str(port),
                        "--bind", "127.0.0.1",
                        "--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", str(node_timeout_ms),
                        "--dir", str(node_dir),
                        "--save", "",
                        "--appendonly", "no",
                        "--daemonize", "no",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        for port in cluster.ports:
            while cli(port, "PING").strip() != "PONG":
                if time.monotonic() > deadline or process_exited(cluster, port):
                    cluster.stop()
                    return None
                time.sleep(0.02)
        nodes = [f"127.0.0.1:{port}" for port in cluster.ports]
        created = subprocess.run(
            [
                "redis-cli",
                "--cluster",
                "create",
                *nodes,
                "--cluster-replicas",
                str(replicas),
                "--cluster-yes",
            ],
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        if created.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed: {created.stdout[-500:]}")
        for port in cluster.ports:
            while "cluster_state:ok" not in cli(port, "CLUSTER", "INFO"):
                if time.monotonic() > deadline:
                    raise RuntimeError("the cluster did not reach cluster_state:ok")
                time.sleep(0.05)
        # A replica is of use once it has its primary's data, and the primary knows it. Its
        # first sync has a budget of its own (a loaded machine took over 20 s from the start in
        # stop 41's CI); one that never catches up means a fresh try on other ports.
        deadline = time.monotonic() + timeout_s
        while replicas and not _replicated(cluster.ports, primaries, replicas):
            if time.monotonic() > deadline:
                cluster.stop()
                return None
            time.sleep(0.05)
        return cluster
    except BaseException:
        cluster.stop()
        raise


def _replicated(ports: list[int], primaries: int, replicas: int) -> bool:
    """Every primary has its replicas online, each replica's link up, lists them in its own
    CLUSTER NODES (the view failover tests and replicated writes read), and a write on it
    is acknowledged by a replica (WAIT): before that, a lease taken at once is given back."""
    infos = [cli(port, "INFO", "replication") for port in ports]
    masters = [port for port, info in zip(ports, infos, strict=True) if "role:master" in info]
    return (
        len(masters) == primaries
        and all(f"connected_slaves:{replicas}" in i for i in infos if "role:master" in i)
        and all("master_link_status:up" in i for i in infos if "role:slave" in i)
        and all(len(replicas_of(port)) >= replicas for port in masters)
        and all(_write_acknowledged(port) for port in masters)
    )


def _write_acknowledged(primary_port: int) -> bool:
    """A key of this primary's own slots written, then WAIT 1 on the same connection."""
    myself = next(
        (line.split() for line in cli(primary_port, "CLUSTER", "NODES").splitlines()
         if "myself" in line.split()[2]),
        None,
    )  # fmt: skip
    if myself is None or len(myself) < 9:
        return False
    owned = [tuple(int(n) for n in r.split("-")) for r in myself[8:] if "[" not in r]
    for n in range(64):
        key = f"warm:{{{n}}}"
        slot = int(cli(primary_port, "CLUSTER", "KEYSLOT", key).strip() or -1)
        if any(r[0] <= slot <= r[-1] for r in owned):
            done = subprocess.run(
                ["redis-cli", "-p", str(primary_port)],
                input=f"SET {key} 1\nWAIT 1 2000\nDEL {key}\n",
                capture_output=True,
                text=True,
                timeout=10,
            )
            lines = done.stdout.split()
            return len(lines) >= 2 and lines[1] == "1"
    return False


STATE_FILE = Path("var") / "cluster.json"


def _main(argv: list[str]) -> int:
    """`python -m bot.store.local_cluster start|stop|url` (what scripts/cluster runs)."""
    command = argv[0] if argv else "start"
    if command == "start":
        if STATE_FILE.exists():
            print(json.loads(STATE_FILE.read_text())["url"])
            return 0
        cluster = start_cluster()
        STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "url": cluster.url,
            "dir": str(cluster.directory),
            "pids": [p.pid for p in cluster.processes],
        }
        STATE_FILE.write_text(json.dumps(state) + "\n")
        print(cluster.url)
        return 0
    if command == "url":
        if not STATE_FILE.exists():
            print("no cluster running (scripts/cluster start)", file=sys.stderr)
            return 1
        print(json.loads(STATE_FILE.read_text())["url"])
        return 0
    if command == "stop":
        if not STATE_FILE.exists():
            return 0
        state = json.loads(STATE_FILE.read_text())
        for pid in state["pids"]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        shutil.rmtree(state["dir"], ignore_errors=True)
        STATE_FILE.unlink()
        return 0
    print(f"unknown command {command!r}: start, stop or url", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
