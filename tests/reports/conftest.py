"""Fixtures for the report tests: real Redis (db 10) under a random prefix, the reports routes on
an app started like app.py's, and a directory with an operator, a member and an endpoint."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi import FastAPI
from redis.asyncio import Redis

from bot.careteam.directory import new_api_token, new_webhook_secret
from bot.careteam.wiring import CareTeam, start_careteam, stop_careteam
from bot.engine.events import Event
from bot.engine.session import Session
from bot.settings import Settings
from bot.store.care_records_redis import RedisCareRecords
from bot.store.crypto import Cipher
from bot.store.redis_store import RedisConversationStore
from bot.web.reports import router as reports_router
from tests.careteam import conftest as shared
from tests.on_call import on_call_endpoints
from tests.parts import serve_parts
from tests.reports.synthetic import Spec, session_of
from tests.timed import timed_work

# Db 10 is the report tests' own; each test writes under its own prefix and deletes it.
REDIS_URL = "redis://127.0.0.1:6379/10"
TOKEN_IDS = ("ops", "rosa", "ehr")


# The care-team tests' fixtures, on this package's own db and prefix.
anyio_backend = shared.anyio_backend
cipher = shared.cipher
store = shared.store


@pytest.fixture
def prefix() -> str:
    return f"rep:{secrets.token_hex(6)}:"


@pytest.fixture
async def redis(prefix: str) -> AsyncIterator[Redis]:
    async with shared.redis_for_test(REDIS_URL, 10, prefix) as client:
        yield client


async def write_plans(store: RedisConversationStore, all_specs: Iterable[Spec]) -> None:
    """Each synthetic plan saved the only way plans are saved: through store.transact."""
    for spec in all_specs:
        session = session_of(spec)

        def replace(_: Session, new: Session = session) -> tuple[Session, list[str], list[Event]]:
            return new, [], []

        await store.transact(spec.phone, None, replace)


@dataclass(frozen=True)
class Tokens:
    bearer: dict[str, str]  # token id -> bearer token

    def header(self, token_id: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.bearer[token_id]}"}


@pytest.fixture(scope="session")
def made_tokens() -> tuple[Tokens, dict[str, str]]:
    """Made once: scrypt hashing takes tens of milliseconds per token."""
    bearer, hashes = {}, {}
    for token_id in TOKEN_IDS:
        bearer[token_id], hashes[token_id] = new_api_token(token_id)
    return Tokens(bearer), hashes


@pytest.fixture
def tokens(made_tokens: tuple[Tokens, dict[str, str]]) -> Tokens:
    return made_tokens[0]


@pytest.fixture
def directory_file(tmp_path: Path, made_tokens: tuple[Tokens, dict[str, str]]) -> Path:
    hashes = made_tokens[1]
    data = {
        "version": 1,
        "program": {
            "name": "Safe Start",
            "intermediary": "Safe Start test program",
            "crisis_fallback": "hope",
        },
        "organizations": [
            {"id": "hope", "name": "Hartford Hope", "service_area": {"zip_prefixes": ["06"]}}
        ],
        "members": [
            {
                "id": "rosa",
                "name": "Rosa",
                "organization": "hope",
                "roles": ["social_worker"],
                "api_token": {"id": "rosa", "hash": hashes["rosa"]},
            }
        ],
        "endpoints": [
            {
                "id": "hope_ehr",
                "organization": "hope",
                "url": "http://127.0.0.1:9/hooks",
                "secret": new_webhook_secret(),
                "serves": {"roles": ["social_worker"]},
                "api_token": {"id": "ehr", "hash": hashes["ehr"]},
            },
            *on_call_endpoints("hope"),
        ],
        "operators": [
            {
                "id": "program_office",
                "name": "Program office",
                "api_token": {"id": "ops", "hash": hashes["ops"]},
            }
        ],
    }
    path = tmp_path / "careteam.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
async def app_client(
    directory_file: Path,
    store: RedisConversationStore,
    redis: Redis,
    cipher: Cipher,
    prefix: str,
) -> AsyncIterator[tuple[httpx.AsyncClient, CareTeam]]:
    """The reports router on a bare app, the care team started as app.py's lifespan does."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        care_team_file=directory_file,
        public_base_url="https://safestart.test",
        redis_url=REDIS_URL,
    )
    app = FastAPI()
    app.include_router(reports_router)
    with timed_work(redis, cipher, prefix) as timed:
        care = RedisCareRecords(redis, cipher, prefix)
        team = await start_careteam(settings, store, care, cipher, run_worker=False, timed=timed)
        serve_parts(app, careteam=team)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, team
        await stop_careteam(team)
