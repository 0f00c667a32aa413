"""A text to a contact this process wrote last takes one round trip (QUICK), and is exactly
as safe as two: another process's writes, an erasure, a held lock, a duplicate or an
unanswered call each end as the two-round-trip path would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.engine.events import Event
from bot.engine.session import Session
from bot.errors import OutcomeUnknown, StoreUnavailable
from bot.store.base import Apply
from bot.store.client import client_for_url
from bot.store.crypto import Cipher
from bot.store.redis_store import RedisConversationStore
from bot.store.roundtrips import RoundTripCounter, counting_client
from tests.fakes.redis_server import PrivateRedis
from tests.waiting import eventually

from .conftest import REDIS_URL, delete_prefixed

pytestmark = pytest.mark.anyio

PHONE = "+18605550177"


def append(value: int) -> Apply:
    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        session.plan.answers.setdefault("t", {}).setdefault("seen", []).append(value)
        session.history.append(["in", str(value), "2026-12-05T12:00:00+00:00", ""])
        return session, [f"got {value}"], []

    return apply


def seen(session: Session | None) -> list[int]:
    assert session is not None
    return list(session.plan.answers["t"]["seen"])


Counted = tuple[RedisConversationStore, RoundTripCounter]


@pytest.fixture
async def two(cipher: Cipher, prefix: str) -> AsyncIterator[tuple[Counted, Counted]]:
    """Two stores on one keyspace, as two processes of the app would be."""
    made: list[Counted] = []
    for _ in range(2):
        counter = RoundTripCounter()
        store = RedisConversationStore(counting_client(REDIS_URL, counter), cipher, prefix=prefix)
        await store.prepare()
        counter.reset()
        made.append((store, counter))
    yield made[0], made[1]
    client = counting_client(REDIS_URL, RoundTripCounter())
    await delete_prefixed(client, prefix)
    await client.aclose()
    for store, _ in made:
        await store.close()


async def test_one_round_trip_after_this_process_wrote_two_after_another_did(
    two: tuple[Counted, Counted],
) -> None:
    (a, a_trips), (b, b_trips) = two
    await a.transact(PHONE, "SM1", append(1))
    assert a_trips.reset() == 2  # nothing known yet
    await a.transact(PHONE, "SM2", append(2))
    assert a_trips.reset() == 1
    again = await a.transact(PHONE, "SM2", append(99))
    assert a_trips.reset() == 1
    assert again.duplicate
    assert again.replies == ["got 2"]

    await b.transact(PHONE, "SM3", append(3))
    assert b_trips.reset() == 2
    # a's memory is stale now: its proposal is refused, the lock taken, the text applied
    # again to what b wrote, then committed.
    outcome = await a.transact(PHONE, "SM4", append(4))
    assert a_trips.reset() == 2
    assert outcome.replies == ["got 4"]
    assert seen(outcome.session) == [1, 2, 3, 4]
    await a.transact(PHONE, "SM5", append(5))
    assert a_trips.reset() == 1
    assert seen(await b.load(PHONE)) == [1, 2, 3, 4, 5]
    # The recent ids (the dedupe list keeps 4) are known to both: a resend replays.
    for n in range(2, 6):
        for store in (a, b):
            replay = await store.transact(PHONE, f"SM{n}", append(100 + n))
            assert replay.duplicate
            assert replay.replies == [f"got {n}"]
    assert seen(await a.load(PHONE)) == [1, 2, 3, 4, 5]


async def test_two_processes_texting_one_contact_at_once_lose_nothing(
    two: tuple[Counted, Counted],
) -> None:
    """Rounds of three texts, each sent to both processes at once (a retry landing on the
    other one): every text applied exactly once, every copy answered alike."""
    (a, _), (b, _) = two
    await a.transact(PHONE, "SM0", append(0))
    for first in range(1, 31, 3):
        ids = range(first, first + 3)
        calls = [s.transact(PHONE, f"SM{n}", append(n)) for n in ids for s in (a, b)]
        outcomes = await asyncio.gather(*calls)
        assert [o.replies for o in outcomes] == [[f"got {n}"] for n in ids for _ in (a, b)]
        assert sum(not o.duplicate for o in outcomes) == 3
    assert sorted(seen(await a.load(PHONE))) == list(range(31))


async def test_an_erased_contact_is_not_brought_back_by_what_a_process_remembers(
    two: tuple[Counted, Counted], raw_redis: Redis
) -> None:
    (a, a_trips), (b, _) = two
    await a.transact(PHONE, "SM1", append(1))
    await a.transact(PHONE, "SM2", append(2))
    await b.erase_contact(a.keys_for(PHONE).contact)
    a_trips.reset()

    outcome = await a.transact(PHONE, "SM3", append(3))
    assert a_trips.reset() == 2
    assert seen(outcome.session) == [3]
    assert seen(await b.load(PHONE)) == [3]


async def test_an_erasure_half_done_is_not_undone(
    two: tuple[Counted, Counted], raw_redis: Redis
) -> None:
    """Erasure unlinks session and plan first, the lock after: in between, the lock still
    names this process's last write, and the session's nonce is what refuses the proposal."""
    (a, _), (b, _) = two
    await a.transact(PHONE, "SM1", append(1))
    await a.transact(PHONE, "SM2", append(2))
    keys = a.keys_for(PHONE)
    await raw_redis.unlink(keys.session, keys.plan)

    outcome = await a.transact(PHONE, "SM3", append(3))
    assert seen(outcome.session) == [3]
    assert seen(await b.load(PHONE)) == [3]


async def test_a_held_lock_makes_the_text_wait_its_turn(
    two: tuple[Counted, Counted], raw_redis: Redis
) -> None:
    (a, _), _ = two
    await a.transact(PHONE, "SM1", append(1))
    lock = a.keys_for(PHONE).lock
    await raw_redis.set(lock, "another-process", px=60_000)
    waiting = asyncio.create_task(a.transact(PHONE, "SM2", append(2)))
    queue = a.keys_for(PHONE).queue

    async def queued() -> bool:
        return bool(await raw_redis.exists(queue))

    await eventually(queued, what="the text waiting in the contact's queue")
    assert not waiting.done()
    assert seen(await a.load(PHONE)) == [1]
    await raw_redis.delete(lock)
    outcome = await asyncio.wait_for(waiting, 5)
    assert seen(outcome.session) == [1, 2]


async def lose_the_answer(
    store: RedisConversationStore, monkeypatch: pytest.MonkeyPatch, *, run_it: bool
) -> list[tuple[Any, list[str], list[Any]]]:
    """The next QUICK call goes unanswered: run (answer lost) or not yet sent."""
    original = store._evalsha
    held: list[tuple[Any, list[str], list[Any]]] = []

    async def lost(script: Any, keys: list[str], args: list[Any]) -> Any:
        if script is store._quick and not held:
            held.append((script, keys, args))
            if run_it:
                await original(script, keys, args)
            raise RedisTimeoutError("no answer")
        return await original(script, keys, args)

    monkeypatch.setattr(store, "_evalsha", lost)
    return held


async def test_an_unanswered_call_that_ran_is_answered_as_saved(
    two: tuple[Counted, Counted], monkeypatch: pytest.MonkeyPatch
) -> None:
    (a, _), (b, _) = two
    await a.transact(PHONE, "SM1", append(1))
    await lose_the_answer(a, monkeypatch, run_it=True)

    outcome = await a.transact(PHONE, "SM2", append(2))
    assert outcome.replies == ["got 2"]
    assert seen(await b.load(PHONE)) == [1, 2]


async def test_an_unanswered_call_that_did_not_run_is_fenced_and_never_writes(
    two: tuple[Counted, Counted], monkeypatch: pytest.MonkeyPatch
) -> None:
    (a, _), (b, _) = two
    await a.transact(PHONE, "SM1", append(1))
    held = await lose_the_answer(a, monkeypatch, run_it=False)

    with pytest.raises(StoreUnavailable):
        await a.transact(PHONE, "SM2", append(2))
    # The call arrives late, after "not saved" was said: it must write nothing.
    script, keys, args = held[0]
    late = await b._hot.evalsha(script, keys, args)
    assert late[0] == b"ok"  # it only took the lock, as BEGIN would have
    await b._release_quietly(b.keys_for(PHONE), args[0])  # as its lock's TTL would
    assert seen(await b.load(PHONE)) == [1]
    # The parent re-sends; it applies once.
    monkeypatch.undo()
    outcome = await b.transact(PHONE, "SM2", append(2))
    assert outcome.replies == ["got 2"]
    assert seen(await a.load(PHONE)) == [1, 2]


async def test_an_apply_that_fails_on_what_this_process_remembers_runs_on_what_redis_holds(
    two: tuple[Counted, Counted],
) -> None:
    """A stale memory must not fail a text that the stored session takes well."""
    (a, _), (b, _) = two
    await a.transact(PHONE, "SM1", append(1))
    await b.transact(PHONE, "SM2", append(2))

    def picky(session: Session) -> tuple[Session, list[str], list[Event]]:
        if seen(session) != [1, 2]:
            raise ValueError("an old session")
        return append(3)(session)

    outcome = await a.transact(PHONE, "SM3", picky)
    assert seen(outcome.session) == [1, 2, 3]


async def test_a_text_that_never_reached_redis_is_not_saved_at_once(
    cipher: Cipher, tmp_path: Path
) -> None:
    """Redis gone (no connection at all): "not saved" straight away, as BEGIN would say;
    nothing to settle, since nothing was sent."""
    server = PrivateRedis(tmp_path)
    server.start()
    store = RedisConversationStore(client_for_url(server.url), cipher)
    try:
        await store.prepare()
        await store.transact(PHONE, "SM1", append(1))
        server.stop()
        await store._hot.close(stale=True)  # as after the first call that found it gone
        await store._redis.connection_pool.disconnect()
        started = asyncio.get_running_loop().time()
        with pytest.raises(StoreUnavailable) as raised:
            await store.transact(PHONE, "SM2", append(2))
        assert not isinstance(raised.value, OutcomeUnknown)
        assert asyncio.get_running_loop().time() - started < 1.0
    finally:
        server.stop()
        await store.close()
