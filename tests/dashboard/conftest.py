"""The dashboard on the real app and real Redis (db 11), each test under its own key prefix."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import yaml
from argon2 import PasswordHasher, profiles
from fastapi import FastAPI

from app import create_app
from bot.dashboard.config import DashboardConfig
from bot.dashboard.wiring import Dashboard, build_dashboard, dashboard_config_from
from bot.engine.session import Session
from bot.settings import Settings
from bot.store.keys.dashboard import DashKeys
from bot.store.keys.reminders import ReminderKeys
from bot.web import care
from tests.clock import NOW, MovableClock
from tests.dashboard.seed import Seeded, finished_plan, seed_plan
from tests.on_call import on_call_endpoints
from tests.web.conftest import KeySpace, make_settings, runtime_of

REDIS_URL = "redis://127.0.0.1:6379/11"
PASSWORD = "correct horse battery staple"
# The reminders subsystem keeps its keys without the app's key prefix (ReminderConfig).
REMINDER_KEYS = ReminderKeys()
REMINDER_JOBS, REMINDER_RUN_TIMES = REMINDER_KEYS.jobs, REMINDER_KEYS.run_times
# Two organizations with the same kinds of roles: Hartford (ZIP 06...) and Laramie (820..).
MEMBERS: dict[str, dict[str, Any]] = {
    "hope_sw": {"name": "Rosa Díaz", "organization": "hope", "roles": ["social_worker", "on_call"]},
    "hope_nurse": {"name": "Dana Lee", "organization": "hope", "roles": ["medical"]},
    "hope_tx": {"name": "Sam Ortiz", "organization": "hope", "roles": ["treatment"]},
    "laramie_hv": {
        "name": "Ana Silva",
        "organization": "laramie",
        "roles": ["home_visitor", "social_worker"],
    },
    "laramie_on_call": {"name": "Laramie on-call", "organization": "laramie", "roles": ["on_call"]},
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def write_directory(folder: Path) -> Path:
    path = folder / "careteam.yaml"
    data = {
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
        "members": [{"id": ident, "title": "", **m} for ident, m in MEMBERS.items()],
        "endpoints": on_call_endpoints("hope", "laramie"),
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def dashboard_settings(folder: Path, **overrides: Any) -> Settings:
    """Dev mode (texts to the dev outbox) unless Twilio values are given."""
    values: dict[str, Any] = {
        "redis_url": REDIS_URL,
        "care_team_file": write_directory(folder),
        "twilio_account_sid": None,
        "twilio_auth_token": None,
        "twilio_from_number": None,
        **overrides,
    }
    return make_settings(folder, **values)


@contextmanager
def new_keyspace() -> Iterator[KeySpace]:
    """Keys under a random prefix, deleted afterwards, with the reminders' own (unprefixed)
    keys of the contacts made under it."""
    client = redis.Redis.from_url(REDIS_URL)
    assert client.connection_pool.connection_kwargs.get("db") == 11  # never db 0
    space = KeySpace(client, f"dash:{secrets.token_hex(6)}:")
    try:
        yield space
    finally:
        contacts = {
            m.group(1) for key in space.stored() if (m := re.search(rb"(\{c:[0-9a-f]+\})", key))
        }
        space.delete_all()
        for contact in contacts:
            stray = list(client.scan_iter(match=contact + b"*", count=1000))
            if stray:
                client.delete(*stray)
            jobs = [f for f, _ in client.hscan_iter(REMINDER_JOBS, match=b"*" + contact + b"*")]
            if jobs:
                client.hdel(REMINDER_JOBS, *jobs)
                client.zrem(REMINDER_RUN_TIMES, *jobs)
        client.close()


@pytest.fixture
def keyspace() -> Iterator[KeySpace]:
    with new_keyspace() as space:
        yield space


def with_dashboard(application: FastAPI) -> FastAPI:
    """app.py includes the router once it is wired; until then the tests do."""
    if not any(getattr(r, "path", "").startswith("/care") for r in application.routes):
        application.include_router(care.router)
    return application


class Clock(MovableClock):
    """The app's clock under test: the tests' fixed instant plus whatever a test skips ahead."""


@dataclass
class Running:
    app: FastAPI
    http: httpx.AsyncClient
    clock: Clock
    template: Session
    seeded: list[Seeded] = field(default_factory=list)

    @property
    def keys(self) -> DashKeys:
        return DashKeys(self.dash.records.store.keys.prefix)

    def client(self) -> httpx.AsyncClient:
        """Another browser: its own cookies."""
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url="https://testserver")

    @property
    def dash(self) -> Dashboard:
        dashboard: Dashboard = self.app.state.runtime.dashboard
        return dashboard

    def configure(self, **changes: Any) -> None:
        """A different DashboardConfig from the next request on: the dashboard rebuilt over
        the same running parts, as the composition root would build it with that config."""
        runtime = self.app.state.runtime
        runtime.dashboard = build_dashboard(
            replace(self.dash.config, **changes),
            runtime.settings,
            runtime.careteam,
            runtime.reminders,
            runtime.sender,
            runtime.service.engine.translator,
            self.dash.access,
        )

    async def seed(self, name: str, consent: dict[str, Any], **options: Any) -> Seeded:
        dash = self.dash
        made = await seed_plan(
            dash.store,
            dash.records,
            dash.directory,
            self.template,
            name=name,
            consent=consent,
            at=self.clock(),
            **options,
        )
        self.seeded.append(made)
        return made

    async def session_of(self, made: Seeded) -> Session:
        found = await self.dash.store.load(made.address)
        assert found is not None
        return found


_TEMPLATE: dict[str, Session] = {}


# argon2id at its cheapest (argon2-cffi's profile for tests): the same checks, without
# ~0.15 s of hashing per sign-in and per wrong password. The command-line tests still hash
# with the product's costs, and sign in with such a hash (tests/dashboard/test_cli.py).
CHEAP_HASHING = profiles.CHEAPEST


@cache
def hashed_password() -> str:
    """Hashed once, stored for every member of every test."""
    return PasswordHasher.from_parameters(CHEAP_HASHING).hash(PASSWORD)


def cheap_hashing(settings: Settings) -> DashboardConfig:
    """The app's own dashboard settings, with argon2 at its cheapest (for create_app)."""
    return replace(dashboard_config_from(settings), password_hashing=CHEAP_HASHING)


@asynccontextmanager
async def start_running(
    folder: Path, keyspace: KeySpace, **settings: Any
) -> AsyncIterator[Running]:
    """The real app (lifespan run) with the dashboard, every member's password set."""
    clock = Clock()
    settings_used = dashboard_settings(folder, **settings)
    application = with_dashboard(
        create_app(
            settings_used,
            key_prefix=keyspace.prefix,
            clock=clock,
            freeze_heap=False,
            dashboard_config=cheap_hashing(settings_used),
        )
    )
    async with application.router.lifespan_context(application):
        runtime = runtime_of(application)
        if "plan" not in _TEMPLATE:
            _TEMPLATE["plan"] = finished_plan(runtime.service.engine, NOW)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            running = Running(application, http, clock, _TEMPLATE["plan"])
            hashed = hashed_password()
            for member in MEMBERS:
                await running.dash.records.store.redis.set(running.keys.password(member), hashed)
            yield running


@pytest.fixture
async def running(tmp_path: Path, keyspace: KeySpace) -> AsyncIterator[Running]:
    async with start_running(tmp_path, keyspace) as started:
        yield started


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


async def sign_in(http: httpx.AsyncClient, member: str, password: str = PASSWORD) -> httpx.Response:
    form = await http.get("/care/sign-in")
    return await http.post(
        "/care/sign-in",
        data={"csrf": csrf_of(form), "member_id": member, "password": password},
    )


async def signed_in(running: Running, member: str) -> httpx.AsyncClient:
    response = await sign_in(running.http, member)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/care"
    return running.http
