"""Operators' view: health, metrics, logs without personal data, Redis round trips, data at rest."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from app import YOUNG_GC_THRESHOLD
from bot.observability import JsonFormatter
from bot.service import Handled
from bot.settings import Settings
from bot.store.client import client_for_url
from bot.store.embedded import EmbeddedServer
from bot.store.roundtrips import RoundTripCounter, counting_client
from tests.web.conftest import (
    REDIS_URL,
    KeySpace,
    inbound_params,
    make_settings,
    new_phone,
    post_signed,
    running_app,
    runtime_of,
    text,
)

# Every test here shares Redis db 14 (flushed around each test): one xdist worker runs them.
pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]

# Answers distinctive enough to spot anywhere they might leak.
NAME = "Zyxwanda"
ZIP = "06103"
HANG_GUARD_S = 30  # a hang guard, not a speed figure


async def test_root_redirects_to_the_chat(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/chat"


async def test_healthz_reports_redis(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"redis": "ok"}


async def test_metrics_count_inbound_replies_rejections_and_latency(
    client: httpx.AsyncClient,
) -> None:
    """Prometheus text with inbound and replies by channel, refusals and the latency histogram."""
    phone = new_phone()
    texts = await text(client, phone, "hi")
    await client.post("/twilio/sms", data=inbound_params(phone, "yes"))  # unsigned
    await client.post("/chat/messages", json={"text": "hi"})
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert 'safestart_inbound_messages_total{channel="sms"} 1.0' in body
    assert 'safestart_inbound_messages_total{channel="web"} 1.0' in body
    # One reply (the welcome with its language line), sent as two SMS texts (segments.sms_texts).
    assert len(texts) == 2
    assert 'safestart_replies_total{channel="sms"} 1.0' in body
    assert 'safestart_rejected_requests_total{channel="sms",reason="signature"} 1.0' in body
    assert 'safestart_inbound_latency_seconds_count{channel="sms"} 1.0' in body
    assert "safestart_errors_total" in body
    # The care-team queue, read from Redis at the scrape (nothing is waiting here).
    assert "safestart_careteam_deliveries_pending 0.0" in body
    assert "safestart_careteam_deliveries_parked 0.0" in body


async def test_logs_are_json_without_phone_numbers_or_answers(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Every log line is JSON; none holds the phone number, its digits, or what was typed."""
    phone = new_phone()
    caplog.set_level(logging.DEBUG)
    for body in ("hi", "yes", NAME, "1", "3/3/2027", ZIP):
        await text(client, phone, body)
    await client.post("/twilio/sms", data=inbound_params(phone, NAME))  # refused, still logged
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert any(json.loads(line).get("event") == "inbound" for line in lines)
    assert any(json.loads(line).get("event") == "bad_signature" for line in lines)
    for line in lines:
        json.loads(line)
        assert phone not in line
        assert phone[2:] not in line
        assert NAME not in line


async def test_an_inbound_text_costs_at_most_two_redis_round_trips(
    tmp_path: Path, keyspace: KeySpace
) -> None:
    """Counted at the client's socket: the flood counter, dedupe, lock, load, save and
    unlock all in <= 2; a retry costs one (the dedupe, before any counting)."""
    counter = RoundTripCounter()

    async def counting(settings: Settings) -> tuple[Redis, EmbeddedServer | None, str]:
        return counting_client(REDIS_URL, counter), None, "counting client"

    async with running_app(make_settings(tmp_path), keyspace, connect=counting) as application:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            phone = new_phone()
            await text(http, phone, "hi")  # warms the connection (HELLO/SELECT)
            counts = []
            for body in ("yes", NAME, "1"):
                counter.reset()
                await text(http, phone, body)
                counts.append(counter.reset())
            sid_params = inbound_params(phone, "3/3/2027")
            await post_signed(http, "/twilio/sms", sid_params)
            counter.reset()
            await post_signed(http, "/twilio/sms", sid_params)  # a retry: the dedupe only
            counts.append(counter.reset())
    assert max(counts) <= 2, counts
    assert counts[-1] == 1, counts


async def test_redis_holds_no_phone_number_or_answer_in_plain_text(
    client: httpx.AsyncClient, keyspace: KeySpace
) -> None:
    """SCAN every key of db 14 and read every value: no phone number, name or ZIP in clear."""
    phone = new_phone()
    for body in ("hi", "yes", NAME, "1", "3/3/2027", ZIP):
        await text(client, phone, body)
    await client.post("/chat/messages", json={"text": "hello"})
    dump: list[Any] = []
    redis_client = keyspace.client
    for key in keyspace.stored():
        dump.append(key)
        kind = redis_client.type(key)
        if kind == b"string":
            dump.append(redis_client.get(key) or b"")
        elif kind == b"hash":
            dump.extend(redis_client.hgetall(key).items())
        elif kind == b"list":
            dump.extend(redis_client.lrange(key, 0, -1))
        elif kind == b"stream":
            dump.extend(redis_client.xrange(key) or [])
    everything = repr(dump).encode()
    assert dump, "nothing was stored"
    for secret in (phone, phone[2:], NAME, ZIP):
        assert secret.encode() not in everything


async def test_event_hooks_see_events_and_a_failing_hook_loses_nothing(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Hooks run after the save, beside the reply: a raising hook is counted and logged, the
    reply still goes."""
    seen: list[Handled] = []

    async def broken(handled: Handled) -> None:
        raise RuntimeError("a delivery worker that fell over")

    async def recorder(handled: Handled) -> None:
        seen.append(handled)

    service = runtime_of(app).service
    service.add_hook(broken)
    service.add_hook(recorder)
    phone = new_phone()
    await text(client, phone, "hi")
    replies = await text(client, phone, "STOP")
    assert "unsubscribed" in replies[0]
    await service.settle()
    assert [type(e).__name__ for h in seen for e in h.events] == ["OptedOut"]
    assert seen[0].channel == "sms"
    metrics = (await client.get("/metrics")).text
    assert 'safestart_errors_total{kind="hook"} 1.0' in metrics
    assert 'safestart_engine_events_total{type="OptedOut"} 1.0' in metrics


async def test_an_embedded_redis_is_stopped_on_shutdown(tmp_path: Path, keyspace: KeySpace) -> None:
    """Whatever connect_redis started, the app stops when it shuts down."""
    stopped: list[bool] = []

    class Embedded:
        def stop(self) -> None:
            stopped.append(True)

    async def connect(settings: Settings) -> tuple[Redis, EmbeddedServer | None, str]:
        fake = cast(EmbeddedServer, Embedded())
        return client_for_url(REDIS_URL), fake, "embedded (test)"

    async with running_app(make_settings(tmp_path), keyspace, connect=connect) as application:
        assert runtime_of(application).redis_description == "embedded (test)"
        assert stopped == []
    assert stopped == [True]


async def test_the_app_always_shuts_down_promptly(
    tmp_path: Path, keyspace: KeySpace, caplog: pytest.LogCaptureFixture
) -> None:
    """Stopping the app never waits on its background workers (found hanging: a cancel that
    redis-py turned into a connection error kept the care-team worker looping; a cancel it
    swallowed in XGROUP CREATE kept the reminder dispatcher in a blocking read). Every loop
    stops on its first cancel: none needs the bounded retries of finish()."""
    caplog.set_level(logging.WARNING)
    for _ in range(5):
        async with asyncio.timeout(HANG_GUARD_S):
            async with running_app(make_settings(tmp_path), keyspace) as application:
                transport = httpx.ASGITransport(app=application)
                async with httpx.AsyncClient(transport=transport, base_url="https://t") as http:
                    await http.post("/chat/messages", json={"text": "hi"})
    assert "did not stop" not in caplog.text


async def test_the_start_up_heap_is_frozen_while_the_app_runs(
    settings: Settings, keyspace: KeySpace
) -> None:
    """Flows, catalogs and the ZIP table are kept out of the collector's full passes (as the
    app does by default; the other tests skip it, see running_app)."""
    # Not "nothing frozen yet": another app of this test process (a server thread of an
    # earlier module) may still hold its own freeze. What counts: ours, then none.
    before = gc.get_threshold()
    async with running_app(settings, keyspace, freeze_heap=True):
        assert gc.get_freeze_count() > 10_000
        # The youngest generation is collected every 5,000 allocations, not every 700.
        assert gc.get_threshold() == (YOUNG_GC_THRESHOLD, *before[1:])
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
