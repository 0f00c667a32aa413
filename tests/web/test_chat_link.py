"""CHAT: a private link texted to a parent opens the web chat on their own plan, under the
same consent and STOP rules; an unknown link opens nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.channels.webchat import COOKIE_NAME
from bot.settings import Settings
from tests.clock import NOW
from tests.web.conftest import (
    PUBLIC_BASE_URL,
    KeySpace,
    make_settings,
    new_phone,
    running_app,
    store_of,
    text,
)
from tests.web.test_whatsapp import whatsapp

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]

LINK = re.compile(re.escape(PUBLIC_BASE_URL) + r"(/chat/open/[A-Za-z0-9_-]+)")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, chat_link_hours=12)


@pytest.fixture
async def app(settings: Settings, keyspace: KeySpace) -> AsyncIterator[FastAPI]:
    async with running_app(settings, keyspace, clock=lambda: NOW) as application:
        yield application


async def chat_link(client: httpx.AsyncClient, phone: str) -> str:
    [reply] = await text(client, phone, "CHAT")
    assert "This private link works for 12 hours" in reply
    found = LINK.search(reply)
    assert found is not None, reply
    return found.group(1)


async def open_link(client: httpx.AsyncClient, path: str) -> str:
    """Open the link in a fresh browser: its new chat cookie."""
    client.cookies.clear()
    response = await client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/chat"
    chat = response.cookies.get(COOKIE_NAME)
    assert chat
    return chat


async def say(client: httpx.AsyncClient, chat: str, message: str) -> list[str]:
    client.cookies.set(COOKIE_NAME, chat)
    response = await client.post("/chat/messages", json={"text": message})
    assert response.status_code == 200, response.text
    return list(response.json()["replies"])


async def test_the_link_continues_the_plan_begun_by_sms(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Texted on CHAT; opened, the browser answers the SMS plan's next question; the page
    says so; no second contact appears for the chat."""
    store = store_of(app)
    phone = new_phone()
    for message in ("Hi", "yes"):
        await text(client, phone, message)
    chat = await open_link(client, await chat_link(client, phone))
    page = await client.get("/chat")
    assert "continues the plan you started by text" in page.text
    await say(client, chat, "Sam")
    session = await store.load(phone)
    assert session is not None
    assert session.plan.answers["onboarding"]["name"] == "Sam"
    assert await store.load(f"web:{chat}") is None


async def test_stop_in_the_chat_stops_the_texts_and_chat_is_not_answered_after_stop(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """STOP typed in the linked chat opts the parent out (one contact); after that, CHAT by
    SMS gets no link (silence, as after any STOP)."""
    phone = new_phone()
    for message in ("Hi", "yes"):
        await text(client, phone, message)
    chat = await open_link(client, await chat_link(client, phone))
    assert await say(client, chat, "STOP")
    session = await store_of(app).load(phone)
    assert session is not None
    assert session.status == "opted_out"
    assert await text(client, phone, "CHAT") == []


async def test_no_link_before_consent_and_none_for_an_unknown_token(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """A stranger's CHAT starts the usual welcome; a made-up link is a 404 page."""
    replies = await text(client, new_phone(), "CHAT")
    assert not any("/chat/open/" in r for r in replies)
    response = await client.get("/chat/open/" + "x" * 32)
    assert response.status_code == 404
    assert "Text CHAT to get a new one" in response.text


async def test_whatsapp_parents_get_a_link_too(client: httpx.AsyncClient, app: FastAPI) -> None:
    """CHAT from WhatsApp: the link's chat continues the WhatsApp plan."""
    phone = new_phone()
    for message in ("Hi", "yes"):
        await whatsapp(client, phone, message)
    [reply] = await whatsapp(client, phone, "chat")
    found = LINK.search(reply)
    assert found is not None
    chat = await open_link(client, found.group(1))
    await say(client, chat, "Bia")
    session = await store_of(app).load(f"whatsapp:{phone}")
    assert session is not None
    assert session.plan.answers["onboarding"]["name"] == "Bia"


async def test_a_shared_phones_private_questions_are_answered_in_the_linked_chat(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """On a shared phone the recovery part waits by text (one line naming nothing private);
    the link's chat asks its questions in full, and the answers land in the phone's plan."""
    store = store_of(app)
    phone = new_phone()
    onboarding = ("Hi", "yes", "Sam", "yes", "1", "9/30/2026", "06103", "1", "0")
    for message in (*onboarding, "menu"):
        await text(client, phone, message)
    [waiting] = await text(client, phone, "4")
    assert waiting.startswith("The next questions are private. Reply CHAT")
    assert "recovery" not in waiting.lower()
    chat = await open_link(client, await chat_link(client, phone))
    [asked] = await say(client, chat, "hi")
    assert "This part is about recovery" in asked
    assert "Are you getting care for substance use now" in asked
    await say(client, chat, "1")
    session = await store.load(phone)
    assert session is not None
    assert session.plan.answers["recovery"]["in_treatment"] == "yes"
    assert session.step == "provider_name"
