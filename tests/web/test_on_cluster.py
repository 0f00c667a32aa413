"""The HTTP suite and a whole plan on a 3-primary Redis Cluster, with two app processes.

The cluster comes from tests/conftest.py (one per xdist worker that runs these; the
xdist_group keeps them on one).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.engine.machine import Engine
from bot.store.client import client_for_url
from bot.store.crypto import Cipher, parse_key
from bot.store.redis_store import RedisConversationStore
from tests.clock import NOW
from tests.web.cluster_apps import ROOT, Apps, running_apps, text_until_saved
from tests.web.conftest import DATA_KEY, new_phone, text
from tests.web.test_whole_plan import build_whole_plan

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("cluster")]

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


@pytest.fixture
def two_apps(redis_cluster_url: str, tmp_path: Path) -> Iterator[Apps]:
    """Two `uvicorn` processes of the app on the cluster, one keyspace."""
    with running_apps(redis_cluster_url, tmp_path) as apps:
        yield apps


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
ONBOARDING = ["hi", "yes", "Sam", "no", "1", f"{DUE.month}/{DUE.day}/{DUE.year}", "06103", "1", "0"]
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
    phones = [new_phone() for _ in range(20)]
    answered = 0
    killed = asyncio.Event()
    retried = 0

    async def kill_as_a_text_goes_out(request: httpx.Request) -> None:
        # Past 60 answers, the first process dies as a text goes out to it, so a text is
        # surely in flight (a kill timed by a poll could land between two texts).
        if answered >= 60 and not killed.is_set():
            two_apps.processes[0].kill()
            killed.set()

    clients = [
        httpx.AsyncClient(
            base_url=two_apps.urls[0],
            timeout=20.0,
            event_hooks={"request": [kill_as_a_text_goes_out]},
        ),
        httpx.AsyncClient(base_url=two_apps.urls[1], timeout=20.0),
    ]

    async def parent(n: int, phone: str) -> None:
        nonlocal answered, retried
        for body in ONBOARDING:
            _, died = await text_until_saved(
                lambda: clients[1 if killed.is_set() else n % 2], phone, body
            )
            retried += died
            answered += 1

    try:
        await asyncio.gather(*(parent(n, p) for n, p in enumerate(phones)))
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
        outbox = await store._redis.xinfo_stream(store.outbox_stream)
        assert outbox["entries-added"] == added_pending > 0
        assert sorted([c async for c in store.contacts()]) == sorted(
            store.keys_for(p).contact for p in phones
        )
    finally:
        for client in clients:
            await client.aclose()
        await store.close()
