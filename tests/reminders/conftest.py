"""Fixtures for the reminder tests: Redis db 13 under a fresh prefix, a fake clock, fakes."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.channels.outbound import Sender
from bot.engine.events import Event
from bot.engine.session import Session
from bot.i18n import Catalogs
from bot.i18n_catalogs import shipped_locales
from bot.reminders.dispatcher import GROUP as DISPATCH_GROUP
from bot.reminders.dispatcher import Dispatcher
from bot.reminders.intake import GROUP as INTAKE_GROUP
from bot.reminders.intake import Intake
from bot.reminders.planner import Planner
from bot.reminders.ratelimit import TokenBucket
from bot.reminders.reach import Reach
from bot.reminders.replies import ListReplies
from bot.reminders.rules import Timing
from bot.reminders.store import ReminderStore
from bot.scheduling.scheduler import Scheduler
from bot.store.client import client_for_url
from bot.store.crypto import Cipher
from bot.store.keys.reminders import ReminderKeys
from bot.store.redis_store import RedisConversationStore
from bot.store.reminder_redis import RedisReminderStorage
from bot.store.stream_group import GroupReader

# Db 13 is the reminders' own; every test writes under its own prefix and deletes only that.
REDIS_URL = os.environ.get("REMINDERS_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeClock:
    """A clock tests move by hand; never the machine's time."""

    def __init__(self, now: datetime) -> None:
        assert now.tzinfo is not None
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class RecordingSender:
    """The outbound fake: keeps what would have been texted; can be told to fail."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    fail: bool = False

    async def send(self, address: str, text: str) -> str:
        if self.fail:
            raise RuntimeError("carrier said no")
        self.sent.append((address, text))
        return f"SM{len(self.sent):032d}"

    async def close(self) -> None:
        return None


async def delete_prefixed(client: Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
    for start in range(0, len(keys), 1000):
        await client.delete(*keys[start : start + 1000])


@pytest.fixture
def prefix() -> str:
    return f"test:rem:{secrets.token_hex(6)}:"


@pytest.fixture
def cipher() -> Cipher:
    return Cipher(secrets.token_bytes(32))


@pytest.fixture
async def redis(prefix: str) -> AsyncIterator[Redis]:
    client = client_for_url(REDIS_URL)
    yield client
    await delete_prefixed(client, prefix)
    await client.aclose()


@pytest.fixture
def conversations(redis: Redis, cipher: Cipher, prefix: str) -> RedisConversationStore:
    return RedisConversationStore(redis, cipher, prefix=prefix)


@pytest.fixture
def keys(prefix: str) -> ReminderKeys:
    return ReminderKeys(prefix)


@pytest.fixture
async def storage(
    redis: Redis, cipher: Cipher, keys: ReminderKeys
) -> AsyncIterator[RedisReminderStorage]:
    """The subsystem's storage as wiring opens it (its blocking client closed after)."""
    made = RedisReminderStorage.open(redis, cipher, keys)
    yield made
    made.close()


@pytest.fixture
def store(storage: RedisReminderStorage) -> ReminderStore:
    return ReminderStore(storage.records)


@pytest.fixture(scope="session")
def translator() -> Catalogs:
    return Catalogs(("en",))


@pytest.fixture(scope="session")
def shipped_catalogs() -> Catalogs:
    """Every shipped language, as the app loads them."""
    return Catalogs(tuple(shipped_locales()))


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


async def make_dispatcher(
    redis: Redis,
    planner: Planner,
    sender: Sender,
    translator: Catalogs,
    bucket: TokenBucket | None = None,
    batch: int = 100,
    **options: Any,
) -> Dispatcher:
    """The due-stream consumer as wiring builds it, with its group made; no pacing unless a
    bucket is given."""
    made = Dispatcher(
        group=GroupReader(redis, planner.scheduler.keys.due, DISPATCH_GROUP, "test", batch=batch),
        planner=planner,
        sender=sender,
        bucket=bucket or TokenBucket(1000, 1000),
        translator=translator,
        **options,
    )
    await made.ensure_group()
    return made


@pytest.fixture
async def dispatcher(
    redis: Redis, planner: Planner, sender: RecordingSender, translator: Catalogs
) -> AsyncIterator[Dispatcher]:
    made = await make_dispatcher(redis, planner, sender, translator)
    yield made
    await made._bucket.close()


def make_intake(
    redis: Redis,
    cipher: Cipher,
    conversations: RedisConversationStore,
    planner: Planner,
    sender: Sender,
    translator: Catalogs,
) -> Intake:
    """The outbox consumer as wiring builds it, answering through `sender` (no pacing)."""
    reach = Reach(planner.store, conversations, planner.default_timezone)
    return Intake(
        group=GroupReader(redis, conversations.outbox_stream, INTAKE_GROUP, "test"),
        cipher=cipher,
        planner=planner,
        replies=ListReplies(planner, sender, translator, reach),
    )


@pytest.fixture
def clock() -> FakeClock:
    # Monday 2027-03-08 15:00 UTC (10:00 in New York): the week before the DST change.
    return FakeClock(datetime(2027, 3, 8, 15, 0, tzinfo=UTC))


@pytest.fixture
async def scheduler(storage: RedisReminderStorage) -> AsyncIterator[Scheduler]:
    """A started scheduler that never leads (it does not contend for the lease)."""
    made = Scheduler(storage)
    await made.start(contend=False)
    yield made
    await made.stop()


@pytest.fixture
def planner(
    store: ReminderStore,
    scheduler: Scheduler,
    conversations: RedisConversationStore,
    clock: FakeClock,
) -> Planner:
    return Planner(store, scheduler, conversations, timing=Timing(), clock=clock)


async def make_parent(
    conversations: RedisConversationStore,
    address: str = "+12035550142",
    *,
    timezone: str = "America/New_York",
    status: str = "active",
    onboarding: dict[str, Any] | None = None,
    prefs: dict[str, Any] | None = None,
    locale: str = "en",
    events: list[Event] | None = None,
) -> str:
    """A parent as the engine leaves them after onboarding; returns the contact id."""

    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        session.status = status  # type: ignore[assignment]
        session.timezone = timezone
        session.locale = locale
        session.plan.answers["onboarding"] = dict(onboarding or {"best_time": "any"})
        if prefs is not None:
            session.plan.prefs.update(prefs)
        return session, [], list(events or [])

    await conversations.transact(address, None, apply)
    return conversations.keys_for(address).contact


async def set_status(conversations: RedisConversationStore, address: str, status: str) -> None:
    """What the engine does on STOP ("opted_out") or START ("active")."""

    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        session.status = status  # type: ignore[assignment]
        return session, [], []

    await conversations.transact(address, None, apply)
