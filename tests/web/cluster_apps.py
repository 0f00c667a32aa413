"""Several `uvicorn` processes of the app on one keyspace, for the cluster tests
(tests/web/test_on_cluster.py, tests/web/test_kill_sends.py)."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.channels.twilio_sms import TROUBLE
from tests.clock import NOW
from tests.web.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    DATA_KEY,
    FROM_NUMBER,
    PUBLIC_BASE_URL,
    inbound_params,
    post_signed,
    twiml_messages,
)

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app process exited with {process.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not become healthy")


@dataclass
class Apps:
    urls: list[str]
    prefix: str
    processes: list[subprocess.Popen[bytes]]


@contextmanager
def running_apps(
    redis_url: str,
    var: Path,
    *,
    count: int = 2,
    env: Mapping[str, str] | None = None,
    one_by_one: bool = False,
) -> Iterator[Apps]:
    """`count` app processes on `redis_url`, one keyspace. `one_by_one`: each is healthy
    before the next starts, so the first holds every lease it contends for."""
    prefix = f"test:{secrets.token_hex(6)}:"
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for n in range(count):
            port = free_port()
            process_env = {
                **os.environ,
                "REDIS_URL": redis_url,
                "TEST_KEY_PREFIX": prefix,
                "TEST_NOW": NOW.isoformat(),
                "PORT": str(port),
                "HOST": "127.0.0.1",
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_FROM_NUMBER": FROM_NUMBER,
                # Nothing texts first unless a test says where; a stray send goes nowhere.
                "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
                "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                "DATA_ENCRYPTION_KEY": DATA_KEY,
                "VAR_DIR": str(var / f"var{n}"),
                "LOG_LEVEL": "WARNING",
                "FLOOD_TEXTS_PER_CONTACT": "10000",
                **(env or {}),
            }
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "tests.web.serve_app"], cwd=ROOT, env=process_env
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
            if one_by_one:
                wait_healthy(urls[-1], processes[-1])
        for url, process in zip(urls, processes, strict=True):
            wait_healthy(url, process)
        yield Apps(urls, prefix, processes)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def text_until_saved(
    client_for: Callable[[], httpx.AsyncClient], phone: str, body: str
) -> tuple[list[str], int]:
    """Text `body` as Twilio would until a process saved it: the reply's messages, and how
    many tries failed in transport (a process died under the text). Twilio retries a text
    whose outcome was unknown with the same MessageSid, to whichever process `client_for()`
    names then; a "try again" reply (not saved: a busy machine outlasted the lock wait) is
    answered by the parent texting it again, as a new message."""
    params = inbound_params(phone, body)
    died = 0
    while True:
        try:
            response = await post_signed(client_for(), "/twilio/sms", params)
        except httpx.TransportError:
            died += 1
            await asyncio.sleep(0.05)
            continue
        if response.status_code >= 500:
            continue
        assert response.status_code == 200, response.text
        replies = twiml_messages(response.text)
        if TROUBLE in replies:
            params = inbound_params(phone, body)
            continue
        return replies, died
