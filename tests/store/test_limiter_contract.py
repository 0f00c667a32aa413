"""The flood limits' contract, run over the memory twin, Redis and a 3-primary cluster:
fixed-window counts, distinct members, once-slots with a holder, and key names that never
carry the phone number or address they count."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from bot.store.client import client_for_url
from bot.store.keys.limits import LimitKeys
from bot.store.limiter import Limiter
from bot.store.limits import Limits, PageGate
from bot.store.limits_memory import MemoryLimits
from tests.store.conftest import ON_CLUSTER, REDIS_URL, MemoryClock, delete_prefixed

pytestmark = pytest.mark.anyio

T0 = MemoryClock().now  # a multiple of 60: windows start here


@dataclass
class Bench:
    limits: Limits
    names: Callable[[], AsyncIterator[str]]


@pytest.fixture(params=["memory", "redis", ON_CLUSTER])
async def bench(request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[Bench]:
    id_key = secrets.token_bytes(32)
    if request.param == "memory":
        memory = MemoryLimits(MemoryClock(), id_key, prefix)

        async def listed() -> AsyncIterator[str]:
            for name in memory.names():
                yield name

        yield Bench(memory, listed)
        return
    url = REDIS_URL if request.param == "redis" else request.getfixturevalue("redis_cluster_url")
    redis = client_for_url(url)

    async def scanned() -> AsyncIterator[str]:
        async for name in redis.scan_iter(match=f"{prefix}*"):
            yield name.decode()

    yield Bench(Limiter(redis, id_key, prefix), scanned)
    await delete_prefixed(redis, prefix)
    await redis.aclose()


async def names(bench: Bench) -> list[str]:
    return sorted([name async for name in bench.names()])


async def test_hits_are_counted_per_fixed_window(bench: Bench) -> None:
    counts = [await bench.limits.hit("client", "10.0.0.1", 60, T0 + s) for s in (0, 30, 59)]
    assert [c.count for c in counts] == [1, 2, 3]
    assert counts[2].over(2)
    assert not counts[1].over(2)
    assert (await bench.limits.hit("client", "10.0.0.1", 60, T0 + 60)).count == 1
    assert (await bench.limits.hit("client", "10.0.0.2", 60, T0 + 60)).count == 1
    assert (await bench.limits.hit("other", "10.0.0.1", 60, T0 + 60)).count == 1


async def test_the_first_distinct_members_are_admitted_and_stay_admitted(bench: Bench) -> None:
    limits = bench.limits
    assert await limits.admit("contacts", "10.0.0.1", "a", 2, 60, T0)
    assert await limits.admit("contacts", "10.0.0.1", "b", 2, 60, T0 + 1)
    assert not await limits.admit("contacts", "10.0.0.1", "c", 2, 60, T0 + 2)
    assert await limits.admit("contacts", "10.0.0.1", "a", 2, 60, T0 + 3)
    assert await limits.admit("contacts", "10.0.0.2", "c", 2, 60, T0 + 3)
    assert await limits.admit("contacts", "10.0.0.1", "c", 2, 60, T0 + 60)  # a new window


async def test_a_held_slot_answers_its_holder_again_and_no_one_else(bench: Bench) -> None:
    limits = bench.limits
    assert await limits.once("page", "a", 60, holder="1733-0")
    assert await limits.once("page", "a", 60, holder="1733-0")
    assert not await limits.once("page", "a", 60, holder="1733-1")
    assert not await limits.once("page", "a", 60)
    # Taken without a holder ("1", as the flood guard does): no entry gets it.
    assert await limits.once("page", "b", 60)
    assert not await limits.once("page", "b", 60, holder="1733-0")
    assert not await limits.once("page", "b", 60)
    assert len(await names(bench)) == 2


async def test_the_page_gate_lets_the_same_entry_page_again(bench: Bench) -> None:
    pages = PageGate(bench.limits, 1800)
    contact = "+18605550100"
    assert await pages.first(contact, "plan.crisis", "suicide", holder="1733-0")
    assert await pages.first(contact, "plan.crisis", "suicide", holder="1733-0")
    assert not await pages.first(contact, "plan.crisis", "suicide", holder="1733-2")
    assert await pages.first(contact, "plan.crisis", "relapse", holder="1733-2")
    listed = await names(bench)  # hashed, no phone
    assert len(listed) == 2
    assert not any("8605550100" in n for n in listed)


async def test_key_names_are_the_ones_redis_has_always_held(bench: Bench, prefix: str) -> None:
    limits = bench.limits
    await limits.hit("client", "10.0.0.1", 60, T0)
    await limits.admit("contacts", "10.0.0.1", "+18605550100", 5, 60, T0)
    await limits.once("told", "+18605550100", 60)
    listed = await names(bench)
    assert len(listed) == 3
    assert not any("10.0.0.1" in n or "8605550100" in n for n in listed)
    assert all(n.startswith(f"{prefix}limit:") for n in listed)


def test_limit_key_names_are_byte_identical_to_the_old_ones() -> None:
    id_key = b"k" * 32

    def old(name: str, key: str) -> str:  # as limiter.py named them before keys/limits.py
        digest = hmac.new(id_key, key.encode(), hashlib.sha256).hexdigest()[:24]
        return f"p:limit:{name}:{digest}"

    keys = LimitKeys(id_key, "p:")
    assert keys.counter("client", "10.0.0.1", 29_333_334) == old("client", "10.0.0.1") + (
        ":29333334"
    )
    assert keys.members("contacts", "10.0.0.1", 7) == old("contacts", "10.0.0.1") + ":7:set"
    assert keys.once("page", "+1860|plan.crisis") == old("page", "+1860|plan.crisis") + ":once"
    assert keys.tag("+18605550100") == old("x", "+18605550100").rsplit(":", 1)[1]
    assert keys.counter("client", "a", 1) == (
        "p:limit:client:" + hmac.new(id_key, b"a", hashlib.sha256).hexdigest()[:24] + ":1"
    )


async def test_the_memory_twins_windows_end_on_its_clock() -> None:
    clock = MemoryClock()
    limits = MemoryLimits(clock, b"k" * 32)
    assert await limits.once("told", "a", 60)
    await limits.hit("client", "x", 60, clock.now)
    clock.now += 59
    assert not await limits.once("told", "a", 60)
    clock.now += 2
    assert await limits.once("told", "a", 60)
    assert len(limits.names()) == 1  # the counter's window went with its TTL
