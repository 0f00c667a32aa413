"""The limiter's once-per-window slot with a holder: the one who took it may ask again."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.store.client import client_for_url
from bot.store.limiter import Limiter, PageGate
from tests.store.conftest import ON_CLUSTER, REDIS_URL, delete_prefixed

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["redis", ON_CLUSTER])
async def client(request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[Redis]:
    url = REDIS_URL if request.param == "redis" else request.getfixturevalue("redis_cluster_url")
    redis = client_for_url(url)
    yield redis
    await delete_prefixed(redis, prefix)
    await redis.aclose()


async def test_a_held_slot_answers_its_holder_again_and_no_one_else(
    client: Redis, prefix: str
) -> None:
    limiter = Limiter(client, secrets.token_bytes(32), prefix)
    assert await limiter.once("page", "a", 60, holder="1733-0")
    assert await limiter.once("page", "a", 60, holder="1733-0")
    assert not await limiter.once("page", "a", 60, holder="1733-1")
    assert not await limiter.once("page", "a", 60)
    # Taken without a holder ("1", as the flood guard does): no entry gets it.
    assert await limiter.once("page", "b", 60)
    assert not await limiter.once("page", "b", 60, holder="1733-0")
    assert not await limiter.once("page", "b", 60)
    assert len([key async for key in client.scan_iter(match=f"{prefix}*")]) == 2


async def test_the_page_gate_lets_the_same_entry_page_again(client: Redis, prefix: str) -> None:
    pages = PageGate(Limiter(client, secrets.token_bytes(32), prefix), 1800)
    contact = "+18605550100"
    assert await pages.first(contact, "plan.crisis", "suicide", holder="1733-0")
    assert await pages.first(contact, "plan.crisis", "suicide", holder="1733-0")
    assert not await pages.first(contact, "plan.crisis", "suicide", holder="1733-2")
    assert await pages.first(contact, "plan.crisis", "relapse", holder="1733-2")
    names = [key async for key in client.scan_iter(match=f"{prefix}*")]  # hashed, no phone
    assert len(names) == 2
    assert not any(b"8605550100" in n for n in names)
