"""The one lease (bot/store/lease.py) on real Redis (db 15, own prefix): at most one holder."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from bot.store.client import client_for_url
from bot.store.lease import Held, Lease

from .conftest import REDIS_URL

pytestmark = pytest.mark.anyio
LONG = timedelta(seconds=60)


@pytest.fixture
def redis(prefixed_redis: Redis) -> Redis:
    return prefixed_redis


async def test_one_holder_at_a_time(redis: Redis, prefix: str) -> None:
    mine, theirs = Lease(redis, f"{prefix}l", LONG), Lease(redis, f"{prefix}l", LONG)
    assert await mine.acquire()
    assert not await theirs.acquire()
    assert not await theirs.renew()
    assert await mine.renew()
    await theirs.release()  # not theirs to give back
    assert not await theirs.acquire()
    await mine.release()
    assert await theirs.acquire()


async def test_hold_takes_a_free_lease_keeps_ours_and_leaves_anothers(
    redis: Redis, prefix: str
) -> None:
    one = Lease(redis, f"{prefix}l", LONG, token="one")
    two = Lease(redis, f"{prefix}l", LONG, token="two")
    assert await one.hold() is Held.NEWLY
    assert await one.hold() is Held.STILL
    assert await two.hold() is Held.BY_ANOTHER
    await one.release()
    assert await two.hold() is Held.NEWLY
    assert await redis.get(f"{prefix}l") == b"two"


async def test_a_dead_holders_lease_runs_out(redis: Redis, prefix: str) -> None:
    dead = Lease(redis, f"{prefix}l", timedelta(milliseconds=50))
    heir = Lease(redis, f"{prefix}l", LONG)
    assert await dead.acquire()
    assert await heir.hold() is Held.BY_ANOTHER
    for _ in range(100):  # bounded wait: Redis expires the key on its own clock
        if await heir.hold() is Held.NEWLY:
            break
        await asyncio.sleep(0.02)
    assert await redis.get(f"{prefix}l") == heir.token.encode()
    assert not await dead.renew()


def test_a_lease_must_last() -> None:
    with pytest.raises(ValueError, match="last"):
        Lease(client_for_url(REDIS_URL), "k", timedelta(0))
