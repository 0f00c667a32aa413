"""DELETE MY DATA: the receivers are told, queued deliveries cancelled, every key erased."""

from __future__ import annotations

from datetime import date, time

import pytest
from redis.asyncio import Redis

from bot.careteam.delivery import drain
from bot.careteam.payload import plan_id_of
from bot.careteam.records import CareRecords
from bot.reminders.store import Appointment, ReminderStore
from bot.store.crypto import Cipher
from bot.store.keys.reminders import ReminderKeys
from bot.store.reminder_records_redis import RedisReminderRecords
from tests.careteam.conftest import (
    SOCIAL_WORKER,
    TEST_CONFIG,
    FakeClock,
    ParentFactory,
    WorkerFactory,
    change_basic_needs,
    contact_of,
    share,
)
from tests.fakes.receiver import Receiver
from tests.timed import scheduled_tries

pytestmark = pytest.mark.anyio

DELETE_MY_DATA = ("delete my data", "yes", "delete")


async def everything_under(redis: Redis, prefix: str) -> list[str]:
    """Every key under the test's prefix, and every member of its sorted sets."""
    found: list[str] = []
    async for raw in redis.scan_iter(match=f"{prefix}*", count=1000):
        key = raw.decode()
        found.append(key)
        if await redis.type(key) == b"zset":
            found += [m.decode() for m in await redis.zrange(key, 0, -1)]
    return found


async def test_erasure_tells_every_receiver_cancels_the_queue_and_leaves_no_key(
    parent: ParentFactory,
    make_worker: WorkerFactory,
    receiver: Receiver,
    records: CareRecords,
    clock: FakeClock,
    redis: Redis,
    cipher: Cipher,
    prefix: str,
) -> None:
    """After DELETE MY DATA (twice confirmed): both endpoints that received something of the
    plan get plan.deleted (plan id and time, nothing else); the delivery that was waiting
    for a retry is cancelled; no key or schedule entry holds the contact id; the reminders'
    hook was called; the erasure log holds only the fact; another plan is untouched."""
    leaving, staying = parent(), parent()
    for p in (leaving, staying):
        await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    await leaving.say("I want to die")  # plan.crisis to the on-call endpoint
    reminders = ReminderStore(RedisReminderRecords(redis, cipher, ReminderKeys(prefix)))
    visit = Appointment("a1", contact_of(leaving), "treatment", date(2030, 1, 7), time(10))
    await reminders.put(visit)
    forgotten: list[str] = []

    async def forget(contact: str) -> None:
        forgotten.append(contact)

    worker = make_worker(forget=forget)
    await drain(worker)
    receiver.down = True
    await change_basic_needs(leaving)  # version 2: tried once, then waits for a retry
    await drain(worker)
    receiver.down = False
    staying_audit = await records.audit_log(contact_of(staying))
    for p in (leaving, staying):  # outbox entries set aside for a person to look at
        await records.store.bury("1-1", {b"contact": contact_of(p).encode(), b"data": b"x"}, "Bug")
    contact, plan_id = contact_of(leaving), plan_id_of(contact_of(leaving))
    queued = await scheduled_tries(redis, prefix)
    assert [j for j in queued if j.startswith(f"careteam:{contact}|")], "version 2 waits"

    for text in DELETE_MY_DATA:
        await leaving.say(text)
    await drain(worker)
    assert [r for r in receiver.processed() if r.body["type"] == "plan.deleted"] == []
    clock.advance(TEST_CONFIG.lease_s + 1)  # notices wait out any post still in flight
    clock.advance(3600)  # and the cancelled retry would be due by now
    await drain(worker)

    notices = [r for r in receiver.processed() if r.body["type"] == "plan.deleted"]
    assert sorted(r.endpoint for r in notices) == ["hope_ehr", "hope_on_call"]
    for notice in notices:
        assert set(notice.body) == {"type", "plan_id", "deleted_at"}
        assert notice.body["plan_id"] == plan_id
    versions = [
        r.body["section"]["version"]
        for r in receiver.processed()
        if r.body["type"] == "plan.section.completed" and r.body["plan_id"] == plan_id
    ]
    assert versions == [1]  # version 2 was cancelled, never sent after the erasure

    left = await everything_under(redis, prefix)
    assert not [k for k in left if plan_id in k], "a key or schedule entry names the contact"
    assert not [k for k in left if contact in k], "a guard names the contact"
    assert not [j for j in await scheduled_tries(redis, prefix) if contact in j]
    due = await redis.xrange(ReminderKeys(prefix).due_of("careteam"))
    assert not [f for _, f in due if contact.encode() in f[b"job"]], "a due entry names them"
    assert forgotten == [contact]
    assert await reminders.appointments(contact) == []
    (entry,) = await redis.xrange(records.store.keys.erasures)
    assert set(entry[1]) == {b"at", b"keys", b"notified"}
    assert int(entry[1][b"keys"]) > 5
    assert int(entry[1][b"notified"]) == 2
    assert await records.audit_log(contact_of(staying)) == staying_audit
    set_aside = [f[b"contact"].decode() for _, f in await redis.xrange(records.store.keys.dead)]
    assert set_aside == [contact_of(staying)]
    assert (await staying.session()).plan.is_done("basic_needs")
    outbox = await leaving.store.read_outbox(count=10_000)
    assert not [e for e in outbox if e.contact == contact], "sealed events outlive the parent"
    # The staying parent's delivered events left the stream too (trim_done): nothing to check.


async def test_a_repeated_erasure_entry_sends_no_second_notice(
    parent: ParentFactory,
    make_worker: WorkerFactory,
    receiver: Receiver,
    clock: FakeClock,
) -> None:
    """The worker may read the ErasureRequested entry again (it died before acknowledging):
    the notices keep their webhook-ids and nothing is sent twice."""
    p = parent()
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    worker = make_worker()
    await drain(worker)
    for text in DELETE_MY_DATA:
        await p.say(text)
    (erasure,) = [
        e for e in await p.store.read_outbox(count=10_000) if e.type == "ErasureRequested"
    ]
    await drain(worker)
    await worker.apply(erasure)  # read again
    clock.advance(TEST_CONFIG.lease_s + 1)
    await drain(worker)
    notices = [r for r in receiver.all_received() if r.body["type"] == "plan.deleted"]
    assert [r.endpoint for r in notices] == ["hope_ehr"]
