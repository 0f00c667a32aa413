"""The care-team API and the wiring app.py calls: auth, validation, scheduled reminders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from bot.i18n import Catalogs
from bot.reminders import web
from bot.reminders.wiring import ReminderConfig, Reminders, start_reminders, stop_reminders
from bot.settings import Settings
from bot.store.crypto import Cipher
from bot.store.redis_store import RedisConversationStore

from .conftest import RecordingSender, make_parent

pytestmark = pytest.mark.anyio

TOKEN = "care-team-token-for-tests"


@pytest.fixture
async def app(
    redis: Redis,
    cipher: Cipher,
    conversations: RedisConversationStore,
    prefix: str,
    translator: Catalogs,
) -> AsyncIterator[FastAPI]:
    made = FastAPI()
    made.include_router(web.router)
    config = ReminderConfig.from_env({"CARE_API_TOKENS": f"other, {TOKEN}"})
    config = ReminderConfig(api_tokens=config.api_tokens, prefix=prefix, block_ms=50)
    await start_reminders(
        made.state,
        settings=Settings(_env_file=None),
        redis=redis,  # type: ignore[call-arg]
        cipher=cipher,
        conversations=conversations,
        sender=RecordingSender(),
        translator=translator,
        config=config,
    )
    yield made
    await stop_reminders(made.state)
    await stop_reminders(made.state)  # twice is fine


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as made:
        yield made


def body(days: int = 3) -> dict[str, str]:
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return {"kind": "treatment", "date": day.isoformat(), "time": "14:30", "place": "Room 4"}


async def test_start_reminders_puts_a_running_subsystem_on_the_state(app: FastAPI) -> None:
    """start_reminders leaves `state.reminders`; alone, this process leads and dispatches."""
    reminders = app.state.reminders
    assert isinstance(reminders, Reminders)
    assert reminders.scheduler.is_leader
    assert reminders.dispatch_task is not None


async def test_api_needs_a_bearer_token(
    client: httpx.AsyncClient, conversations: RedisConversationStore
) -> None:
    """No token or a wrong one: 401 with a Bearer challenge."""
    plan_id = (await make_parent(conversations)).strip("{}")
    url = f"/api/v1/plans/{plan_id}/appointments"
    missing = await client.post(url, json=body())
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = await client.post(url, json=body(), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


async def test_api_adds_an_appointment_and_returns_its_reminders(
    client: httpx.AsyncClient, conversations: RedisConversationStore, app: FastAPI
) -> None:
    """201 with the appointment and when its reminders go; an Idempotency-Key retry
    replaces it instead of adding a second."""
    contact = await make_parent(conversations)
    url = f"/api/v1/plans/{contact.strip('{}')}/appointments"
    headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": "req-1"}
    created = await client.post(url, json=body(), headers=headers)
    assert created.status_code == 201, created.text
    data = created.json()
    assert data["kind"] == "treatment"
    assert data["status"] == "scheduled"
    assert {r["lead"] for r in data["reminders"]} == {"day_before", "2h"}
    retried = await client.post(url, json=body(), headers=headers)
    assert retried.json()["id"] == data["id"]
    assert len(await app.state.reminders.store.appointments(contact)) == 1


async def test_api_refuses_unknown_plans_and_bad_appointments(
    client: httpx.AsyncClient, conversations: RedisConversationStore
) -> None:
    """404 for a plan nobody has; 422 for a past date, an unknown kind or extra fields."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    unknown = await client.post(
        f"/api/v1/plans/c:{'0' * 32}/appointments", json=body(), headers=auth
    )
    assert unknown.status_code == 404
    plan_id = (await make_parent(conversations)).strip("{}")
    url = f"/api/v1/plans/{plan_id}/appointments"
    assert (await client.post(url, json=body(days=-2), headers=auth)).status_code == 422
    assert (await client.post(url, json={**body(), "kind": "spa"}, headers=auth)).status_code == 422
    assert (await client.post(url, json={**body(), "x": 1}, headers=auth)).status_code == 422


async def test_api_answers_503_before_reminders_start() -> None:
    """A route hit before the lifespan started the subsystem says so, not a 500."""
    bare = FastAPI()
    bare.include_router(web.router)
    bare.state.reminders = SimpleNamespace()
    transport = httpx.ASGITransport(app=bare)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as made:
        reply = await made.post(f"/api/v1/plans/c:{'0' * 32}/appointments", json=body())
    assert reply.status_code == 503
