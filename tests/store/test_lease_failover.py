"""The lease across an unplanned failover: a 3-primary cluster with a replica each, whose
primary dies with a write its replica never got (the replica frozen with SIGSTOP and its
link cut, the primary SIGKILLed, the replica promoted with CLUSTER FAILOVER TAKEOVER).

What the primary took without its replica is gone after the failover; a lease and a
reminder's send claim count only once a replica holds them (bot/store/replicated.py), so
neither is lost with it: after the failover exactly one process holds the lease, and the
reminder is claimed, so texted, once.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.store.client import client_for_url
from bot.store.crypto import Cipher
from bot.store.keys.reminders import ReminderKeys
from bot.store.lease import Held, Lease
from bot.store.local_cluster import LocalCluster, cli, replica_of, start_cluster
from bot.store.reminder_records_redis import RedisReminderRecords
from bot.store.stream_group import GroupReader
from tests.waiting import eventually

from .conftest import claimed

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("cluster")]

# The reminders' lease, their send claims and a plain write beside them: one slot.
KEYS = ReminderKeys("t:")
LEADER = KEYS.leader
BESIDE = KEYS.prefix + "{rem}:unconfirmed"
DUE = KEYS.due_of("careteam")
JOB, WHEN = "reminder:{c:" + "ab" * 16 + "}:a1:3h", "2026-04-15T21:30:00+00:00"
TTL = timedelta(seconds=60)


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    # A long node timeout: the frozen replica is not marked failed while the test runs
    # (a failed replica cannot be promoted, and would not count, bot/store/lease.py).
    started = start_cluster(replicas=1, node_timeout_ms=15_000)
    try:
        yield started
    finally:
        for process in started.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
        started.stop()


def _pid(cluster: LocalCluster, port: int) -> int:
    return cluster.processes[cluster.ports.index(port)].pid


def _on_replica(port: int, command: str) -> list[str]:
    """READONLY, then `command`, on the replica on `port`: their answers' words."""
    seen = subprocess.run(
        ["redis-cli", "-p", str(port)],
        input=f"READONLY\n{command}\n",
        capture_output=True,
        text=True,
        timeout=10,
    )
    return seen.stdout.split()


async def test_a_lease_and_a_send_claim_count_once_a_replica_holds_them(
    cluster: LocalCluster,
) -> None:
    client: Any = await client_for_url(cluster.url).initialize()  # type: ignore[attr-defined]
    records = RedisReminderRecords(client, Cipher(bytes(32)), KEYS)
    try:
        mine = Lease(client, LEADER, TTL, token="mine")
        assert await mine.hold() is Held.NEWLY
        assert await claimed(records, JOB, WHEN)
        assert not await claimed(records, JOB, WHEN)
        replica = replica_of(client.get_node_from_key(LEADER).port)
        # Already on the replica when they return: no wait, no poll.
        assert _on_replica(replica, f"GET {LEADER}") == ["OK", "mine"]
        [ok, claim] = _on_replica(replica, f"GET {KEYS.sent(JOB, WHEN)}")
        assert (ok, claim.split(":")[:2]) == ("OK", ["f", "test"])  # in flight, its attempt
    finally:
        await client.aclose()


async def test_after_a_primary_dies_with_an_unreplicated_write_one_process_holds_the_lease(
    cluster: LocalCluster,
) -> None:
    client: Any = await client_for_url(cluster.url).initialize()  # type: ignore[attr-defined]
    records = RedisReminderRecords(client, Cipher(bytes(32)), KEYS)
    try:
        primary = client.get_node_from_key(LEADER).port
        replica = replica_of(primary)
        # The replica freezes, and its link is cut: nothing written from now on reaches it.
        os.kill(_pid(cluster, replica), signal.SIGSTOP)
        assert cli(primary, "CLIENT", "KILL", "TYPE", "replica").strip() == "1"
        # What an unconfirmed lease would be: written to the primary alone.
        assert await client.set(BESIDE, "first", px=int(TTL.total_seconds() * 1000))
        first = Lease(client, LEADER, TTL, token="first", confirm_ms=200)
        assert await first.hold() is Held.BY_ANOTHER  # no replica has it: given back
        assert await client.get(LEADER) is None
        # A reminder's send claim likewise: given back, its due entry left to be retried.
        with pytest.raises(RedisTimeoutError):
            await claimed(records, JOB, WHEN)
        assert await client.get(KEYS.sent(JOB, WHEN)) is None
        # The primary dies; its frozen replica wakes and takes over, without that write.
        os.kill(_pid(cluster, primary), signal.SIGKILL)
        os.kill(_pid(cluster, replica), signal.SIGCONT)
        assert cli(replica, "CLUSTER", "FAILOVER", "TAKEOVER").strip() == "OK"
        second = Lease(client, LEADER, TTL, token="second")

        async def second_holds() -> bool:
            try:
                return await second.hold() is Held.NEWLY
            except RedisError:  # the client is still finding the slot's new home
                return False

        await eventually(second_holds, 30, "a holder on the new primary")
        assert client.get_node_from_key(LEADER).port == replica
        assert await client.get(BESIDE) is None  # the unreplicated write went with it
        # One holder: the first, which never counted the lease its own, cannot take it.
        assert await first.hold() is Held.BY_ANOTHER
        assert await second.hold() is Held.STILL
        assert await client.get(LEADER) == b"second"
        # The retried claim is taken once, on the new primary: one text.
        assert await claimed(records, JOB, WHEN)
        assert not await claimed(records, JOB, WHEN)
    finally:
        await client.aclose()


async def test_a_delivery_try_taken_counts_once_a_replica_holds_it(
    cluster: LocalCluster,
) -> None:
    """A care-team try read from its due stream is confirmed on the replica (it lists the
    reader as the entry's consumer); one read while the replica is cut off is not, and
    stays pending for a takeover after the lease, never worked on by two."""
    client: Any = await client_for_url(cluster.url).initialize()  # type: ignore[attr-defined]
    reader = GroupReader(client, DUE, "careteam", "one", batch=10)
    replica = 0
    try:
        await reader.ensure_group()
        await client.xadd(DUE, {"job": "careteam:a"})
        [(first, _)] = await reader.read_new()
        assert await reader.confirm([first])
        primary = client.get_node_from_key(DUE).port
        replica = replica_of(primary)
        seen = _on_replica(replica, f"XPENDING {DUE} careteam - + 10")
        assert first in seen
        assert "one" in seen
        os.kill(_pid(cluster, replica), signal.SIGSTOP)
        assert cli(primary, "CLIENT", "KILL", "TYPE", "replica").strip() == "1"
        await client.xadd(DUE, {"job": "careteam:b"})
        [(second, _)] = await reader.read_new()
        assert not await reader.confirm([second])
        assert int((await client.xpending(DUE, "careteam"))["pending"]) == 2
    finally:
        if replica:
            os.kill(_pid(cluster, replica), signal.SIGCONT)
        await client.aclose()
