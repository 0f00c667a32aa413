"""When Redis stops or hangs, the webhook still answers fast, changes nothing, and resumes after."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.exceptions import ResponseError

from app import create_app
from bot.channels.twilio_sms import TROUBLE
from tests.fakes.redis_server import PrivateRedis
from tests.web.conftest import (
    inbound_params,
    make_settings,
    new_phone,
    new_sid,
    post_signed,
    runtime_of,
    store_of,
    twiml_messages,
)
from tests.web.conftest import text as send_text

# Every test here shares Redis db 14 (flushed around each test): one xdist worker runs them.
pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]


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
    application = create_app(
        make_settings(tmp_path, redis_url=private_redis.url), freeze_heap=False
    )
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def flaky_client(flaky_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=flaky_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


async def answered(client: httpx.AsyncClient, phone: str, body: str) -> list[str]:
    response = await post_signed(client, "/twilio/sms", inbound_params(phone, body))
    assert response.status_code == 200
    return twiml_messages(response.text)


async def test_redis_stopped_then_back(
    flaky_client: httpx.AsyncClient, flaky_app: FastAPI, private_redis: PrivateRedis
) -> None:
    """Redis gone: the trouble TwiML (no timeout waited) and 503 health; back: the parent
    resumes in place. A text sent down a kept connection the stopped server had already
    closed cannot know whether Redis ran it: that one fails the webhook (503, outcome
    unknown) instead, and Twilio's retry of the same MessageSid, once Redis is back, is
    answered and applied once. Which of the two happens depends on whether the event loop
    saw the server's close before the write, so both are held here."""
    phone = new_phone()
    await send_text(flaky_client, phone, "hi")
    await send_text(flaky_client, phone, "yes")
    before = await store_of(flaky_app).load(phone)
    assert before is not None
    assert before.step == "name"

    private_redis.stop()
    params = inbound_params(phone, "Sam")
    down = await post_signed(flaky_client, "/twilio/sms", params)
    assert (down.status_code, twiml_messages(down.text) if down.status_code == 200 else []) in (
        (200, [TROUBLE]),
        (503, []),
    )
    assert (await flaky_client.get("/healthz")).status_code == 503

    private_redis.start()  # same port, same append-only data
    assert (await flaky_client.get("/healthz")).json() == {"redis": "ok"}
    after = await store_of(flaky_app).load(phone)
    assert after is not None
    assert after.to_json() == before.to_json()
    again = params if down.status_code == 503 else inbound_params(phone, "Sam")
    replies = twiml_messages((await post_signed(flaky_client, "/twilio/sms", again)).text)
    assert "Do others use or see this phone?" in replies[0]
    resumed = await store_of(flaky_app).load(phone)
    assert resumed is not None
    assert resumed.plan.answer("onboarding", "name") == "Sam"


async def test_redis_hanging_still_answers_the_parent(
    flaky_client: httpx.AsyncClient, flaky_app: FastAPI, private_redis: PrivateRedis
) -> None:
    """A Redis that accepts but never answers (SIGSTOP): the socket time-out gives the parent
    the trouble reply while Redis is still stopped, and nothing changed."""
    phone = new_phone()
    await send_text(flaky_client, phone, "hi")
    # As if another process had served "hi": this one asks for the lock first (BEGIN), and
    # sends no write until it has it.
    store_of(flaky_app)._written.clear()
    private_redis.pause()
    try:
        replies = await answered(flaky_client, phone, "yes")
    finally:
        private_redis.resume()
    assert replies == [TROUBLE]
    session = await store_of(flaky_app).load(phone)
    assert session is not None
    assert session.step == "consent"


async def test_redis_hanging_on_a_one_round_trip_text_fails_it_and_the_retry_replays(
    flaky_client: httpx.AsyncClient, flaky_app: FastAPI, private_redis: PrivateRedis
) -> None:
    """This process served the contact's last text, so the next one goes with its writes in
    the first round trip (bot/store/session_cache.py). Redis hangs (SIGSTOP): the writes
    may yet run, so not "try later" but a 503 that Twilio retries; once Redis is back the
    retry answers what was saved, and the text was applied once."""
    phone, sid = new_phone(), new_sid()
    expected = await control_run(flaky_client, flaky_app, ["hi", "yes"])
    await send_text(flaky_client, phone, "hi")
    private_redis.pause()
    try:
        response = await post_signed(flaky_client, "/twilio/sms", inbound_params(phone, "yes", sid))
    finally:
        private_redis.resume()
    retried = (phone, "yes", sid)
    await failed_then_replayed(flaky_client, flaky_app, response, retried, expected)


async def failed_then_replayed(
    client: httpx.AsyncClient,
    app: FastAPI,
    response: httpx.Response,
    retried: tuple[str, str, str],
    expected: Any,
) -> None:
    """A 503 (never "try later"); Twilio's retry of the MessageSid then gets the replies of
    the one application of the text (`expected`: control_run's replies and place)."""
    phone, body, sid = retried
    expected_replies, expected_place = expected
    assert response.status_code == 503
    assert TROUBLE not in response.text
    assert await send_text(client, phone, body, sid) == expected_replies
    after = await store_of(app).load(phone)
    assert after is not None
    assert (after.flow, after.step, after.tries) == expected_place


def stall_every_commit(
    app: FastAPI, server: PrivateRedis, monkeypatch: pytest.MonkeyPatch, stall_s: float
) -> list[asyncio.Future[None]]:
    """Pause Redis just before each commit is sent; resume it stall_s later. The resume is the
    event loop's timer, not a thread's: under faketime a thread's timed wait never ends."""
    store = store_of(app)
    original = store._write
    resumed: list[asyncio.Future[None]] = []

    async def stalled_write(*args: Any, **kwargs: Any) -> int:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def resume() -> None:
            server.resume()
            done.set_result(None)

        server.pause()
        loop.call_later(stall_s, resume)
        resumed.append(done)
        return await original(*args, **kwargs)

    monkeypatch.setattr(store, "_write", stalled_write)
    return resumed


async def control_run(client: httpx.AsyncClient, app: FastAPI, texts: list[str]) -> Any:
    """The same texts from another phone with Redis healthy: what the parent should get."""
    phone = new_phone()
    replies: list[str] = []
    for body in texts:
        replies = await send_text(client, phone, body)
    session = await store_of(app).load(phone)
    assert session is not None
    return replies, (session.flow, session.step, session.tries)


async def answer_during_a_stall(
    client: httpx.AsyncClient,
    app: FastAPI,
    server: PrivateRedis,
    monkeypatch: pytest.MonkeyPatch,
    phone: str,
    sid: str,
    stall_s: float,
) -> tuple[list[str], Any, httpx.Response]:
    """A control run, then the parent's "Sam" (MessageSid sid) with its commit stalled."""
    expected_replies, expected_place = await control_run(client, app, ["hi", "yes", "Sam"])
    await send_text(client, phone, "hi")
    await send_text(client, phone, "yes")
    resumed = stall_every_commit(app, server, monkeypatch, stall_s)
    response = await post_signed(client, "/twilio/sms", inbound_params(phone, "Sam", sid))
    await asyncio.gather(*resumed)
    monkeypatch.undo()
    return expected_replies, expected_place, response


async def test_commit_stalled_past_the_client_timeout_is_settled_not_repeated(
    flaky_client: httpx.AsyncClient,
    flaky_app: FastAPI,
    private_redis: PrivateRedis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Redis stalls 1.3 s during the commit (client time-out 1 s): the webhook learns whether it
    ran. Saved: the real replies. Not saved: "try later", and the re-sent text applies once."""
    phone, sid = new_phone(), new_sid()
    expected_replies, expected_place, response = await answer_during_a_stall(
        flaky_client, flaky_app, private_redis, monkeypatch, phone, sid, 1.3
    )
    session = await store_of(flaky_app).load(phone)
    assert session is not None
    if response.status_code == 503:  # still unknown within the budget: Twilio retries
        response = await post_signed(flaky_client, "/twilio/sms", inbound_params(phone, "Sam", sid))
    assert response.status_code == 200
    replies = twiml_messages(response.text)
    if replies == [TROUBLE]:
        # "Not saved" must be true: the parent is where they were, and re-sends.
        assert session.step == "name"
        replies = await send_text(flaky_client, phone, "Sam")
    assert replies == expected_replies
    # Twilio's own retry of the same MessageSid replays, and changes nothing.
    assert await send_text(flaky_client, phone, "Sam", sid) == expected_replies
    after = await store_of(flaky_app).load(phone)
    assert after is not None
    assert (after.flow, after.step, after.tries) == expected_place


async def test_commit_outcome_still_unknown_fails_the_webhook_and_the_retry_replays(
    flaky_client: httpx.AsyncClient,
    flaky_app: FastAPI,
    private_redis: PrivateRedis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stall longer than the webhook's budget: 503 (never "try later"), so Twilio retries the
    MessageSid, and the retry gets the replies of the one application of the text."""
    phone, sid = new_phone(), new_sid()
    *expected, response = await answer_during_a_stall(
        flaky_client, flaky_app, private_redis, monkeypatch, phone, sid, 3.0
    )
    retried = (phone, "Sam", sid)
    await failed_then_replayed(flaky_client, flaky_app, response, retried, expected)


async def test_trouble_reply_is_in_the_parents_language(
    flaky_client: httpx.AsyncClient, flaky_app: FastAPI, private_redis: PrivateRedis
) -> None:
    """Redis down: a Spanish-speaking parent (known, or greeting in Spanish) hears Spanish."""
    service = runtime_of(flaky_app).service
    spanish = service.gettext("es", TROUBLE)
    assert spanish != TROUBLE
    known = new_phone()
    await send_text(flaky_client, known, "hola")
    session = await store_of(flaky_app).load(known)
    assert session is not None
    assert session.locale == "es"
    private_redis.stop()
    assert await reply_while_down(flaky_client, known, "Sam") == [spanish]
    assert await reply_while_down(flaky_client, new_phone(), "hola") == [spanish]
    assert await reply_while_down(flaky_client, new_phone(), "hi") == [TROUBLE]


async def reply_while_down(client: httpx.AsyncClient, phone: str, body: str) -> list[str]:
    """The reply a parent gets while Redis is down. A text sent down a kept connection the
    stopped server had already closed cannot know whether Redis ran it: the webhook fails
    (503) and Twilio retries the same MessageSid (README: `#rc=3`), which then meets a refused
    connection and gets the trouble reply; each pooled connection can do this once."""
    params = inbound_params(phone, body)
    for _ in range(3):
        response = await post_signed(client, "/twilio/sms", params)
        if response.status_code != 503:
            break
    assert response.status_code == 200, response.text
    return twiml_messages(response.text)


async def test_the_app_starts_while_redis_is_down_and_recovers(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    """Redis away at start: the app starts, /healthz is 503, a text gets "try later"; Redis back:
    healthy, texts are answered, and the care-team worker creates its consumer group."""
    private_redis.stop()  # its port stays reserved for the restart below
    application = create_app(
        make_settings(tmp_path, redis_url=private_redis.url), freeze_heap=False
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            assert (await http.get("/healthz")).status_code == 503
            assert await send_text(http, new_phone(), "hi") == [TROUBLE]
            private_redis.start()
            assert (await http.get("/healthz")).json() == {"redis": "ok"}
            replies = await send_text(http, new_phone(), "hi")
            assert replies
            assert replies != [TROUBLE]
            careteam = application.state.runtime.careteam
            stream = store_of(application).outbox_stream
            groups: list[dict[str, Any]] = []
            for _ in range(400):  # the workers' backoff is bounded (SETUP_MAX_DELAY_S)
                with contextlib.suppress(ResponseError):  # no stream yet
                    groups = await careteam.records.store.redis.xinfo_groups(stream)
                if len(groups) == 2:  # care-team delivery and reminder intake
                    break
                await asyncio.sleep(0.05)
            names = {g["name"] for g in groups}
            assert careteam.worker.config.group.encode() in names
            assert len(names) == 2
            assert careteam.task is not None
            assert not careteam.task.done()
