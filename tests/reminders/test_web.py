"""The care-team API and the wiring app.py calls: directory tokens, consent, validation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi import FastAPI
from redis.asyncio import Redis

from bot.careteam.consent import ConsentRecord, ConsentState
from bot.careteam.directory import new_api_token
from bot.careteam.wiring import start_careteam, stop_careteam
from bot.i18n import Catalogs
from bot.reminders.ratelimit import PacedSender
from bot.reminders.wiring import ReminderConfig, Reminders, start_reminders, stop_reminders
from bot.settings import Settings
from bot.store.care_records_redis import RedisCareRecords
from bot.store.crypto import Cipher
from bot.store.redis_store import RedisConversationStore
from bot.web import reminders as web
from tests.clock import NOW
from tests.on_call import on_call_endpoints
from tests.parts import serve_parts
from tests.timed import timed_work

from .conftest import REDIS_URL, RecordingSender, make_parent

pytestmark = pytest.mark.anyio

# Token owners: (member id, organization, role).
OWNERS = {
    "hope-sw": ("hope_sw", "hope", "social_worker"),
    "hope-nurse": ("hope_nurse", "hope", "medical"),
    "laramie-sw": ("laramie_sw", "laramie", "social_worker"),
    "hope-tx": ("hope_tx", "hope", "treatment"),
}
# Hope's record system: an endpoint token, serving social workers and nurses.
EHR_TOKEN = "hope-ehr"


@pytest.fixture(scope="module")
def tokens() -> dict[str, tuple[str, str]]:
    """token id -> (bearer token, stored hash); made once (scrypt is slow on purpose)."""
    return {token_id: new_api_token(token_id) for token_id in (*OWNERS, EHR_TOKEN)}


def directory_file(tmp_path: Path, tokens: dict[str, tuple[str, str]]) -> Path:
    members = [
        {
            "id": member,
            "name": member,
            "organization": org,
            "roles": [role],
            "api_token": {"id": token_id, "hash": tokens[token_id][1]},
        }
        for token_id, (member, org, role) in OWNERS.items()
    ]
    data = {
        "version": 1,
        "program": {
            "name": "Safe Start",
            "intermediary": "Safe Start test program",
            "crisis_fallback": "hope",
        },
        "organizations": [
            {"id": "hope", "name": "Hartford Hope", "service_area": {"zip_prefixes": ["06"]}},
            {"id": "laramie", "name": "Laramie", "service_area": {"zip_prefixes": ["820"]}},
        ],
        "members": members,
        "endpoints": [
            {
                "id": "hope_ehr",
                "organization": "hope",
                "url": "https://ehr.hope.example/hooks",
                "secret": "whsec_L1S/ujkDOuiA7eFJOQPS8qSFwPZTAxb+2hgeZv3Sfxo=",
                "serves": {"roles": ["social_worker", "medical"]},
                "api_token": {"id": EHR_TOKEN, "hash": tokens[EHR_TOKEN][1]},
            },
            *on_call_endpoints("hope", "laramie"),
        ],
    }
    path = tmp_path / "careteam.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
async def app(
    redis: Redis,
    cipher: Cipher,
    conversations: RedisConversationStore,
    prefix: str,
    translator: Catalogs,
    tmp_path: Path,
    tokens: dict[str, tuple[str, str]],
) -> AsyncIterator[FastAPI]:
    made = FastAPI()
    made.include_router(web.router)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        care_team_file=directory_file(tmp_path, tokens),
        redis_url=REDIS_URL,
    )
    care = RedisCareRecords(redis, cipher, prefix)
    with timed_work(redis, cipher, prefix) as timed:
        careteam = await start_careteam(
            settings, conversations, care, cipher, run_worker=False, timed=timed
        )
        reminders = await start_reminders(
            settings=settings,
            redis=redis,
            cipher=cipher,
            conversations=conversations,
            sender=RecordingSender(),
            translator=translator,
            config=ReminderConfig(prefix=prefix, block_ms=50),
            clock=lambda: NOW,
        )
        careteam.reader.clock = lambda: NOW
        serve_parts(made, careteam=careteam, reminders=reminders)
        yield made
        await stop_reminders(reminders)
        await stop_reminders(reminders)  # twice is fine
        await stop_careteam(careteam)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as made:
        yield made


def auth(tokens: dict[str, tuple[str, str]], token_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[token_id][0]}"}


async def consenting_parent(
    app: FastAPI,
    conversations: RedisConversationStore,
    address: str = "+12035550142",
    *,
    revoked: bool = False,
    shares: tuple[tuple[str, str], ...] = (("basic_needs", "social_worker"),),
) -> str:
    """A parent who shared basic needs with Hartford Hope's social workers (or the given
    (section, role) pairs with Hope); the plan id, as the plan API writes it."""
    contact = await make_parent(conversations, address)
    now = NOW
    records = tuple(
        ConsentRecord(
            section=section,
            role=role,
            organizations=("hope",),
            given_at=now,
            expires_on=now.date() + timedelta(days=365),
            revoked_at=now if revoked else None,
        )
        for section, role in shares
    )
    state = ConsentState(version=1, recorded_at=now, source="1-0", records=records)
    assert await app.state.runtime.careteam.records.append_consent(contact, state)
    return contact.strip("{}").removeprefix("c:")


def body(days: int = 3, kind: str = "prenatal_visit") -> dict[str, str]:
    day = (NOW + timedelta(days=days)).date()
    return {"kind": kind, "date": day.isoformat(), "time": "14:30", "place": "Room 4"}


async def test_start_reminders_gives_a_running_subsystem(app: FastAPI) -> None:
    """start_reminders returns the running subsystem; alone, this process leads and
    dispatches."""
    reminders = app.state.runtime.reminders
    assert isinstance(reminders, Reminders)
    assert reminders.scheduler.is_leader
    assert reminders.dispatch_task is not None


async def test_api_needs_a_directory_token(
    client: httpx.AsyncClient, conversations: RedisConversationStore, app: FastAPI
) -> None:
    """No token, or anything that is not a care-team directory token: 401 with a Bearer
    challenge (the old shared CARE_API_TOKENS are gone)."""
    plan_id = await consenting_parent(app, conversations)
    url = f"/api/v1/plans/{plan_id}/appointments"
    missing = await client.post(url, json=body())
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    for wrong in ("care-team-token-for-tests", "sst_hope-sw." + "x" * 43):
        response = await client.post(url, json=body(), headers={"Authorization": f"Bearer {wrong}"})
        assert response.status_code == 401


async def test_api_adds_an_appointment_and_returns_its_reminders(
    client: httpx.AsyncClient,
    conversations: RedisConversationStore,
    app: FastAPI,
    tokens: dict[str, tuple[str, str]],
) -> None:
    """A member whose role and organization the parent consented to: 201 with the
    appointment and when its reminders go; an Idempotency-Key retry replaces it."""
    plan_id = await consenting_parent(app, conversations)
    url = f"/api/v1/plans/{plan_id}/appointments"
    headers = {**auth(tokens, "hope-sw"), "Idempotency-Key": "req-1"}
    created = await client.post(url, json=body(), headers=headers)
    assert created.status_code == 201, created.text
    data = created.json()
    assert data["kind"] == "prenatal_visit"
    assert data["plan_id"] == plan_id
    assert data["status"] == "scheduled"
    assert {r["lead"] for r in data["reminders"]} == {"day_before", "3h"}
    retried = await client.post(url, json=body(), headers=headers)
    assert retried.json()["id"] == data["id"]
    assert len(await app.state.runtime.reminders.store.appointments("{c:" + plan_id + "}")) == 1


async def test_treatment_appointments_need_recovery_consent(
    client: httpx.AsyncClient,
    conversations: RedisConversationStore,
    app: FastAPI,
    tokens: dict[str, tuple[str, str]],
) -> None:
    """A treatment visit says the parent is in treatment (Part 2): the nurse and the social
    worker (who see other sections), and the record system serving them, get 403 and add
    nothing; the counselor the recovery consent names adds it."""
    shares = (
        ("basic_needs", "social_worker"),
        ("health", "medical"),
        ("recovery", "treatment"),
    )
    plan_id = await consenting_parent(app, conversations, shares=shares)
    url = f"/api/v1/plans/{plan_id}/appointments"
    for kind in ("treatment", "recovery_meeting", "medication_pickup"):
        for token_id in ("hope-nurse", "hope-sw", EHR_TOKEN):
            refused = await client.post(url, json=body(kind=kind), headers=auth(tokens, token_id))
            assert refused.status_code == 403, (kind, token_id)
    assert await app.state.runtime.reminders.store.appointments("{c:" + plan_id + "}") == []
    allowed = await client.post(url, json=body(), headers=auth(tokens, "hope-nurse"))
    assert allowed.status_code == 201
    counselor = await client.post(url, json=body(kind="treatment"), headers=auth(tokens, "hope-tx"))
    assert counselor.status_code == 201, counselor.text
    kinds = {
        a.kind for a in await app.state.runtime.reminders.store.appointments("{c:" + plan_id + "}")
    }
    assert kinds == {"prenatal_visit", "treatment"}


async def test_the_old_plan_id_form_still_works(
    client: httpx.AsyncClient,
    conversations: RedisConversationStore,
    app: FastAPI,
    tokens: dict[str, tuple[str, str]],
) -> None:
    """`c:<hex>` is read during the transition; the answer names the plan as the plan API does."""
    plan_id = await consenting_parent(app, conversations)
    created = await client.post(
        f"/api/v1/plans/c:{plan_id}/appointments", json=body(), headers=auth(tokens, "hope-sw")
    )
    assert created.status_code == 201
    assert created.json()["plan_id"] == plan_id


async def test_only_a_consented_role_at_a_consented_organization_may_add(
    client: httpx.AsyncClient,
    conversations: RedisConversationStore,
    app: FastAPI,
    tokens: dict[str, tuple[str, str]],
) -> None:
    """Another role at the same organization, the same role elsewhere, or a consent the
    parent revoked: 404, as for a plan that does not exist; nothing is added."""
    plan_id = await consenting_parent(app, conversations)
    url = f"/api/v1/plans/{plan_id}/appointments"
    for token_id in ("hope-nurse", "laramie-sw"):
        refused = await client.post(url, json=body(), headers=auth(tokens, token_id))
        assert refused.status_code == 404, token_id
    assert await app.state.runtime.reminders.store.appointments("{c:" + plan_id + "}") == []
    revoked_plan = await consenting_parent(app, conversations, "+12035550143", revoked=True)
    refused = await client.post(
        f"/api/v1/plans/{revoked_plan}/appointments", json=body(), headers=auth(tokens, "hope-sw")
    )
    assert refused.status_code == 404


async def test_api_refuses_unknown_plans_and_bad_appointments(
    client: httpx.AsyncClient,
    conversations: RedisConversationStore,
    app: FastAPI,
    tokens: dict[str, tuple[str, str]],
) -> None:
    """404 for a plan nobody has; 422 for a past date, an unknown kind or extra fields."""
    headers = auth(tokens, "hope-sw")
    for unknown in ("0" * 32, f"c:{'0' * 32}", "not-a-plan"):
        response = await client.post(
            f"/api/v1/plans/{unknown}/appointments", json=body(), headers=headers
        )
        assert response.status_code == 404
    plan_id = await consenting_parent(app, conversations)
    url = f"/api/v1/plans/{plan_id}/appointments"
    assert (await client.post(url, json=body(days=-2), headers=headers)).status_code == 422
    spa = {**body(), "kind": "spa"}
    assert (await client.post(url, json=spa, headers=headers)).status_code == 422
    extra = {**body(), "x": 1}
    assert (await client.post(url, json=extra, headers=headers)).status_code == 422


async def test_replies_share_the_reminders_rate_limit(app: FastAPI) -> None:
    """REMINDERS answers go through the paced sender, whose `send` is reply priority."""
    reminders = app.state.runtime.reminders
    assert isinstance(reminders.sender, PacedSender)
    assert reminders.intake.replies.sender is reminders.sender
    assert reminders.sender.bucket is reminders.dispatcher._bucket


async def test_api_answers_503_before_reminders_start() -> None:
    """A route hit before the lifespan started the subsystem says so, not a 500."""
    bare = FastAPI()
    bare.include_router(web.router)
    serve_parts(bare)
    transport = httpx.ASGITransport(app=bare)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as made:
        reply = await made.post(f"/api/v1/plans/c:{'0' * 32}/appointments", json=body())
    assert reply.status_code == 503
