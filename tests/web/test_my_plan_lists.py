"""MY PLAN's page shows the needs and saved places NEEDS and SAVED leave out of a shared
phone's texts ("Text MY PLAN for private details"), over HTTP (#14)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.channels.webchat import COOKIE_NAME
from bot.engine import messages as m
from tests.clock import NOW
from tests.drive import next_text
from tests.waiting import eventually
from tests.web.conftest import KeySpace, make_settings, running_app, runtime_of, store_of

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]


@pytest.fixture
async def dev_app(tmp_path: Path, keyspace: KeySpace) -> AsyncIterator[FastAPI]:
    settings = make_settings(tmp_path, twilio_account_sid=None, twilio_auth_token=None)
    async with running_app(settings, keyspace, clock=lambda: NOW) as application:
        yield application


async def say(http: httpx.AsyncClient, text: str) -> list[str]:
    response = await http.post("/chat/messages", json={"text": text})
    assert response.status_code == 200, response.text
    return list(response.json()["replies"])


async def test_my_plan_shows_the_needs_and_saved_places_a_shared_phone_does_not_text(
    dev_app: FastAPI,
) -> None:
    """A parent with no stable place to live saves a local place, then says she wants help
    finding care in Recovery, on a shared phone: NEEDS and SAVED point to MY PLAN, and the
    page lists both needs with their status and the saved place with its phone."""
    transport = httpx.ASGITransport(app=dev_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        engine = runtime_of(dev_app).service.engine
        store = store_of(dev_app)
        await say(http, "hi")
        address = f"web:{http.cookies[COOKIE_NAME]}"
        wants_care = str(
            next(
                i + 1
                for i, c in enumerate(engine.flows["recovery"].step("in_treatment").choices)
                if c.need == "treatment"
            )
        )
        answers = {"housing_now": "2", "in_treatment": wants_care, "shared_phone": "yes"}
        saved_one = False
        for _ in range(300):
            session = await store.load(address)
            assert session is not None
            if session.plan.is_done("recovery"):
                break
            if session.mode == "offer" and session.listing and not saved_one:
                saved_one = any("Saved to your plan" in r for r in await say(http, "1"))
                continue
            text = next_text(engine, session, NOW.date())
            if session.mode == "ask" and session.step in answers:
                text = answers[session.step]
            assert text is not None
            await say(http, text)
        session = await store.load(address)
        assert session is not None
        assert session.plan.shared_phone()
        assert saved_one
        assert session.plan.saved
        assert {"housing", "treatment"} <= set(session.plan.needs)
        assert any(m.SEE_PRIVATE in r for r in await say(http, "needs"))

        await say(http, "my plan")

        async def texted() -> bool:
            return any(t.startswith("Your plan: ") for t in await store.dev_outbox(address))

        await eventually(texted, 15, "the link is sent")
        link = next(t for t in await store.dev_outbox(address) if t.startswith("Your plan: "))
        path = link.split()[2].removeprefix(runtime_of(dev_app).settings.public_base_url)
        page = (await http.get(path)).text
        own = page.split('class="psection own"', 1)[1].split("</section>", 1)[0]
        assert "What you need help with" in own
        assert "a place to live - looking for help" in own
        assert "treatment - looking for help" in own
        assert "Places you saved" in own
        place = session.plan.saved[0]
        assert f"{place['name']}, {place['phone']}" in own
