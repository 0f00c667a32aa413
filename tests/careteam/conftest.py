"""Fixtures for the care-team tests: real Redis (db 12), the engine, a signing-checking receiver."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from redis.asyncio import Redis

from bot.careteam.delivery import DeliveryConfig, DeliveryWorker
from bot.careteam.delivery.timer import TimedWork
from bot.careteam.directory import Directory, load_directory, new_api_token, new_webhook_secret
from bot.careteam.erasure import Forget, forget_nothing
from bot.careteam.records import CareRecords
from bot.careteam.wiring import CareTeam, start_careteam, stop_careteam
from bot.engine.loader import FlowSet, load_flows
from bot.engine.machine import Engine
from bot.engine.session import Session
from bot.flows import FLOWS_DIR
from bot.settings import Settings
from bot.store.base import Outcome
from bot.store.care_records_redis import RedisCareRecords
from bot.store.client import client_for_url
from bot.store.crypto import Cipher
from bot.store.redis_store import RedisConversationStore
from bot.web import careteam_needs, careteam_plans
from bot.web.reports import router as reports_router
from tests.clock import NOW
from tests.drive import next_text
from tests.fakes.receiver import Receiver
from tests.parts import serve_parts
from tests.timed import timed_work

# Db 12 is the care-team tests' own; each test writes under its own prefix and deletes it.
REDIS_URL = "redis://127.0.0.1:6379/12"
ENDPOINTS = ("hope_ehr", "hope_tx", "hope_on_call", "laramie_ehr")
MEMBER_TOKENS = ("hope-sw", "hope-nurse", "hope-tx", "laramie-sw")
ENDPOINT_TOKENS = ("hope-ehr",)
OPERATOR_TOKENS = ("ops",)
# Choice numbers in every share_* question of conversations/care_team.yaml.
SOCIAL_WORKER, MEDICAL, TREATMENT, NO_ONE = "1", "2", "3", "7"
HARTFORD, LARAMIE = "06103", "82001"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeClock:
    """The worker's scheduling clock: moves only when a test says so."""

    def __init__(self) -> None:
        self.now = NOW.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cipher() -> Cipher:
    return Cipher(secrets.token_bytes(32))


@pytest.fixture
def prefix() -> str:
    return f"ct:{secrets.token_hex(6)}:"


@asynccontextmanager
async def redis_for_test(url: str, db: int | None, prefix: str) -> AsyncIterator[Redis]:
    """A client on the tests' own db (a cluster has only db 0: None); every key under
    `prefix` is deleted afterwards."""
    client = client_for_url(url)
    if db is not None:
        assert client.connection_pool.connection_kwargs.get("db") == db
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
async def redis(prefix: str) -> AsyncIterator[Redis]:
    async with redis_for_test(REDIS_URL, 12, prefix) as client:
        yield client


@pytest.fixture
async def store(redis: Redis, cipher: Cipher, prefix: str) -> RedisConversationStore:
    store = RedisConversationStore(redis, cipher, prefix=prefix)
    await store.prepare()
    return store


@pytest.fixture
def records(redis: Redis, cipher: Cipher, prefix: str) -> CareRecords:
    return CareRecords(RedisCareRecords(redis, cipher, prefix))


@pytest.fixture(scope="session")
def flows() -> FlowSet:
    return load_flows(FLOWS_DIR)


@dataclass(frozen=True)
class Credentials:
    secrets: dict[str, str]
    tokens: dict[str, str]  # token id -> bearer token
    hashes: dict[str, str]  # token id -> stored hash


@pytest.fixture(scope="session")
def credentials() -> Credentials:
    """Made once: scrypt hashing takes tens of milliseconds per token."""
    tokens, hashes = {}, {}
    for token_id in (*MEMBER_TOKENS, *ENDPOINT_TOKENS, *OPERATOR_TOKENS):
        tokens[token_id], hashes[token_id] = new_api_token(token_id)
    return Credentials({e: new_webhook_secret() for e in ENDPOINTS}, tokens, hashes)


@pytest.fixture(scope="session")
def receiver_server(credentials: Credentials) -> Iterator[Receiver]:
    server = Receiver(credentials.secrets).start()
    yield server
    server.stop()


@pytest.fixture
def receiver(receiver_server: Receiver, credentials: Credentials) -> Receiver:
    receiver_server.reset(credentials.secrets)
    return receiver_server


def directory_data(receiver: Receiver, credentials: Credentials) -> dict[str, Any]:
    """Two organizations with the same roles: Hartford (ZIP 06...) and Laramie (ZIP 820..)."""

    def token(token_id: str) -> dict[str, str]:
        return {"id": token_id, "hash": credentials.hashes[token_id]}

    def endpoint(ident: str, org: str, serves: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "id": ident,
            "organization": org,
            "url": receiver.url(ident),
            "secret": credentials.secrets[ident],
            "serves": serves,
            **extra,
        }

    return {
        "version": 1,
        "program": {
            "name": "Safe Start",
            "intermediary": "Safe Start test program",
            "crisis_fallback": "hope",
        },
        "organizations": [
            {"id": "hope", "name": "Hartford Hope", "service_area": {"zip_prefixes": ["06"]}},
            {"id": "laramie", "name": "Laramie Family", "service_area": {"zip_prefixes": ["820"]}},
        ],
        "members": [
            {
                "id": "hope_sw",
                "name": "Rosa",
                "organization": "hope",
                "roles": ["social_worker"],
                "api_token": token("hope-sw"),
            },
            {
                "id": "hope_nurse",
                "name": "Dana",
                "organization": "hope",
                "roles": ["medical"],
                "api_token": token("hope-nurse"),
            },
            {
                "id": "hope_counselor",
                "name": "Sam",
                "organization": "hope",
                "roles": ["treatment"],
                "api_token": token("hope-tx"),
            },
            {
                "id": "laramie_sw",
                "name": "Lee",
                "organization": "laramie",
                "roles": ["social_worker"],
                "api_token": token("laramie-sw"),
            },
        ],
        "endpoints": [
            endpoint(
                "hope_ehr",
                "hope",
                {"roles": ["social_worker", "medical"]},
                events=["plan.section.completed", "plan.need.updated"],
                api_token=token("hope-ehr"),
            ),
            endpoint("hope_tx", "hope", {"members": ["hope_counselor"]}),
            endpoint(
                "hope_on_call",
                "hope",
                {"roles": ["on_call"]},
                events=["plan.crisis", "plan.handoff_requested", "plan.cant_reach"],
            ),
            endpoint("laramie_ehr", "laramie", {"roles": ["social_worker", "on_call"]}),
        ],
        "operators": [{"id": "ops", "name": "Program office", "api_token": token("ops")}],
    }


@pytest.fixture
def directory(tmp_path: Path, receiver: Receiver, credentials: Credentials) -> Directory:
    path = tmp_path / "careteam.yaml"
    path.write_text(yaml.safe_dump(directory_data(receiver, credentials), sort_keys=False))
    return load_directory(path)


# The test worker: never sleeps for real, and a deterministic jitter (the middle of its range).
TEST_CONFIG = DeliveryConfig(
    consumer="worker-1",
    max_attempts=18,
    backoff_base_s=10,
    backoff_cap_s=900,
    lease_s=120,
    idle_sleep_s=0.002,
)
WorkerFactory = Callable[..., DeliveryWorker]


@pytest.fixture
def timed(redis: Redis, cipher: Cipher, prefix: str) -> Iterator[TimedWork]:
    """The one scheduler with the care-team kind, never started: drain() fires what is due
    at the test's clock (Scheduler.run_due), as the leader does on the machine's."""
    with timed_work(redis, cipher, prefix) as made:
        yield made


@pytest.fixture
async def make_worker(
    store: RedisConversationStore,
    records: CareRecords,
    directory: Directory,
    flows: FlowSet,
    cipher: Cipher,
    clock: FakeClock,
    timed: TimedWork,
) -> AsyncIterator[WorkerFactory]:
    made: list[DeliveryWorker] = []

    def build(forget: Forget = forget_nothing, **config: Any) -> DeliveryWorker:
        worker = DeliveryWorker(
            store=store,
            records=records,
            coordination=records.store,
            timed=timed,
            directory=directory,
            flows=flows,
            cipher=cipher,
            config=replace(TEST_CONFIG, **config),
            clock=clock,
            jitter=lambda: 0.5,
            forget=forget,
        )
        made.append(worker)
        return worker

    yield build
    for worker in made:
        await worker.close()


@dataclass
class Parent:
    """A parent texting the real engine through the real store (events land in the outbox)."""

    engine: Engine
    store: RedisConversationStore
    address: str
    zip_code: str = HARTFORD
    now: datetime = NOW

    async def say(self, text: str) -> Outcome:
        self.now += timedelta(seconds=3)
        now = self.now

        def apply(session: Session) -> tuple[Session, list[str], list[Any]]:
            result = self.engine.step(session, text, now)
            return result.session, result.replies, list(result.events)

        return await self.store.transact(self.address, None, apply)

    async def session(self) -> Session:
        return await self.store.load(self.address) or Session()

    async def finish_plan(self, answers: Mapping[str, str] | None = None) -> Session:
        """Answer every section (first choice, yes, ...) with `answers` by step id on top."""
        answers = {"zip": self.zip_code, **(answers or {})}
        for _ in range(400):
            session = await self.session()
            text = next_text(self.engine, session, self.now.date())
            if text is None:
                return session
            if session.mode == "ask" and session.step in answers:
                text = answers[session.step]
            await self.say(text)
        raise AssertionError("the plan did not finish in 400 messages")


ParentFactory = Callable[[str], Parent]


@pytest.fixture
def parent(shipped_engine: Engine, store: RedisConversationStore) -> ParentFactory:
    numbers = iter(range(100, 200))

    def make(zip_code: str = HARTFORD) -> Parent:
        return Parent(shipped_engine, store, f"+1860555{next(numbers):04d}", zip_code)

    return make


def share(**by_step: str) -> dict[str, str]:
    """Consent answers: every section to no one unless given here (by care_team step id)."""
    answers = {
        "share_basic_needs": NO_ONE,
        "share_health": NO_ONE,
        "share_birth": NO_ONE,
        "share_recovery_ok": "no",
        "share_baby": NO_ONE,
        "share_family": NO_ONE,
        "share_safety": NO_ONE,
    }
    answers.update(by_step)
    return answers


def settings_for(care_team_file: Path) -> Settings:
    """Settings from these values only: the developer's environment and .env are ignored."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        care_team_file=care_team_file,
        public_base_url="https://safestart.test",
        redis_url=REDIS_URL,
    )


@pytest.fixture
async def careteam(
    directory: Directory,
    store: RedisConversationStore,
    redis: Redis,
    cipher: Cipher,
    prefix: str,
    flows: FlowSet,
    timed: TimedWork,
) -> AsyncIterator[tuple[httpx.AsyncClient, CareTeam]]:
    """The routers on a bare app, started the way app.py's lifespan starts it."""
    settings = settings_for(Path(directory.source))
    app = FastAPI()
    app.include_router(careteam_plans.router)
    app.include_router(careteam_needs.router)
    app.include_router(reports_router)
    team = await start_careteam(
        settings,
        store,
        RedisCareRecords(redis, cipher, prefix),
        cipher,
        flows=flows,
        run_worker=False,
        timed=timed,
    )
    serve_parts(app, careteam=team)
    team.reader.clock = team.needs.clock = lambda: NOW  # as app.py hands in its clock
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client, team
    await stop_careteam(team)


def bearer(credentials: Credentials, token_id: str) -> dict[str, str]:
    return {"authorization": f"Bearer {credentials.tokens[token_id]}"}


def contact_of(p: Parent) -> str:
    return p.store.keys_for(p.address).contact


async def change_basic_needs(p: Parent) -> None:
    """Open the finished Basic needs part, change its first answer, confirm: version 2."""
    for text in ("menu", "1", "1", "2", "yes"):
        await p.say(text)
