"""GET /chat/events: the conversation so far, then each text as it comes (server-sent events
from a real uvicorn, since an event stream never ends)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from app import create_app
from bot.channels.webchat import COOKIE_NAME
from bot.store.client import client_for_url
from bot.store.crypto import cipher_from_settings
from bot.store.redis_store import RedisConversationStore
from tests.clock import NOW
from tests.fakes import UvicornThread
from tests.web.conftest import REDIS_URL, KeySpace, make_settings

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]


@pytest.fixture
def server(tmp_path: Path, keyspace: KeySpace) -> Iterator[UvicornThread]:
    settings = make_settings(
        tmp_path, twilio_account_sid=None, twilio_auth_token=None, twilio_from_number=None
    )
    app = create_app(settings, key_prefix=keyspace.prefix, clock=lambda: NOW, freeze_heap=False)
    app.state.test_settings = settings
    with UvicornThread(app) as running:
        yield running


async def events(lines: AsyncIterator[str], count: int) -> list[tuple[int, str, str]]:
    """The next `count` events of a stream's lines as (seq, kind, text), within 5 s."""
    found: list[tuple[int, str, str]] = []
    fields: dict[str, str] = {}
    async with asyncio.timeout(5):
        async for line in lines:
            if line.startswith(":"):
                continue
            if line:
                name, _, value = line.partition(": ")
                fields[name] = value
                continue
            if "id" in fields:
                found.append(
                    (int(fields["id"]), fields["event"], json.loads(fields["data"])["text"])
                )
            fields = {}
            if len(found) == count:
                return found
    return found


async def test_a_page_hears_the_conversation_then_a_text_sent_later_and_resumes_after_its_last(
    server: UvicornThread, keyspace: KeySpace
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        await client.post("/chat/messages", json={"text": "hi"})
        chat_id = client.cookies[COOKIE_NAME]
        address = f"web:{chat_id}"
        # The cookie is Secure (PUBLIC_BASE_URL is https); this plain-http client names it.
        cookie = {"Cookie": f"{COOKIE_NAME}={chat_id}"}
        client.cookies.clear()
        async with client.stream("GET", "/chat/events", headers=cookie) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            so_far = await events(lines, 2)  # "hi", the welcome with its language line
            assert [(seq, kind) for seq, kind, _ in so_far] == [(1, "me"), (2, "bot")]
            assert so_far[0][2] == "hi"
            store = RedisConversationStore(
                client_for_url(REDIS_URL),
                cipher_from_settings(server.app.state.test_settings),
                prefix=keyspace.prefix,
            )
            try:
                await store.push_dev_outbox(address, "Ana: I can call you today.")
            finally:
                await store.close()
            assert await events(lines, 1) == [(3, "outbox", "Ana: I can call you today.")]
        headers = {**cookie, "Last-Event-ID": "2"}
        async with client.stream("GET", "/chat/events", headers=headers) as again:
            expected = [(3, "outbox", "Ana: I can call you today.")]
            assert await events(again.aiter_lines(), 1) == expected


async def test_no_chat_yet_means_nothing_to_hear(server: UvicornThread) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        response = await client.get("/chat/events")
    assert response.status_code == 204
