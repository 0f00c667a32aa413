"""Fixtures for the HTTP tests: the real app on real Redis (db 14), SDK-signed Twilio requests."""

from __future__ import annotations

import itertools
import os
import secrets
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import redis
from fastapi import FastAPI
from redis.cluster import RedisCluster
from twilio.request_validator import RequestValidator

from app import create_app
from bot.settings import Settings
from bot.store.client import is_cluster_url
from bot.store.outbox import ensure_group
from bot.store.redis_store import RedisConversationStore
from bot.web.deps import Runtime
from tests.fakes.twilio_server import FakeTwilio

# WEB_TEST_REDIS_URL=redis+cluster://… runs the suite on a cluster (scripts/cluster start).
REDIS_URL = os.environ.get("WEB_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
# A fixed key, so a failing test's data in db 14 can be read back by hand.
DATA_KEY = "c2FmZS1zdGFydC10ZXN0LWtleS0wMTIzNDU2Nzg5YWI="
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
FROM_NUMBER = "+18605550100"
# What Twilio is told to call; deliberately not the URL the test client uses.
PUBLIC_BASE_URL = "https://safestart.example.org"

_sids = itertools.count(1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings from these values only: the developer's environment and .env are ignored."""
    values: dict[str, Any] = {
        "redis_url": REDIS_URL,
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from_number": FROM_NUMBER,
        "public_base_url": PUBLIC_BASE_URL,
        "data_encryption_key": DATA_KEY,
        "var_dir": tmp_path / "var",
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class KeySpace:
    """One test's corner of db 14: every key under its own prefix, deleted afterwards.

    A prefix rather than FLUSHDB: other engineers' runs of this suite share the database,
    and a flush in one run would wipe the conversations another run is in the middle of.
    """

    client: redis.Redis
    prefix: str

    def stored(self) -> list[bytes]:
        return list(self.client.scan_iter(match=f"{self.prefix}*", count=1000))

    def contact_keys(self) -> list[bytes]:
        """Keys holding a parent's data (sessions, plans, replies), not background workers'."""
        return list(self.client.scan_iter(match=f"{self.prefix}{{c:*", count=1000))

    def outbox_entries(self) -> int:
        return int(self.client.xlen(f"{self.prefix}outbox:events"))

    def delete_all(self) -> None:
        keys = self.stored()
        if keys:
            self.client.delete(*keys)


@contextmanager
def new_keyspace() -> Iterator[KeySpace]:
    client = sync_client_for_url(REDIS_URL)
    space = KeySpace(client, f"test:{secrets.token_hex(6)}:")
    try:
        yield space
    finally:
        space.delete_all()
        client.close()


def sync_client_for_url(url: str) -> redis.Redis:
    """A blocking client for looking at a test's keys: a cluster client for a cluster."""
    if is_cluster_url(url):
        return cast(redis.Redis, RedisCluster.from_url(url.replace("+cluster", "", 1)))
    client = redis.Redis.from_url(url)
    assert client.connection_pool.connection_kwargs.get("db") == 14  # never db 0
    return client


@pytest.fixture
def keyspace() -> Iterator[KeySpace]:
    with new_keyspace() as space:
        yield space


@pytest.fixture(scope="module")
def fake_twilio() -> Iterator[FakeTwilio]:
    """A local Twilio-compatible server (validated against Twilio's OpenAPI description)."""
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
def twilio(fake_twilio: FakeTwilio) -> FakeTwilio:
    """The local Twilio, with what earlier tests sent cleared."""
    fake_twilio.clear()
    return fake_twilio


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@asynccontextmanager
async def running_app(
    settings: Settings, keyspace: KeySpace, **options: Any
) -> AsyncIterator[FastAPI]:
    """create_app with its lifespan run, its keys under the test's prefix. Without the heap
    freeze unless asked: its full collection walks this whole test process's heap."""
    options.setdefault("freeze_heap", False)
    application = create_app(settings, key_prefix=keyspace.prefix, **options)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def app(settings: Settings, keyspace: KeySpace) -> AsyncIterator[FastAPI]:
    async with running_app(settings, keyspace) as application:
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


def runtime_of(app: FastAPI) -> Runtime:
    runtime = app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


def store_of(app: FastAPI) -> RedisConversationStore:
    store = runtime_of(app).service.store
    assert isinstance(store, RedisConversationStore)
    return store


async def hold_outbox(app: FastAPI) -> None:
    """Keep the outbox's entries from now on, for a test that reads them: a consumer group
    that reads nothing holds them (entries every group acknowledged are trimmed at once)."""
    await ensure_group(
        runtime_of(app).careteam.records.store.redis, store_of(app).outbox_stream, "test-hold"
    )


# Phones are distinct within a process (a test's keys are its own by prefix, not by phone):
# five random draws from 10,000 numbers collided about one run in a thousand, and a
# parent listed twice then found their own reminder already fired.
_PHONES = itertools.count(secrets.randbelow(10_000))


def new_phone() -> str:
    return "+1860555" + f"{next(_PHONES) % 10_000:04d}"


def new_sid() -> str:
    return f"SM{next(_sids):08d}{secrets.token_hex(12)}"


def inbound_params(
    phone: str, body: str, sid: str | None = None, num_media: int = 0
) -> dict[str, str]:
    """The form Twilio posts for an inbound SMS, with the fields it really sends."""
    sid = sid or new_sid()
    params = {
        "ToCountry": "US",
        "ToState": "CT",
        "SmsMessageSid": sid,
        "NumMedia": str(num_media),
        "ToCity": "HARTFORD",
        "FromZip": "06103",
        "SmsSid": sid,
        "FromState": "CT",
        "SmsStatus": "received",
        "FromCity": "HARTFORD",
        "Body": body,
        "FromCountry": "US",
        "To": FROM_NUMBER,
        "ToZip": "06103",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": phone,
        "ApiVersion": "2010-04-01",
    }
    for i in range(num_media):
        params[f"MediaUrl{i}"] = (
            f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Media/{i}"
        )
        params[f"MediaContentType{i}"] = "image/jpeg"
    return params


def sign(path: str, params: Mapping[str, str], token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature as Twilio computes it, with the SDK's own RequestValidator."""
    return str(RequestValidator(token).compute_signature(PUBLIC_BASE_URL + path, dict(params)))


async def post_signed(
    client: httpx.AsyncClient, path: str, params: Mapping[str, str], signature: str | None = None
) -> httpx.Response:
    headers = {"X-Twilio-Signature": signature if signature is not None else sign(path, params)}
    return await client.post(path, data=dict(params), headers=headers)


async def text(
    client: httpx.AsyncClient, phone: str, body: str, sid: str | None = None
) -> list[str]:
    """Send one signed inbound SMS; the reply texts from the TwiML."""
    response = await post_signed(client, "/twilio/sms", inbound_params(phone, body, sid))
    assert response.status_code == 200, response.text
    return twiml_messages(response.text)


def twiml_messages(body: str) -> list[str]:
    root = ET.fromstring(body)  # noqa: S314 - our own app's TwiML, not untrusted input
    assert root.tag == "Response"
    return [message.text or "" for message in root.findall("Message")]
