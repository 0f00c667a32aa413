"""When Redis stops or hangs, the webhook still answers fast, changes nothing, and resumes after."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app import create_app
from bot.channels.twilio_sms import TROUBLE
from tests.fakes.redis_server import PrivateRedis
from tests.web.conftest import (
    inbound_params,
    make_settings,
    new_phone,
    post_signed,
    store_of,
    twiml_messages,
)
from tests.web.conftest import text as send_text

# Every test here shares Redis db 14 (flushed around each test): one xdist worker runs them.
pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]

ANSWER_WITHIN_S = 2.0


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis-data")
    server.data_dir.mkdir()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def flaky_app(private_redis: PrivateRedis, tmp_path: Path) -> AsyncIterator[FastAPI]:
    # Its own redis-server: nothing shared, so no key prefix is needed here.
    application = create_app(make_settings(tmp_path, redis_url=private_redis.url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def flaky_client(flaky_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=flaky_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


async def timed_post(client: httpx.AsyncClient, phone: str, body: str) -> tuple[float, list[str]]:
    started = time.monotonic()
    response = await post_signed(client, "/twilio/sms", inbound_params(phone, body))
    assert response.status_code == 200
    return time.monotonic() - started, twiml_messages(response.text)


async def test_redis_stopped_then_back(
    flaky_client: httpx.AsyncClient, flaky_app: FastAPI, private_redis: PrivateRedis
) -> None:
    """Redis gone: the trouble TwiML fast and 503 health; back: the parent resumes in place."""
    phone = new_phone()
    await send_text(flaky_client, phone, "hi")
    await send_text(flaky_client, phone, "yes")
    before = await store_of(flaky_app).load(phone)
    assert before is not None
    assert before.step == "name"

    private_redis.stop()
    elapsed, replies = await timed_post(flaky_client, phone, "Sam")
    assert replies == [TROUBLE]
    assert elapsed < ANSWER_WITHIN_S
    assert (await flaky_client.get("/healthz")).status_code == 503

    private_redis.start()  # same port, same append-only data
    assert (await flaky_client.get("/healthz")).json() == {"redis": "ok"}
    after = await store_of(flaky_app).load(phone)
    assert after is not None
    assert after.to_json() == before.to_json()
    replies = await send_text(flaky_client, phone, "Sam")
    assert "Are you pregnant now" in replies[0]


async def test_redis_hanging_answers_within_two_seconds(
    flaky_client: httpx.AsyncClient, flaky_app: FastAPI, private_redis: PrivateRedis
) -> None:
    """A Redis that accepts but never answers (SIGSTOP) still gets the parent an answer in 2 s."""
    phone = new_phone()
    await send_text(flaky_client, phone, "hi")
    private_redis.pause()
    try:
        elapsed, replies = await timed_post(flaky_client, phone, "yes")
    finally:
        private_redis.resume()
    assert replies == [TROUBLE]
    assert elapsed < ANSWER_WITHIN_S
    session = await store_of(flaky_app).load(phone)
    assert session is not None
    assert session.step == "consent"
