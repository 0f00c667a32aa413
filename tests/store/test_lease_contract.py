"""The lease contract (bot/store/leases.py's LeaseHandle), run over its memory twin
(MemoryLease) and real Redis (Lease, db 15, own prefix): at most one holder, and a dead
holder's lease runs out. tests/store/test_lease.py holds what only the Redis one does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from bot.store.lease import Lease
from bot.store.leases import Held, LeaseHandle, MemoryLeases
from tests.waiting import eventually

from .conftest import MemoryClock

pytestmark = pytest.mark.anyio
LONG = timedelta(seconds=60)
SHORT = timedelta(milliseconds=50)


@dataclass
class Leases:
    make: Callable[[timedelta, str | None], LeaseHandle]  # a lease on the test's one key
    until: Callable[[Callable[[], Awaitable[bool]]], Awaitable[None]]  # time passes meanwhile


def _memory() -> Leases:
    clock = MemoryClock()
    leases = MemoryLeases(clock)

    return Leases(lambda ttl, token: leases.lease("l", ttl, token), clock.until)


def _redis(redis: Redis, prefix: str) -> Leases:
    # Redis expires the key on its own clock.
    return Leases(lambda ttl, token: Lease(redis, f"{prefix}l", ttl, token), eventually)


@pytest.fixture(params=["memory", "redis"])
def leases(request: pytest.FixtureRequest, prefixed_redis: Redis, prefix: str) -> Leases:
    return _memory() if request.param == "memory" else _redis(prefixed_redis, prefix)


async def test_one_holder_at_a_time(leases: Leases) -> None:
    mine, theirs = leases.make(LONG, None), leases.make(LONG, None)
    assert mine.token != theirs.token
    assert await mine.acquire()
    assert not await theirs.acquire()
    assert not await theirs.renew()
    assert await mine.renew()
    await theirs.release()  # not theirs to give back
    assert not await theirs.acquire()
    await mine.release()
    assert not await mine.renew()  # given back: no longer ours
    assert await theirs.acquire()


async def test_hold_takes_a_free_lease_keeps_ours_and_leaves_anothers(leases: Leases) -> None:
    one, two = leases.make(LONG, "one"), leases.make(LONG, "two")
    assert one.token == "one"
    assert await one.hold() is Held.NEWLY
    assert await one.hold() is Held.STILL
    assert await two.hold() is Held.BY_ANOTHER
    await one.release()
    assert await two.hold() is Held.NEWLY
    assert await one.hold() is Held.BY_ANOTHER


async def test_the_same_token_is_the_same_holder(leases: Leases) -> None:
    """A process that restarts with its old token (the care-team reader's consumer name)
    still holds what it held."""
    before, after = leases.make(LONG, "reader-1"), leases.make(LONG, "reader-1")
    assert await before.hold() is Held.NEWLY
    assert await after.hold() is Held.STILL
    assert await after.renew()
    assert await after.acquire()  # taking back what we hold
    assert not await leases.make(LONG, "reader-2").acquire()


async def test_a_dead_holders_lease_runs_out(leases: Leases) -> None:
    dead, heir = leases.make(SHORT, None), leases.make(LONG, None)
    assert await dead.acquire()
    assert await heir.hold() is Held.BY_ANOTHER
    held: list[Held] = []

    async def free() -> bool:
        held.append(await heir.hold())
        return held[-1] is not Held.BY_ANOTHER

    await leases.until(free)  # the dead holder's 50 ms run out
    assert held[-1] is Held.NEWLY
    assert not await dead.renew()
    assert await dead.hold() is Held.BY_ANOTHER


async def test_renewing_keeps_a_lease_past_its_first_term(leases: Leases) -> None:
    mine, theirs = leases.make(timedelta(milliseconds=200), None), leases.make(LONG, None)
    assert await mine.acquire()
    renewed: list[bool] = []

    async def renewed_past_a_term() -> bool:  # renewed on each check: 80 outlast 200 ms
        renewed.append(await mine.renew())
        return len(renewed) >= 80

    await leases.until(renewed_past_a_term)
    assert all(renewed)
    assert await theirs.hold() is Held.BY_ANOTHER


def test_a_lease_must_last() -> None:
    with pytest.raises(ValueError, match="last"):
        MemoryLeases(MemoryClock()).lease("l", timedelta(0))
