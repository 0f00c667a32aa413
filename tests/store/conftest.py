"""Fixtures for the store tests: the memory store and a real Redis store (db 15), one contract."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.store.base import ConversationStore
from bot.store.client import client_for_url
from bot.store.crypto import Cipher
from bot.store.memory import MemoryConversationStore
from bot.store.redis_store import RedisConversationStore
from bot.store.store_limits import StoreLimits

# Db 15 on the shared Redis; each test writes under its own prefix and deletes only that,
# so parallel runs (xdist, other engineers) never see or wipe each other's keys.
REDIS_URL = os.environ.get("STORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Long enough for 20 queued messages on a busy machine, short enough to test the limit.
LOCK_WAIT_S = 3.0


class MemoryClock:
    """The memory twins' clock (seconds): moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    async def until(self, check: Callable[[], Awaitable[bool]], step_s: float = 0.01) -> None:
        """Move on `step_s` at a time until `check()` holds (at most a minute of it)."""
        for _ in range(int(60 / step_s)):
            if await check():
                return
            self.now += step_s
        raise AssertionError("never held")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def cipher() -> Cipher:
    return Cipher(secrets.token_bytes(32))


@pytest.fixture
def prefix() -> str:
    return f"test:{secrets.token_hex(6)}:"


@pytest.fixture
def lock_wait_s() -> float:
    """Override with @pytest.mark.parametrize("lock_wait_s", [...]) for a shorter wait."""
    return LOCK_WAIT_S


async def delete_prefixed(client: Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
    if keys:
        await client.delete(*keys)


@pytest.fixture
async def redis_store(
    cipher: Cipher, prefix: str, lock_wait_s: float
) -> AsyncIterator[RedisConversationStore]:
    client = client_for_url(REDIS_URL)
    store = RedisConversationStore(
        client, cipher, prefix=prefix, limits=StoreLimits(lock_wait_s=lock_wait_s)
    )
    await store.prepare()
    yield store
    await delete_prefixed(client, prefix)
    await store.close()


@pytest.fixture
async def prefixed_redis(prefix: str) -> AsyncIterator[Redis]:
    """A plain client on the test db; whatever the test wrote under its prefix goes after."""
    client = client_for_url(REDIS_URL)
    yield client
    await delete_prefixed(client, prefix)
    await client.aclose()


@pytest.fixture
async def raw_redis() -> AsyncIterator[Redis]:
    """A plain client on the test db, for looking at what the store wrote."""
    client = client_for_url(REDIS_URL)
    yield client
    await client.aclose()


@dataclass
class Harness:
    """A store plus the one thing the contract tests cannot do through it: hold a contact."""

    store: ConversationStore
    hold: Callable[[str], AbstractAsyncContextManager[None]]


def _memory_harness(lock_wait_s: float) -> Harness:
    store = MemoryConversationStore(lock_wait_s=lock_wait_s)

    @asynccontextmanager
    async def hold(address: str) -> AsyncIterator[None]:
        async with store.lock_for(address):
            yield

    return Harness(store, hold)


def _redis_harness(store: RedisConversationStore, client: Redis) -> Harness:
    @asynccontextmanager
    async def hold(address: str) -> AsyncIterator[None]:
        # What another process mid-message looks like: its token in the lock key.
        key = store.keys_for(address).lock
        await client.set(key, "someone-else", px=30_000)
        try:
            yield
        finally:
            await client.delete(key)

    return Harness(store, hold)


# The contract on a 3-primary Redis Cluster too: one xdist worker owns the cluster.
ON_CLUSTER = pytest.param("cluster", marks=pytest.mark.xdist_group("cluster"))


@pytest.fixture(params=["memory", "redis", ON_CLUSTER])
async def harness(request: pytest.FixtureRequest, lock_wait_s: float) -> AsyncIterator[Harness]:
    if request.param == "memory":
        yield _memory_harness(lock_wait_s)
        return
    cipher = Cipher(secrets.token_bytes(32))
    prefix = f"test:{secrets.token_hex(6)}:"
    url = REDIS_URL if request.param == "redis" else request.getfixturevalue("redis_cluster_url")
    client = client_for_url(url)
    store = RedisConversationStore(
        client, cipher, prefix=prefix, limits=StoreLimits(lock_wait_s=lock_wait_s)
    )
    await store.prepare()
    yield _redis_harness(store, client)
    await delete_prefixed(client, prefix)
    await store.close()


async def claimed(records: Any, job_id: str, occurrence: str) -> bool:
    """A send claim newly taken (bot/store/send_claims.py): what a reminder goes out under."""
    return (await records.take_send(job_id, occurrence, "test", 0, 60_000)).state == "new"
