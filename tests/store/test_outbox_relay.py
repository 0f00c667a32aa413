"""The cluster's outbox relay shares calls (bot/store/outbox_relay.py): the relays of texts
answered while one call is out go together in the next, each event still once and in each
contact's order; a failed shared call defers every text in it to the sweep, and a caller
that gives up stops no one else's relay."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest

from bot.engine.events import Event, OptedIn
from bot.engine.session import Session
from bot.errors import StoreUnavailable
from bot.store.base import Apply
from bot.store.client import client_for_url
from bot.store.crypto import Cipher
from bot.store.redis_store import RedisConversationStore
from bot.store.store_limits import StoreLimits
from tests.waiting import eventually

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("cluster")]

PHONES = [f"+1415555{n:04d}" for n in range(12)]


async def _cluster_store(url: str) -> RedisConversationStore:
    store = RedisConversationStore(
        client_for_url(url),
        Cipher(secrets.token_bytes(32)),
        prefix=f"t{secrets.token_hex(4)}:",
        limits=StoreLimits(call_timeout_s=20.0),  # a call held below is not a slow Redis
    )
    await store.prepare()
    return store


def _opted_in(*keywords: str) -> Apply:
    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        return session, ["ok"], [OptedIn(k) for k in keywords]

    return apply


async def _text_three_times(store: RedisConversationStore, phone: str) -> None:
    for n in range(3):
        await store.transact(phone, f"SM{n}", _opted_in(f"{phone}/{n}a", f"{phone}/{n}b"))


async def _relayed(store: RedisConversationStore) -> dict[str, list[str]]:
    """Each contact's relayed keywords, in outbox order."""
    by_contact: dict[str, list[str]] = {}
    for entry in await store.read_outbox(count=1000):
        assert isinstance(entry.event, OptedIn)
        by_contact.setdefault(entry.contact, []).append(entry.event.keyword)
    return by_contact


def _expected(store: RedisConversationStore) -> dict[str, list[str]]:
    return {
        store.keys_for(p).contact: [f"{p}/{n}{x}" for n in range(3) for x in "ab"] for p in PHONES
    }


async def test_texts_answered_together_share_relay_calls_each_event_once_in_order(
    redis_cluster_url: str,
) -> None:
    store = await _cluster_store(redis_cluster_url)
    relay = store._relays
    real = relay._run_relay
    calls: list[int] = []  # contacts per call

    async def counted(keys: list[str], args: list[Any]) -> Any:
        contacts, i = 0, 1
        while i < len(args):
            contacts, i = contacts + 1, i + 2 + 3 * int(args[i + 1])
        calls.append(contacts)
        if len(calls) == 1:  # while the first call is out, every other parent's text queues

            async def all_queued() -> bool:
                return len(relay._waiting) == len(PHONES) - contacts

            await eventually(all_queued, what="the other texts' relays queued")
        return await real(keys, args)

    relay._run_relay = counted
    trims: list[str] = []
    real_trim = relay._trims.evalsha

    async def counted_trim(script: Any, keys: list[str], args: list[Any]) -> Any:
        trims.append(keys[0])
        return await real_trim(script, keys, args)

    relay._trims.evalsha = counted_trim  # type: ignore[method-assign]
    try:
        await asyncio.gather(*(_text_three_times(store, p) for p in PHONES))
        assert calls[0] + calls[1] == len(PHONES)  # the second carried all who queued
        assert sum(calls) == 3 * len(PHONES)
        assert len(calls) < 3 * len(PHONES)
        assert await _relayed(store) == _expected(store)
        # Each pending stream was trimmed once it held 4 entries (on the store's hot path).
        assert sorted(trims) == sorted(store.keys_for(p).pending for p in PHONES)
        for phone in PHONES:
            assert await store._redis.xlen(store.keys_for(phone).pending) == 2
        assert await store.relay_pending() == 0  # nothing left behind, nothing twice
        assert await _relayed(store) == _expected(store)
    finally:
        await store.close()


async def test_a_failed_shared_call_defers_each_of_its_texts_to_the_sweep(
    redis_cluster_url: str,
) -> None:
    store = await _cluster_store(redis_cluster_url)
    relay = store._relays
    real = relay._run_relay

    async def down(keys: list[str], args: list[Any]) -> Any:
        raise StoreUnavailable("the outbox's node did not answer")

    relay._run_relay = down
    try:
        await asyncio.gather(*(_text_three_times(store, p) for p in PHONES))  # all answered
        assert await store.read_outbox() == []
        relay._run_relay = real
        assert await store.relay_pending() == len(PHONES)
        assert await _relayed(store) == _expected(store)
    finally:
        await store.close()


async def test_a_caller_that_gives_up_stops_no_other_relay(redis_cluster_url: str) -> None:
    store = await _cluster_store(redis_cluster_url)
    relay = store._relays
    real = relay._run_relay
    out, release = asyncio.Event(), asyncio.Event()

    async def held(keys: list[str], args: list[Any]) -> Any:
        out.set()
        await release.wait()
        return await real(keys, args)

    relay._run_relay = held
    try:
        first = asyncio.create_task(store.transact(PHONES[0], "SM0", _opted_in("first")))
        await asyncio.wait_for(out.wait(), 10)
        second = asyncio.create_task(store.transact(PHONES[1], "SM0", _opted_in("second")))

        async def second_queued() -> bool:
            return len(relay._waiting) == 1

        await eventually(second_queued, what="the first's relay out, the second's queued")
        first.cancel()  # its webhook gave up while its relay was out
        release.set()
        await second
        with pytest.raises(asyncio.CancelledError):
            await first
        relayed = await _relayed(store)
        assert relayed[store.keys_for(PHONES[1]).contact] == ["second"]
        assert await store.relay_pending() in (0, 1)  # the first's entry, once, either way
        assert (await _relayed(store))[store.keys_for(PHONES[0]).contact] == ["first"]
    finally:
        await store.close()
