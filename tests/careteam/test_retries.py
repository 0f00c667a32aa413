"""Care-team tries on the one scheduler (bot/careteam/delivery/timer.py): the previous
release's schedule (careteam:due) moves over at start-up with nothing lost, and a due entry
older than its job's token is dropped, its job's current try planned again, so a worker that
died between the two steps of a retry loses nothing and sends nothing twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest
from redis.asyncio import Redis

from bot.careteam.delivery import drain
from bot.careteam.delivery.timer import KIND
from bot.careteam.payload import plan_id_of
from bot.careteam.records import CareRecords
from bot.scheduling.jobstore import from_micros
from bot.store.care_records import due_token
from bot.store.keys.reminders import ReminderKeys
from tests.careteam.conftest import (
    SOCIAL_WORKER,
    FakeClock,
    ParentFactory,
    WorkerFactory,
    contact_of,
    share,
)
from tests.fakes.receiver import Receiver
from tests.timed import scheduled_tries
from tests.waiting import eventually

pytestmark = pytest.mark.anyio


async def job_keys(redis: Redis, prefix: str) -> list[str]:
    return sorted([k.decode() async for k in redis.scan_iter(match=f"{prefix}*:ct:job:*")])


async def test_the_previous_schedule_moves_onto_the_scheduler_and_nothing_is_lost(
    parent: ParentFactory,
    make_worker: WorkerFactory,
    receiver: Receiver,
    records: CareRecords,
    clock: FakeClock,
    redis: Redis,
    prefix: str,
) -> None:
    parents = [parent(), parent()]
    for p in parents:
        await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    worker = make_worker()
    await worker.consume()  # the jobs exist
    # As the previous release left them: no due token, no due entry, a member in
    # careteam:due, one due an hour ago (its lease ran out) and one in an hour.
    await redis.delete(ReminderKeys(prefix).due_of(KIND))
    keys = await job_keys(redis, prefix)
    assert len(keys) == 2
    now_ms = clock() * 1000
    for key, due_ms in zip(keys, (now_ms - 3_600_000, now_ms + 3_600_000), strict=True):
        await redis.hdel(key, "due")
        contact, _, wid = key[len(prefix) :].partition(":ct:job:")
        await redis.zadd(records.store.keys.due, {f"{contact}|{wid}": due_ms})

    await worker.prepare()
    await worker.prepare()  # every start runs it: the second finds nothing left
    assert await redis.zcard(records.store.keys.due) == 0
    assert len(await scheduled_tries(redis, prefix)) == 1  # the later one waits
    await drain(worker)
    assert len(receiver.processed()) == 1
    clock.advance(3601)
    await drain(worker)
    await drain(worker)
    processed = receiver.processed()
    assert sorted(r.body["plan_id"] for r in processed) == sorted(
        plan_id_of(contact_of(p)) for p in parents
    )  # each parent's section once
    assert len({r.webhook_id for r in processed}) == 2
    assert await scheduled_tries(redis, prefix) == []


async def test_an_entry_older_than_its_jobs_token_is_dropped_and_the_try_planned_again(
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
    first_try = due_token(clock() * 1000)  # a first try is due when its job is made
    receiver.down = True
    worker = make_worker()
    await drain(worker)  # tried once: the next try's token is written, then planned
    (job_id,) = await scheduled_tries(redis, prefix)
    # A worker that died after writing the next token, before planning it and before
    # acknowledging its entry: no scheduler job, and the first try's entry comes round.
    await worker.timer.scheduler.cancel([job_id])
    planned = from_micros(int(first_try)).isoformat()
    stream = ReminderKeys(prefix).due_of(KIND)
    await redis.xadd(stream, {"job": job_id, "occurrence": planned, "planned": planned})
    receiver.down = False

    await drain(worker)
    assert receiver.processed() == []  # stale: not sent, not a try
    assert await scheduled_tries(redis, prefix) == [job_id]  # the current try planned again
    clock.advance(3600)
    await drain(worker)
    await drain(worker)
    (got,) = receiver.processed()
    assert got.body["section"]["key"] == "basic_needs"
    actions = Counter((a.action, a.result) for a in await records.audit_log(contact_of(p)))
    assert actions == Counter({("deliver", "503"): 1, ("deliver", "200"): 1})


async def test_tries_taken_but_not_on_a_replica_are_left_for_the_lease(
    parent: ParentFactory,
    make_worker: WorkerFactory,
    receiver: Receiver,
    clock: FakeClock,
    redis: Redis,
    prefix: str,
) -> None:
    """A try whose taking no replica confirmed (StreamGroup.confirm) is not posted: it
    stays pending, and the next round after the lease takes it over and posts it once."""
    p = parent()
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    worker = make_worker(lease_s=0.05)  # Redis's own clock says when a take is idle
    group = worker.timer.group
    confirm, confirmed = group.confirm, [False]

    async def no_replica_in_time(entry_ids: Sequence[str]) -> bool:
        return confirmed[0] and await confirm(entry_ids)

    group.confirm = no_replica_in_time  # type: ignore[method-assign]
    await drain(worker)
    assert receiver.processed() == []
    stream = ReminderKeys(prefix).due_of(KIND)
    assert int((await redis.xpending(stream, "careteam"))["pending"]) == 1
    confirmed[0] = True

    async def posted() -> bool:
        await drain(worker)
        return len(receiver.processed()) == 1

    await eventually(posted, 10, "the try taken over after the lease and posted")
    assert int((await redis.xpending(stream, "careteam"))["pending"]) == 0
