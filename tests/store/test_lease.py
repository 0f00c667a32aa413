"""The one lease (bot/store/lease.py) on real Redis (db 15, own prefix): at most one holder."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from bot.store.client import client_for_url
from bot.store.lease import Held, Lease
from bot.store.replicated import promotable_replicas

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


async def test_the_holder_acquiring_again_keeps_it(redis: Redis, prefix: str) -> None:
    """After a round it could not confirm (a replica slow to acknowledge), a holder takes
    its own lease back at once rather than waiting for it to run out."""
    mine = Lease(redis, f"{prefix}l", LONG)
    assert await mine.acquire()
    assert await mine.acquire()
    assert await redis.get(f"{prefix}l") == mine.token.encode()


def test_replicas_that_could_take_over_count_and_failed_ones_do_not() -> None:
    nodes = "\n".join(
        [
            "aaa 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460",
            "bbb 127.0.0.1:7003@17003 slave aaa 0 1 1 connected",
            "ccc 127.0.0.1:7004@17004 slave,fail? aaa 0 1 1 connected",  # maybe back soon
            "ddd 127.0.0.1:7005@17005 slave,fail aaa 0 1 1 disconnected",  # known dead
            "eee 127.0.0.1:7006@17006 slave fff 0 1 1 connected",  # another primary's
        ]
    )
    assert promotable_replicas([b"aaa\n", nodes.encode()]) == 2
    assert promotable_replicas([[b"master", 10, [[b"127.0.0.1", b"7003", b"10"]]]]) == 1
    assert promotable_replicas([[b"slave", b"127.0.0.1", 7000, b"connected", 10]]) == 0
