"""Flood limits: per phone, per web-chat client address, paging, idle anonymous chats."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bot import floods
from bot.careteam.directory import HANDOFF_EVENT
from bot.channels.webchat import COOKIE_NAME
from bot.engine.events import HandoffRequested
from bot.engine.session import Session
from bot.floods import FloodGuard, FloodLimits
from bot.store.client import client_for_url
from bot.store.limiter import Limiter, PageGate
from tests.web.conftest import (
    REDIS_URL,
    KeySpace,
    make_settings,
    new_phone,
    running_app,
    runtime_of,
    text,
)

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]

OVER = "We got many messages from you at once."
START = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def app_and_clock(tmp_path: Path, keyspace: KeySpace) -> AsyncIterator[tuple[FastAPI, Clock]]:
    settings = make_settings(tmp_path, flood_texts_per_contact=5, flood_chats_per_client=3)
    clock = Clock()
    async with running_app(settings, keyspace, clock=clock) as application:
        yield application, clock


def client_for(app: FastAPI, address: str = "203.0.113.9") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="https://testserver")


async def test_one_phone_past_its_limit_is_told_once_then_not_answered(
    app_and_clock: tuple[FastAPI, Clock],
) -> None:
    """Five texts answered; the sixth gets one kind text; then silence, except STOP and
    crisis words; the next window answers again."""
    app, clock = app_and_clock
    phone = new_phone()
    async with client_for(app) as http:
        answered = [await text(http, phone, "hi") for _ in range(5)]
        assert all(answered)
        assert all(OVER not in r for replies in answered for r in replies)
        told = await text(http, phone, "hi")
        assert len(told) == 1
        assert told[0].startswith(OVER)
        assert "988" in told[0]
        assert await text(http, phone, "hi") == []
        assert await text(http, phone, "menu") == []
        crisis = await text(http, phone, "I want to die")
        assert any("988" in r for r in crisis)
        assert OVER not in crisis[0]
        stopped = await text(http, phone, "STOP")
        assert stopped
        assert OVER not in stopped[0]
        other = await text(http, new_phone(), "hi")  # another phone is not limited
        assert other
        assert OVER not in other[0]
        clock.now += timedelta(minutes=6)
        again = await text(http, phone, "START")
        assert again
        assert OVER not in again[0]


# Crisis texts the learned model catches (tests/corpora/crisis*): the test uses those the
# word rules miss today (the rules grow; the list has spares).
MODEL_CATCHES = (
    "yo my homie just fell out n he aint breathin",
    "i put my son in his crib and punched the wall next to his head",
    "hes having a seizure right now shaking all over",
    "my son chewed on one of my pain patches",
    "i keep googling how many pills it takes",
    "sometimes i think about dropping her down the stairs",
    "yanked my daughter by the arm so hard i think something popped",
    "ex keeps showing up at my job saying im dead if he sees me w someone",
)


async def test_a_crisis_only_the_model_catches_passes_a_flood(
    app_and_clock: tuple[FastAPI, Clock],
) -> None:
    """The flood guard reads a crisis as the conversation does (rules, then the model): a
    parent past the limit who writes one the rules miss still gets the numbers."""
    app, _clock = app_and_clock
    engine = runtime_of(app).service.engine
    missed = [
        t
        for t in MODEL_CATCHES
        if engine.crisis.find(t) is None and engine.crisis_reading(t, "en") is not None
    ]
    assert missed, "the rules catch every text here now: add crisis texts only the model reads"
    phone = new_phone()
    async with client_for(app) as http:
        for _ in range(6):
            await text(http, phone, "hi")
        assert await text(http, phone, "hi") == []  # over the limit, told already
        for crisis in missed[:2]:
            replies = await text(http, phone, crisis)
            assert any("988" in r or "911" in r for r in replies), (crisis, replies)
            assert all(OVER not in r for r in replies)


async def test_an_opted_out_phone_past_its_limit_hears_nothing(
    app_and_clock: tuple[FastAPI, Clock],
) -> None:
    """After STOP, texts past the limit get no "too many" text: STOP holds first."""
    app, _clock = app_and_clock
    phone = new_phone()
    async with client_for(app) as http:
        assert await text(http, phone, "hi")
        assert await text(http, phone, "STOP")
        quiet = [await text(http, phone, "hi") for _ in range(6)]
        assert quiet == [[]] * 6


async def chat(http: httpx.AsyncClient, text: str, chat_id: str | None = None) -> list[str]:
    http.cookies.clear()
    if chat_id:
        http.cookies.set(COOKIE_NAME, chat_id)
    response = await http.post("/chat/messages", json={"text": text})
    assert response.status_code == 200, response.text
    replies: list[str] = response.json()["replies"]
    return replies


async def test_one_client_address_gets_a_few_web_chats_at_a_time(
    app_and_clock: tuple[FastAPI, Clock],
) -> None:
    """Three chats from one address are answered; a fourth and fifth are told kindly, once
    each, and not started; a chat already going keeps going; another address is free."""
    app, _clock = app_and_clock
    ids = [secrets.token_urlsafe(24) for _ in range(5)]
    async with client_for(app) as http:
        for chat_id in ids[:3]:
            replies = await chat(http, "hi", chat_id)
            assert replies
            assert OVER not in replies[0]
        for chat_id in ids[3:]:
            told = await chat(http, "hi", chat_id)
            assert len(told) == 1
            assert told[0].startswith(OVER)
            assert await chat(http, "TALK", chat_id) == []
        store = runtime_of(app).service.store
        assert [await store.load(f"web:{i}") is None for i in ids] == [False] * 3 + [True] * 2
        assert (await chat(http, "menu", ids[0]))[0] != ""
        cookieless = await chat(http, "hi")  # a new chat id each time: still the same client
        assert len(cookieless) == 1
        assert cookieless[0].startswith(OVER)
    async with client_for(app, "198.51.100.40") as elsewhere:
        replies = await chat(elsewhere, "hi", secrets.token_urlsafe(24))
        assert replies
        assert OVER not in replies[0]


async def test_an_anonymous_web_chat_expires_when_idle(
    app_and_clock: tuple[FastAPI, Clock], keyspace: KeySpace
) -> None:
    """A chat that shares nothing with a care team goes after WEBCHAT_IDLE_DAYS without a
    message; one that answered the care-team questions is kept."""
    app, _clock = app_and_clock
    store = runtime_of(app).service.store
    chat_id = secrets.token_urlsafe(24)
    async with client_for(app) as http:
        await chat(http, "hi", chat_id)
    keys = store.keys_for(f"web:{chat_id}")  # type: ignore[attr-defined]
    idle_s = 30 * 24 * 3600
    for key in (keys.session, keys.plan, keys.address):
        assert idle_s - 60 < keyspace.client.ttl(key) <= idle_s

    sharing_id = secrets.token_urlsafe(24)

    def consented(session: Session) -> tuple[Session, list[str], list[Any]]:
        session.plan.answers["care_team"] = {"share_basic_needs": ["social_worker"]}
        return session, [], []

    await store.transact(f"web:{sharing_id}", None, consented)
    async with client_for(app, "198.51.100.41") as http:
        await chat(http, "hi", sharing_id)
    kept = store.keys_for(f"web:{sharing_id}")  # type: ignore[attr-defined]
    for key in (kept.session, kept.plan, kept.address):
        assert keyspace.client.ttl(key) == -1


async def test_person_requests_past_a_clients_limit_are_not_paged(
    app_and_clock: tuple[FastAPI, Clock], keyspace: KeySpace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first request for a person from a client address keeps its page; later ones from
    the same address within the window give their page slot up (the inbox still has them)."""
    # The counting is under test, not the time budget. Twice on a loaded machine (stop 33, the
    # cluster run) this read [True, True, False]: the first hit went uncounted, as when the
    # 0.3 s budget runs out on a new Redis Cluster client's first connections (the guard then
    # lets the message through, as designed), and the second request kept its page.
    monkeypatch.setattr(floods, "BUDGET_S", 30.0)
    app, clock = app_and_clock
    runtime = runtime_of(app)
    store = runtime.service.store
    redis = client_for_url(REDIS_URL)
    limiter = Limiter(redis, b"k" * 32, keyspace.prefix + "unit:")
    pages = PageGate(limiter, 1800)
    guard = FloodGuard(
        limiter,
        pages,
        store,  # type: ignore[arg-type]
        runtime.service.engine.keywords,
        FloodLimits(handoffs_per_client=1),
        crisis=runtime.service.engine.is_crisis,
    )
    asked = [HandoffRequested("parent_asked")]
    addresses = [f"web:{secrets.token_urlsafe(24)}" for _ in range(3)]
    for address in addresses:
        await guard.after(address, Session(), list(asked), clock(), "203.0.113.9")
    contacts = [store.keys_for(a).contact for a in addresses]  # type: ignore[attr-defined]
    assert [await pages.first(c, HANDOFF_EVENT, "parent_asked") for c in contacts] == [
        True,
        False,
        False,
    ]
    await redis.aclose()
