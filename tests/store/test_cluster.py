"""The store on a 3-primary Redis Cluster (tests/conftest.py starts it once per worker)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from typing import Any

import pytest

from bot.engine.events import Event, OptedIn
from bot.engine.session import Session
from bot.errors import StoreUnavailable
from bot.scheduling.firing import Firer
from bot.scheduling.loops import finish
from bot.store.base import Apply
from bot.store.client import client_for_url, sync_cluster_client
from bot.store.crypto import Cipher
from bot.store.keys.care import CareKeys
from bot.store.keys.reminders import ReminderKeys, job_id
from bot.store.lease import Held, Lease
from bot.store.local_cluster import cli, replica_of, start_cluster
from bot.store.redis_store import RedisConversationStore
from bot.store.reminder_jobs_redis import RedisDueLog
from tests.waiting import eventually

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("cluster")]

PHONE = "+14155550199"
OTHER = "+14155550123"


async def test_scripts_load_on_every_primary_and_a_contact_reads_back(
    redis_cluster_url: str,
) -> None:
    client = client_for_url(redis_cluster_url)
    store = RedisConversationStore(client, Cipher(secrets.token_bytes(32)), prefix="t:")
    try:
        await store.prepare()
        primaries = client.get_primaries()  # type: ignore[attr-defined]
        assert len(primaries) == 3
        for node in primaries:
            loaded = await client.execute_command(
                "SCRIPT EXISTS", store._commit.sha, target_nodes=node
            )
            assert loaded == [True]
        assert await store.ping()
        assert await store.load("+15550001111") is None
    finally:
        await store.close()


async def _cluster_store(url: str, prefix: str) -> RedisConversationStore:
    store = RedisConversationStore(
        client_for_url(url), Cipher(secrets.token_bytes(32)), prefix=prefix
    )
    await store.prepare()
    return store


def _answer(events: int) -> Apply:
    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        return session, ["ok"], [OptedIn("START")] * events

    return apply


async def test_a_commit_on_the_cluster_relays_its_events_once_and_empties_its_pending(
    redis_cluster_url: str,
) -> None:
    store = await _cluster_store(redis_cluster_url, f"t{secrets.token_hex(4)}:")
    try:
        outcome = await store.transact(PHONE, "SM1", _answer(2))
        again = await store.transact(PHONE, "SM1", _answer(2))  # Twilio's retry: a duplicate
        await store.transact(PHONE, "SM2", _answer(1))
        assert outcome.events
        assert again.duplicate
        entries = await store.read_outbox()
        assert [(e.contact, e.type) for e in entries] == [
            (store.keys_for(PHONE).contact, "OptedIn")
        ] * 3
        # Relayed entries wait in the pending stream for a later trim (a few at most)...
        pending = store.keys_for(PHONE).pending
        assert await store._redis.xlen(pending) == 3
        # ...and the sweep relays nothing again, and trims them.
        assert await store.relay_pending() == 0
        assert await store._redis.xlen(pending) == 0
        assert len(await store.read_outbox()) == 3
        assert [c async for c in store.contacts()] == [store.keys_for(PHONE).contact]
    finally:
        await store.close()


async def test_entries_left_pending_by_a_dead_process_are_relayed_exactly_once(
    redis_cluster_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await _cluster_store(redis_cluster_url, f"t{secrets.token_hex(4)}:")
    try:

        async def died(*_: object) -> None:
            raise StoreUnavailable("the process died between its commit and its relay")

        monkeypatch.setattr(store._relays, "contact", died)
        await store.transact(PHONE, "SM1", _answer(1))
        await store.transact(OTHER, "SM1", _answer(2))
        assert await store.read_outbox() == []
        monkeypatch.undo()
        # Two processes recovering at once, then again: each entry goes once, in order.
        found = await asyncio.gather(store.relay_pending(batch=1), store.relay_pending())
        assert sum(found) >= 2
        assert await store.relay_pending() == 0
        entries = await store.read_outbox()
        assert sorted(e.contact for e in entries) == sorted(
            [store.keys_for(PHONE).contact] + [store.keys_for(OTHER).contact] * 2
        )
    finally:
        await store.close()


async def test_erasing_a_contact_on_the_cluster_takes_it_out_of_the_index(
    redis_cluster_url: str,
) -> None:
    store = await _cluster_store(redis_cluster_url, f"t{secrets.token_hex(4)}:")
    try:
        await store.transact(PHONE, "SM1", _answer(1))
        await store.transact(OTHER, "SM1", _answer(0))
        gone = store.keys_for(PHONE).contact
        assert await store.erase_contact(gone) > 0
        assert [c async for c in store.contacts()] == [store.keys_for(OTHER).contact]
    finally:
        await store.close()


async def test_a_script_sent_to_the_wrong_node_is_redirected_by_redis_py(
    redis_cluster_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hot calls use the client's slot map; a stale one (a slot moved, a failover) gets
    MOVED, and the call goes through redis-py's own path, which follows it."""
    store = await _cluster_store(redis_cluster_url, f"t{secrets.token_hex(4)}:")
    try:
        client: Any = store._redis
        owner = client.get_node_from_key(store.keys_for(PHONE).lock)
        elsewhere = next(n for n in client.get_primaries() if n.name != owner.name)
        monkeypatch.setattr(client, "get_node_from_key", lambda key: elsewhere)
        outcome = await store.transact(PHONE, "SM1", _answer(1))
        assert outcome.replies == ["ok"]
        monkeypatch.undo()
        assert await store.load(PHONE) is not None
        assert [e.type for e in await store.read_outbox()] == ["OptedIn"]
    finally:
        await store.close()


async def test_leases_and_contacts_survive_a_primary_failover() -> None:
    """A 3-primary cluster with a replica each; the primary holding the outbox reader's
    lease and a parent's keys hands over to its replica (CLUSTER FAILOVER, as in a
    planned switch-over): the lease keeps its holder, no one else gets it, and the parent's
    next text goes to the new primary (the hot call's MOVED falls back to redis-py)."""
    cluster = start_cluster(replicas=1)
    client: Any = client_for_url(cluster.url)
    store = RedisConversationStore(client, Cipher(secrets.token_bytes(32)), prefix="f:")
    leader = CareKeys("f:").leader  # the care-team outbox reader's lease
    mine = Lease(client, leader, timedelta(seconds=30), token="reader-a")
    theirs = Lease(client, leader, timedelta(seconds=30), token="reader-b")
    try:
        await store.prepare()
        assert await mine.hold() == Held.NEWLY
        owner = client.get_node_from_key(leader)
        phone = next(
            p
            for p in (f"+1860555{n:04d}" for n in range(10_000))
            if client.get_node_from_key(store.keys_for(p).lock).name == owner.name
        )
        await store.transact(phone, "SM1", _answer(1))
        replica = replica_of(owner.port)
        assert cli(replica, "CLUSTER", "FAILOVER").strip() == "OK"
        for _ in range(200):
            if "role:master" in cli(replica, "INFO", "replication"):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the replica did not take over")
        assert await theirs.hold() == Held.BY_ANOTHER
        assert await mine.hold() == Held.STILL
        outcome = await store.transact(phone, "SM2", _answer(1))
        assert outcome.replies == ["ok"]
        assert client.get_node_from_key(store.keys_for(phone).lock).port == replica
        assert [e.type for e in await store.read_outbox()] == ["OptedIn", "OptedIn"]
    finally:
        await store.close()
        cluster.stop()


async def test_one_process_at_a_time_sweeps_for_unrelayed_entries(
    redis_cluster_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"t{secrets.token_hex(4)}:"
    first = await _cluster_store(redis_cluster_url, prefix)
    second = await _cluster_store(redis_cluster_url, prefix)
    second._cipher = first._cipher  # two processes of one program share the data key
    try:

        async def died(*_: object) -> None:
            raise StoreUnavailable("died between commit and relay")

        monkeypatch.setattr(first._relays, "contact", died)
        await first.transact(PHONE, "SM1", _answer(2))
        monkeypatch.undo()
        sweeps: list[str] = []
        for name, store in (("first", first), ("second", second)):
            real = store.relay_pending

            async def counted(name: str = name, real: Any = real) -> int:
                sweeps.append(name)
                return int(await real())

            monkeypatch.setattr(store, "relay_pending", counted)
        tasks = [asyncio.create_task(s.keep_relaying(every_s=0.05)) for s in (first, second)]

        async def swept_thrice() -> bool:
            return len(sweeps) >= 3

        await eventually(swept_thrice, what="three sweeps")
        for task in tasks:
            await finish(task)  # cancels again if redis-py swallowed a cancellation
        assert len(set(sweeps)) == 1  # the lease's holder only
        assert len(sweeps) >= 3
        assert [e.type for e in await first.read_outbox()] == ["OptedIn", "OptedIn"]
    finally:
        await first.close()
        await second.close()


async def test_a_batch_of_reminder_jobs_fires_on_the_cluster(redis_cluster_url: str) -> None:
    """APScheduler's wake-up fires its due jobs as one batch (fire_many_now): on a cluster
    that pipeline of scripts was refused, so no reminder ever fell due there."""
    client = client_for_url(redis_cluster_url)
    keys = ReminderKeys(f"t{secrets.token_hex(4)}:")
    firer = Firer(RedisDueLog(client, keys, sync_cluster_client(client)))
    at = "2026-04-15T18:30:00+00:00"
    jobs = [(job_id("{c:" + f"{n:032x}" + "}", "a1", "3h"), at, at) for n in range(5)]
    try:
        assert firer.fire_many_now(jobs) == [True] * 5
        assert firer.fire_many_now(jobs[:2]) == [False, False]  # the guards: once each
        entries = await client.xrange(keys.due)
        assert sorted(f[b"job"].decode() for _, f in entries) == sorted(j for j, _, _ in jobs)
    finally:
        await client.aclose()
