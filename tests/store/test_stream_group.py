"""The stream half every worker shares (bot/store/streams.py's StreamGroup), one contract run
over its memory twin (MemoryGroupReader) and real Redis (GroupReader, db 15, own prefix)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from bot.store.stream_group import GroupReader
from bot.store.stream_memory import MemoryStreams
from bot.store.streams import Entry, StreamGroup
from tests.waiting import eventually

from .conftest import MemoryClock

pytestmark = pytest.mark.anyio


@dataclass
class Streams:
    """A stream to test on, and what the contract cannot do through a StreamGroup."""

    stream: str
    reader: Callable[..., StreamGroup]
    add: Callable[..., Awaitable[list[str]]]  # XADD {"v": value} per value; their ids
    delete: Callable[[str], Awaitable[None]]  # XDEL: trimmed behind a reader's back
    length: Callable[[], Awaitable[int]]
    pending: Callable[[str], Awaitable[int]]  # entries pending in a group
    until: Callable[[Callable[[], Awaitable[bool]]], Awaitable[None]]  # time passes meanwhile


def _memory() -> Streams:
    clock = MemoryClock()
    streams = MemoryStreams(clock)
    name = "s"

    def reader(group: str, consumer: str, batch: int = 100) -> StreamGroup:
        return streams.group(name, group, consumer, batch=batch)

    async def add(*values: str) -> list[str]:
        return [streams.stream(name).add({"v": v}) for v in values]

    async def delete(entry_id: str) -> None:
        streams.stream(name).delete([entry_id])

    async def length() -> int:
        return len(streams.stream(name).entries)

    async def pending(group: str) -> int:
        return len(streams.stream(name).groups[group].pending)

    return Streams(name, reader, add, delete, length, pending, clock.until)


def _redis(redis: Redis, prefix: str) -> Streams:
    name = f"{prefix}s"

    def reader(group: str, consumer: str, batch: int = 100) -> StreamGroup:
        return GroupReader(redis, name, group, consumer, batch=batch)

    async def add(*values: str) -> list[str]:
        return [(await redis.xadd(name, {"v": v})).decode() for v in values]

    async def delete(entry_id: str) -> None:
        await redis.xdel(name, entry_id)

    async def length() -> int:
        return int(await redis.xlen(name))

    async def pending(group: str) -> int:
        return int((await redis.xpending(name, group))["pending"])

    return Streams(name, reader, add, delete, length, pending, eventually)


@pytest.fixture(params=["memory", "redis"])
def streams(request: pytest.FixtureRequest, prefixed_redis: Redis, prefix: str) -> Streams:
    return _memory() if request.param == "memory" else _redis(prefixed_redis, prefix)


def values(entries: Sequence[Entry]) -> list[str]:
    return [f[b"v"].decode() for _, f in entries if f is not None]


async def test_new_then_own_pending_then_nothing_once_acked(streams: Streams) -> None:
    reader = streams.reader("g", "one", batch=10)
    await reader.ensure_group()
    await reader.ensure_group()  # an existing group is kept
    await streams.add("a", "b")  # written after the group: still read
    new = await reader.read_new()
    assert values(new) == ["a", "b"]
    assert await reader.read_new() == []
    assert values(await reader.read_pending()) == ["a", "b"]  # read, not acknowledged
    await reader.ack(i for i, _ in new[:1])
    assert values(await reader.read_pending()) == ["b"]
    await reader.ack([])  # nothing to acknowledge: nothing happens
    assert await streams.pending("g") == 1


async def test_entries_before_the_group_count(streams: Streams) -> None:
    await streams.add("early")
    reader = streams.reader("g", "one")
    await reader.ensure_group()
    assert values(await reader.read_new()) == ["early"]


async def test_a_read_takes_one_batch_and_leaves_the_rest_to_the_next(streams: Streams) -> None:
    one = streams.reader("g", "one", batch=2)
    two = streams.reader("g", "two", batch=2)
    await one.ensure_group()
    await streams.add("a", "b", "c")
    assert values(await one.read_new()) == ["a", "b"]
    assert values(await two.read_new()) == ["c"]  # each entry goes to one consumer
    assert values(await two.read_pending()) == ["c"]
    assert values(await one.read_pending()) == ["a", "b"]


async def test_a_blocking_read_gets_an_entry_written_meanwhile(streams: Streams) -> None:
    reader = streams.reader("g", "one")
    await reader.ensure_group()
    read = asyncio.create_task(reader.read_new(block_ms=5_000))
    for _ in range(5):  # let the read start blocking first
        await asyncio.sleep(0)
    await streams.add("late")
    assert values(await asyncio.wait_for(read, 5)) == ["late"]
    assert await reader.read_new(block_ms=1) == []  # waits a moment, finds nothing


async def test_idle_entries_of_another_consumer_are_taken_over(streams: Streams) -> None:
    dead = streams.reader("g", "dead", batch=2)
    alive = streams.reader("g", "alive", batch=2)
    await dead.ensure_group()
    await streams.add("a", "b", "c")
    await dead.read_new()
    await dead.read_new()
    assert await alive.claim_idle(60_000) == []  # not idle long enough
    assert values(await alive.claim_idle(0)) == ["a", "b"]  # one page of `batch`
    # Every page; with no idle time asked, entries already ours are taken again too.
    assert values(await alive.claim_idle(0, every_page=True)) == ["a", "b", "c"]
    assert values(await alive.read_pending()) == ["a", "b"]  # a page of `batch`, oldest first
    assert await dead.read_pending() == []


async def test_an_entry_idle_long_enough_is_taken_a_fresh_one_is_not(streams: Streams) -> None:
    dead = streams.reader("g", "dead")
    alive = streams.reader("g", "alive")
    await dead.ensure_group()
    await streams.add("old")
    await dead.read_new()
    taken: list[Entry] = []

    async def idle_enough() -> bool:  # Redis counts idle time on its own clock
        taken.extend(await alive.claim_idle(20))
        return bool(taken)

    await streams.until(idle_enough)
    assert values(taken) == ["old"]
    await streams.add("new")
    await dead.read_new()
    assert await alive.claim_idle(60_000) == []  # "new" was just read; "old" just taken
    assert values(await alive.read_pending()) == ["old"]


async def test_entries_trimmed_while_pending_are_acknowledged_not_returned(
    streams: Streams,
) -> None:
    first = streams.reader("g", "first")
    await first.ensure_group()
    ids = await streams.add("a", "b")
    await first.read_new()
    await streams.delete(ids[0])
    assert [i for i, f in await first.read_pending() if f is None] == [ids[0]]  # only its id
    taker = streams.reader("g", "taker")
    assert values(await taker.claim_idle(0, every_page=True)) == ["b"]
    assert await streams.pending("g") == 1


async def test_ack_trims_what_every_group_is_done_with(streams: Streams) -> None:
    one = streams.reader("one", "c")
    two = streams.reader("two", "c")
    await one.ensure_group()
    await streams.add("a", "b")
    done = await one.read_new()
    await one.ack((i for i, _ in done), trim_for=("one", "two"))
    assert await streams.length() == 2  # group "two" does not exist yet: nothing goes
    await two.ensure_group()
    read = await two.read_new()
    await two.ack([read[0][0]], trim_for=("one", "two"))
    assert await streams.length() == 1  # "a" went; "two" still has "b" to do
    await two.ack([read[1][0]], trim_for=("one", "two"))
    assert await streams.length() == 0


async def test_entries_confirmed_stay_the_readers_own(streams: Streams) -> None:
    """confirm: with no replica that could take over, at once; the entries stay pending
    with this consumer, so its own pending read gives them back (the failover case is
    tests/store/test_lease_failover.py's)."""
    one = streams.reader("g", "one")
    await one.ensure_group()
    ids = await streams.add("a", "b")
    assert [i for i, _ in await one.read_new()] == ids
    assert await one.confirm(ids)
    assert await one.confirm([])
    assert await streams.pending("g") == 2
    assert [i for i, _ in await one.read_pending()] == ids


async def test_the_memory_stream_wakes_a_reader_when_another_thread_adds() -> None:
    """APScheduler's thread fires due jobs into the memory due stream the dispatcher blocks on."""
    streams = MemoryStreams(MemoryClock())
    reader = streams.group("s", "g", "one")
    await reader.ensure_group()
    read = asyncio.create_task(reader.read_new(block_ms=0))  # 0: until something comes
    for _ in range(5):
        await asyncio.sleep(0)
    threading.Thread(target=streams.stream("s").add, args=({"v": "from a thread"},)).start()
    assert values(await asyncio.wait_for(read, 5)) == ["from a thread"]


def test_a_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        MemoryStreams(MemoryClock()).group("s", "g", "c", batch=0)
