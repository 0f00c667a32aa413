"""Care-team delivery on a 3-primary Redis Cluster, end to end: the same worker, records and
store as on one Redis. A job's hash is in its contact's slot and the schedule in another;
creating and finishing a job once ran a script inside a pipeline, which the cluster client
refuses, so on a cluster no section was ever delivered."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.careteam.delivery import drain
from bot.careteam.payload import plan_id_of
from bot.careteam.records import CareRecords
from tests.careteam.conftest import (
    SOCIAL_WORKER,
    TEST_CONFIG,
    FakeClock,
    ParentFactory,
    WorkerFactory,
    contact_of,
    redis_for_test,
    share,
)
from tests.careteam.test_erasure import DELETE_MY_DATA
from tests.fakes.receiver import Receiver
from tests.timed import scheduled_tries

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("cluster")]


@pytest.fixture
async def redis(prefix: str, redis_cluster_url: str) -> AsyncIterator[Redis]:
    """The cluster in place of the package's db: every fixture above it builds on this."""
    async with redis_for_test(redis_cluster_url, None, prefix) as client:
        yield client


async def test_a_section_is_delivered_retried_and_logged_on_a_cluster(
    parent: ParentFactory,
    make_worker: WorkerFactory,
    receiver: Receiver,
    records: CareRecords,
    clock: FakeClock,
    redis: Redis,
    prefix: str,
) -> None:
    p = parent()
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    receiver.down = True
    worker = make_worker()
    await drain(worker)
    assert receiver.processed() == []
    # Waiting for its retry: a scheduler job, no due entry left in the stream.
    assert len(await scheduled_tries(redis, prefix)) == 1
    assert await worker.timer.backlog() == 0

    receiver.down = False
    clock.advance(3600)
    await drain(worker)
    (got,) = receiver.processed()
    assert got.body["section"]["key"] == "basic_needs"
    assert await scheduled_tries(redis, prefix) == []
    assert await worker.timer.backlog() == 0
    actions = [(a.action, a.result) for a in await records.audit_log(contact_of(p))]
    assert actions == [("deliver", "503"), ("deliver", "200")]
    await drain(worker)
    assert len(receiver.processed()) == 1  # delivered once


async def test_an_erasure_notifies_and_leaves_nothing_of_the_contact_on_a_cluster(
    parent: ParentFactory,
    make_worker: WorkerFactory,
    receiver: Receiver,
    records: CareRecords,
    clock: FakeClock,
    redis: Redis,
    prefix: str,
) -> None:
    p = parent()
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    worker = make_worker()
    await drain(worker)
    contact = contact_of(p)
    plan_id = plan_id_of(contact)
    for text in DELETE_MY_DATA:
        await p.say(text)
    await drain(worker)
    clock.advance(TEST_CONFIG.lease_s + 1)  # notices wait out any post still in flight
    await drain(worker)

    (notice,) = [r for r in receiver.processed() if r.body["type"] == "plan.deleted"]
    assert (notice.endpoint, notice.body["plan_id"]) == ("hope_ehr", plan_id)
    ((_at, keys, notified),) = await records.store.erasures()
    assert keys > 3
    assert notified == 1
    left = [k.decode() async for k in redis.scan_iter(match=f"{prefix}*", count=1000)]
    assert not [k for k in left if contact in k or plan_id in k]
    assert await records.store.parked_count() == 0
    assert await scheduled_tries(redis, prefix) == []
