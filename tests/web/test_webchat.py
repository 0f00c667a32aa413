"""GET /chat and POST /chat/messages: the same conversation, keyed by an HttpOnly cookie."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from bot.channels.webchat import COOKIE_NAME, MAX_TEXT
from tests.web.conftest import store_of

# Every test here shares Redis db 14 (flushed around each test): one xdist worker runs them.
pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]


async def test_chat_page_is_accessible_and_self_contained(client: httpx.AsyncClient) -> None:
    """The page labels its input, announces replies, loads nothing from other sites."""
    response = await client.get("/chat")
    assert response.status_code == 200
    html = response.text
    assert '<label for="message">' in html
    assert 'id="message"' in html
    assert 'aria-live="polite"' in html
    assert 'name="viewport"' in html
    assert "Safe Start web chat (demo)" in html
    assert "http://" not in html
    assert "https://" not in html
    assert "//cdn" not in html
    assert (await client.get("/static/chat.js")).status_code == 200
    assert (await client.get("/static/chat.css")).status_code == 200


async def test_chat_cookie_is_httponly_and_samesite(client: httpx.AsyncClient) -> None:
    """The first visit sets a random chat id in an HttpOnly, SameSite=Lax cookie."""
    response = await client.get("/chat")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" in cookie
    again = await client.get("/chat")
    assert "set-cookie" not in again.headers  # the same chat continues


async def test_a_conversation_continues_under_the_cookie(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Replies come back as JSON; the session lives under web:<cookie id>."""
    first = await client.post("/chat/messages", json={"text": "hello"})
    assert first.status_code == 200
    assert first.json()["replies"][0].startswith("Hi! This is Safe Start.")
    second = await client.post("/chat/messages", json={"text": "yes"})
    assert "What would you like us to call you?" in second.json()["replies"][0]
    third = await client.post("/chat/messages", json={"text": "Sam"})
    assert "Do others use or see this phone?" in third.json()["replies"][0]
    session = await store_of(app).load(f"web:{client.cookies[COOKIE_NAME]}")
    assert session is not None
    assert session.plan.answer("onboarding", "name") == "Sam"


async def test_two_browsers_have_two_conversations(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Another cookie jar is another parent."""
    await client.post("/chat/messages", json={"text": "hello"})
    await client.post("/chat/messages", json={"text": "yes"})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as other:
        reply = await other.post("/chat/messages", json={"text": "yes"})
        assert reply.json()["replies"][0].startswith("Hi! This is Safe Start.")
        assert other.cookies[COOKIE_NAME] != client.cookies[COOKIE_NAME]


async def test_a_resent_message_id_is_answered_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """The page resends a failed message with the same id: same replies, one step, and the
    conversation keeps it once (the resend brings no new items: the page has them by seq)."""
    await client.post("/chat/messages", json={"text": "hello"})
    first = await client.post("/chat/messages", json={"text": "yes", "id": "abc123"})
    again = await client.post("/chat/messages", json={"text": "yes", "id": "abc123"})
    assert first.json()["replies"] == again.json()["replies"]
    assert [i["kind"] for i in first.json()["items"]] == ["me", "bot"]
    assert again.json()["items"] == []
    log = await store_of(app).chat_log.since(f"web:{client.cookies[COOKIE_NAME]}")
    assert [i.text for i in log if i.kind == "me"] == ["hello", "yes"]
    session = await store_of(app).load(f"web:{client.cookies[COOKIE_NAME]}")
    assert session is not None
    assert session.step == "name"


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"text": ""}, "empty_text"),
        ({"text": "   \n "}, "empty_text"),
        ({"text": "x" * (MAX_TEXT + 1)}, "text_too_long"),
        ({"text": 12}, "text_required"),
        ({}, "invalid_request"),
    ],
)
async def test_bad_messages_get_a_clear_422(
    client: httpx.AsyncClient, app: FastAPI, payload: dict[str, object], error: str
) -> None:
    """Empty, oversized or missing text: 422 with a stable code and a sentence for people."""
    response = await client.post("/chat/messages", json=payload)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == error
    assert body["message"]


async def test_longest_allowed_message_is_accepted(client: httpx.AsyncClient) -> None:
    """Exactly 1600 characters is fine."""
    response = await client.post("/chat/messages", json={"text": "y" * MAX_TEXT})
    assert response.status_code == 200


async def test_not_json_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/chat/messages", content=b"text=hi", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("accept", "lang", "label", "plan"),
    [
        ("es-MX,es;q=0.9,en;q=0.5", "es", "Tu mensaje", "Plan de Cuidado Seguro"),
        ("pt-BR", "pt-BR", "Sua mensagem", "Plano de Cuidado Seguro"),
        ("fr-FR,de;q=0.8", "en", "Your message", "Plan of Safe Care"),
    ],
)
async def test_chat_page_speaks_the_browsers_language(
    client: httpx.AsyncClient, accept: str, lang: str, label: str, plan: str
) -> None:
    """The page's own words follow Accept-Language among the shipped languages."""
    page = (await client.get("/chat", headers={"Accept-Language": accept})).text
    assert f'<html lang="{lang}">' in page
    assert f'<label for="message">{label}</label>' in page
    assert plan in page
