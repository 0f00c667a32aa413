"""The HTTP suite and a whole plan on a 3-primary Redis Cluster, with two app processes.

The cluster comes from tests/conftest.py (one per xdist worker that runs these; the
xdist_group keeps them on one).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.channels.twilio_sms import TROUBLE
from bot.engine.machine import Engine
from bot.store.client import client_for_url
from bot.store.crypto import Cipher, parse_key
from bot.store.redis_store import RedisConversationStore
from tests.clock import NOW
from tests.web.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    DATA_KEY,
    FROM_NUMBER,
    PUBLIC_BASE_URL,
    inbound_params,
    new_phone,
    post_signed,
    text,
    twiml_messages,
)
from tests.web.test_whole_plan import build_whole_plan

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("cluster")]

ROOT = Path(__file__).resolve().parents[2]

# The HTTP tests that exercise the store most, run again on the cluster in a child pytest
# (the suite reads WEB_TEST_REDIS_URL), about 30 s. The rest of tests/web passes there too
# (`WEB_TEST_REDIS_URL=$(scripts/cluster url) pytest tests/web`) except test_redis_down (its
# own redis-server, paused and killed) and the round-trip count (one server's figure).
ON_CLUSTER = [
    "test_whole_plan.py",
    "test_twilio_sms.py",
    "test_webchat.py",
    "test_parent_rights.py",
    "test_floods.py",
    "test_whatsapp_window.py",
    "test_chat_events.py",
    "test_twilio_status.py",
    "test_late_status.py",
]


def test_the_http_suite_passes_on_the_cluster(redis_cluster_url: str) -> None:
    env = {**os.environ, "WEB_TEST_REDIS_URL": redis_cluster_url}
    files = [str(ROOT / "tests" / "web" / name) for name in ON_CLUSTER]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-n",
            "0",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            *files,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout.splitlines()[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float = 90.0) -> None:
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


@pytest.fixture
def two_apps(redis_cluster_url: str, tmp_path: Path) -> Iterator[Apps]:
    """Two `uvicorn` processes of the app on the cluster, one keyspace."""
    prefix = f"test:{secrets.token_hex(6)}:"
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for n in range(2):
            port = _free_port()
            env = {
                **os.environ,
                "REDIS_URL": redis_cluster_url,
                "TEST_KEY_PREFIX": prefix,
                "TEST_NOW": NOW.isoformat(),
                "PORT": str(port),
                "HOST": "127.0.0.1",
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_FROM_NUMBER": FROM_NUMBER,
                # Nothing here texts first; a stray send would go nowhere.
                "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
                "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                "DATA_ENCRYPTION_KEY": DATA_KEY,
                "VAR_DIR": str(tmp_path / f"var{n}"),
                "LOG_LEVEL": "WARNING",
                "FLOOD_TEXTS_PER_CONTACT": "10000",
            }
            processes.append(
                subprocess.Popen([sys.executable, "-m", "tests.web.serve_app"], cwd=ROOT, env=env)
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            _wait_healthy(url, process)
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


async def test_two_app_processes_on_the_cluster_build_one_whole_plan(
    two_apps: Apps, redis_cluster_url: str, shipped_engine: Engine
) -> None:
    """Texts alternate between the two processes; the plan they build is one plan."""
    urls, prefix = two_apps.urls, two_apps.prefix
    store = RedisConversationStore(
        client_for_url(redis_cluster_url), Cipher(parse_key(DATA_KEY)), prefix=prefix
    )
    clients = [httpx.AsyncClient(base_url=url, timeout=10.0) for url in urls]
    phone = new_phone()
    try:
        sent, replies = await build_whole_plan(
            lambda turn, body: text(clients[turn % 2], phone, body),
            store.load,
            phone,
            shipped_engine,
            NOW,
        )
        assert len(sent) > 20  # both processes answered many texts each
        assert "Every part of your Plan of Safe Care is done" in replies[-1]
        # Listed from the index the first commit wrote, not from a keyspace SCAN.
        contact = store.keys_for(phone).contact
        assert [c async for c in store.contacts()] == [contact]
    finally:
        for client in clients:
            await client.aclose()
        await store.close()


DUE = NOW.date() + timedelta(days=60)
ONBOARDING = ["hi", "yes", "Sam", "1", f"{DUE.month}/{DUE.day}/{DUE.year}", "06103", "1", "no", "0"]
# Events for the outbox: opting out and back in.
ONBOARDING += ["STOP", "START"]


async def test_killing_one_app_process_mid_run_loses_no_answer_or_event(
    two_apps: Apps, redis_cluster_url: str
) -> None:
    """20 parents text onboarding through both processes; one is SIGKILLed mid-run. Texts
    it never answered are sent again (same MessageSid, as Twilio retries) to the other.
    Every parent ends where ten texts lead, each text applied once, and every outbox
    event committed by either process reaches the outbox stream exactly once."""
    store = RedisConversationStore(
        client_for_url(redis_cluster_url), Cipher(parse_key(DATA_KEY)), prefix=two_apps.prefix
    )
    clients = [httpx.AsyncClient(base_url=url, timeout=20.0) for url in two_apps.urls]
    phones = [new_phone() for _ in range(20)]
    answered = 0
    killed = asyncio.Event()
    retried = 0

    async def parent(n: int, phone: str) -> None:
        nonlocal answered, retried
        for body in ONBOARDING:
            params = inbound_params(phone, body)
            target = n % 2
            while True:
                if killed.is_set():
                    target = 1
                try:
                    response = await post_signed(clients[target], "/twilio/sms", params)
                except httpx.TransportError:
                    retried += 1  # the process died under this text: Twilio retries it
                    await asyncio.sleep(0.05)
                    continue
                if response.status_code >= 500:
                    continue  # the outcome was unknown: Twilio retries the same MessageSid
                assert response.status_code == 200, response.text
                if TROUBLE in twiml_messages(response.text):
                    # Not saved (a busy machine outlasted the lock wait): the parent is
                    # asked to try again, and does, as a new message.
                    params = inbound_params(phone, body)
                    continue
                break
            answered += 1

    async def killer() -> None:
        while answered < 60:
            await asyncio.sleep(0.005)
        two_apps.processes[0].kill()
        killed.set()

    try:
        await asyncio.gather(killer(), *(parent(n, p) for n, p in enumerate(phones)))
        assert two_apps.processes[0].wait(5) == -9
        assert retried > 0  # it died with texts in flight
        # What the dead process committed but never relayed: the survivor's sweep.
        await store.relay_pending()
        added_pending = 0
        for phone in phones:
            session = await store.load(phone)
            assert session is not None
            assert session.plan.answers["onboarding"]["name"] == "Sam"
            assert session.plan.is_done("onboarding")
            keys = store.keys_for(phone)
            if await store._redis.exists(keys.pending):
                info = await store._redis.xinfo_stream(keys.pending)
                assert info["length"] == 0
                added_pending += info["entries-added"]
        outbox = await store._redis.xinfo_stream(store.outbox_key)
        assert outbox["entries-added"] == added_pending > 0
        assert sorted([c async for c in store.contacts()]) == sorted(
            store.keys_for(p).contact for p in phones
        )
    finally:
        for client in clients:
            await client.aclose()
        await store.close()
