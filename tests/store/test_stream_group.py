"""GroupReader, the stream half every worker shares, on real Redis (db 15, own prefix)."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bot.store.stream_group import GroupReader

pytestmark = pytest.mark.anyio


@pytest.fixture
def redis(prefixed_redis: Redis) -> Redis:
    return prefixed_redis


async def add(redis: Redis, stream: str, *values: str) -> list[str]:
    return [(await redis.xadd(stream, {"v": v})).decode() for v in values]


def values(entries: list[tuple[str, object]]) -> list[str]:
    return [f[b"v"].decode() for _, f in entries]  # type: ignore[index]


async def test_new_then_own_pending_then_nothing_once_acked(redis: Redis, prefix: str) -> None:
    stream = f"{prefix}s"
    reader = GroupReader(redis, stream, "g", "one", batch=10)
    await reader.ensure_group()
    await reader.ensure_group()  # an existing group is kept
    await add(redis, stream, "a", "b")  # written after the group: still read
    new = await reader.read_new()
    assert values(new) == ["a", "b"]
    assert await reader.read_new() == []
    assert values(await reader.read_pending()) == ["a", "b"]  # read, not acknowledged
    await reader.ack(i for i, _ in new[:1])
    assert values(await reader.read_pending()) == ["b"]


async def test_entries_before_the_group_count(redis: Redis, prefix: str) -> None:
    stream = f"{prefix}s"
    await add(redis, stream, "early")
    reader = GroupReader(redis, stream, "g", "one")
    await reader.ensure_group()
    assert values(await reader.read_new()) == ["early"]


async def test_idle_entries_of_another_consumer_are_taken_over(redis: Redis, prefix: str) -> None:
    stream = f"{prefix}s"
    dead = GroupReader(redis, stream, "g", "dead", batch=2)
    alive = GroupReader(redis, stream, "g", "alive", batch=2)
    await dead.ensure_group()
    await add(redis, stream, "a", "b", "c")
    await dead.read_new()
    await dead.read_new()
    assert await alive.claim_idle(60_000) == []  # not idle long enough
    assert values(await alive.claim_idle(0)) == ["a", "b"]  # one page of `batch`
    # Every page; with no idle time asked, entries already ours are taken again too.
    assert values(await alive.claim_idle(0, every_page=True)) == ["a", "b", "c"]
    assert values(await alive.read_pending()) == ["a", "b"]  # a page of `batch`, oldest first
    assert await dead.read_pending() == []


async def test_entries_trimmed_while_pending_are_acknowledged_not_returned(
    redis: Redis, prefix: str
) -> None:
    stream = f"{prefix}s"
    first = GroupReader(redis, stream, "g", "first")
    await first.ensure_group()
    ids = await add(redis, stream, "a", "b")
    await first.read_new()
    await redis.xdel(stream, ids[0])
    taker = GroupReader(redis, stream, "g", "taker")
    assert values(await taker.claim_idle(0, every_page=True)) == ["b"]
    pending = await redis.xpending(stream, "g")
    assert pending["pending"] == 1


async def test_ack_trims_what_every_group_is_done_with(redis: Redis, prefix: str) -> None:
    stream = f"{prefix}s"
    one = GroupReader(redis, stream, "one", "c")
    two = GroupReader(redis, stream, "two", "c")
    await one.ensure_group()
    await add(redis, stream, "a", "b")
    done = await one.read_new()
    await one.ack((i for i, _ in done), trim_for=("one", "two"))
    assert await redis.xlen(stream) == 2  # group "two" does not exist yet: nothing goes
    await two.ensure_group()
    read = await two.read_new()
    await two.ack([read[0][0]], trim_for=("one", "two"))
    assert await redis.xlen(stream) == 1  # "a" went; "two" still has "b" to do
