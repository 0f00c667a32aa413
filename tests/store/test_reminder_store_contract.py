"""One contract for the reminders' storage, run against the memory twins, real Redis and a
3-primary Redis Cluster: per-contact records and guards (`ReminderRecords`), APScheduler's
job table (`JobTable`) and the due log with its fired guards (`DueLog`)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from bot.store.client import client_for_url
from bot.store.crypto import Cipher
from bot.store.keys.reminders import ReminderKeys, job_id
from bot.store.reminder_jobs import DueLog, JobTable, SchedulerStorage
from bot.store.reminder_jobs_memory import MemoryDueLog, MemoryJobTable
from bot.store.reminder_memory import MemoryReminderStorage
from bot.store.reminder_records import ReminderRecords
from bot.store.reminder_records_memory import MemoryReminderRecords
from bot.store.reminder_redis import RedisReminderStorage
from bot.store.send_claims import FAILED, SENT, SendClaim
from bot.store.streams import StreamGroup

from .conftest import ON_CLUSTER, REDIS_URL, claimed, delete_prefixed

pytestmark = pytest.mark.anyio

T0 = 1_776_277_800.0  # tests.clock.NOW as a timestamp
ANN = "{c:" + "a1" * 16 + "}"
BEA = "{c:" + "b2" * 16 + "}"
VISIT = {"id": "a1", "kind": "treatment", "day": "2027-03-10", "at": "10:30", "place": "Zanzibar"}


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> float:
        return self.at


@dataclass
class Storage:
    records: ReminderRecords
    jobs: JobTable
    due: DueLog
    # The whole: other kinds' due logs, the leader lease, and consumer groups on the streams.
    scheduling: SchedulerStorage
    group: Callable[[str, str, str], StreamGroup]


@pytest.fixture(params=["memory", "redis", ON_CLUSTER])
async def storage(request: pytest.FixtureRequest) -> AsyncIterator[Storage]:
    cipher = Cipher(secrets.token_bytes(32))
    if request.param == "memory":
        memory = MemoryReminderStorage(cipher.id_key, ReminderKeys("t:"), Clock())
        yield Storage(memory.records, memory.jobs, memory.due, memory, memory.group)
        return
    prefix = f"test:{secrets.token_hex(6)}:"
    url = REDIS_URL if request.param == "redis" else request.getfixturevalue("redis_cluster_url")
    client = client_for_url(url)
    opened = RedisReminderStorage.open(client, cipher, ReminderKeys(prefix))
    yield Storage(opened.records, opened.jobs, opened.due, opened, opened.group)
    opened.close()
    await delete_prefixed(client, prefix)
    await client.aclose()


def job(contact: str, item: str, lead: str = "3h") -> str:
    return job_id(contact, item, lead)


# ---- per contact ----------------------------------------------------------------------


async def test_appointments_come_back_as_put_per_contact(storage: Storage) -> None:
    records = storage.records
    later = {**VISIT, "id": "a2", "day": "2027-04-01"}
    await records.put_appointment(ANN, "a1", VISIT)
    await records.put_appointment(ANN, "a2", later)
    await records.put_appointment(BEA, "a1", {**VISIT, "kind": "wic"})
    assert await records.appointment(ANN, "a1") == VISIT
    assert sorted(await records.appointments(ANN), key=lambda d: d["id"]) == [VISIT, later]
    await records.put_appointment(ANN, "a1", {**VISIT, "status": "confirmed"})
    assert await records.appointment(ANN, "a1") == {**VISIT, "status": "confirmed"}
    assert await records.remove_appointment(ANN, "a1")
    assert not await records.remove_appointment(ANN, "a1")
    assert await records.appointment(ANN, "a1") is None
    assert await records.appointments(ANN) == [later]
    assert await records.appointment(BEA, "a1") == {**VISIT, "kind": "wic"}
    assert await records.appointments("{c:" + "00" * 16 + "}") == []


async def test_offers_their_opaque_items_and_the_milestones_offered(storage: Storage) -> None:
    records = storage.records
    offer = {"series": "baby", "milestone": "baby-2m", "kind": "baby_checkup"}
    await records.put_offer(ANN, "baby", offer)
    await records.put_offer(ANN, "prenatal", {**offer, "series": "prenatal"})
    assert await records.offer(ANN, "baby") == offer
    assert set(await records.offers(ANN)) == {"baby", "prenatal"}
    assert await records.offer(BEA, "baby") is None
    item = records.offer_item(ANN, "baby")
    assert item == records.offer_item(ANN, "baby") != records.offer_item(BEA, "baby")
    assert item.startswith("o")
    assert "baby" not in item
    assert await records.offer_series(ANN, item) == "baby"
    assert await records.offer_series(BEA, item) is None
    assert await records.offer_series(ANN, "plan-postpartum") == "postpartum"  # items of old
    await records.remove_offer(ANN, "baby")
    assert await records.offer_series(ANN, item) is None
    assert set(await records.offers(ANN)) == {"prenatal"}

    assert await records.offered(ANN) == set()
    await records.mark_offered(ANN, "baby-2m")
    await records.mark_offered(ANN, "baby-2m")
    await records.mark_offered(ANN, "baby-4m")
    assert await records.offered(ANN) == {"baby-2m", "baby-4m"}
    assert await records.offered(BEA) == set()


async def test_each_guard_is_taken_once(storage: Storage) -> None:
    records = storage.records
    sent = job(ANN, "a1")
    assert await claimed(records, sent, "2027-03-10T15:30:00+00:00")
    assert not await claimed(records, sent, "2027-03-10T15:30:00+00:00")
    assert await claimed(records, sent, "2027-03-17T15:30:00+00:00")
    assert await records.first_within(ANN, 86_400)
    assert not await records.first_within(ANN, 86_400)
    assert await records.first_within(BEA, 86_400)
    assert await records.claim_reply(ANN, "1-0")
    assert not await records.claim_reply(ANN, "1-0")
    assert await records.claim_reply(ANN, "2-0")
    assert await records.claim_reply(BEA, "1-0")


async def test_the_last_reminder_sent_is_kept_per_contact(storage: Storage) -> None:
    records = storage.records
    assert await records.last_sent(ANN) is None
    first = {"item": "a1", "occurrence": "o1", "sid": "SM1", "sent_at": "2027-03-09T15:00:00"}
    await records.record_sent(ANN, first)
    await records.record_sent(ANN, {**first, "item": "a2"})
    assert await records.last_sent(ANN) == {**first, "item": "a2"}
    assert await records.last_sent(BEA) is None


async def test_failures_count_texts_once_and_days_until_a_success(storage: Storage) -> None:
    records = storage.records
    monday, tuesday = date(2027, 3, 8), date(2027, 3, 9)
    assert await records.record_failure(ANN, "SM1", monday) == (1, 1)
    assert await records.record_failure(ANN, "SM1", monday) == (1, 1)  # a repeated callback
    assert await records.record_failure(ANN, "SM2", monday) == (2, 1)
    assert await records.record_failure(ANN, "SM3", tuesday) == (3, 2)
    assert await records.record_failure(BEA, "SM9", tuesday) == (1, 1)
    await records.clear_failures(ANN)
    assert await records.record_failure(ANN, "SM4", tuesday) == (1, 1)


async def test_forget_drops_every_record_of_one_contact(storage: Storage) -> None:
    records = storage.records
    for contact in (ANN, BEA):
        await records.put_appointment(contact, "a1", VISIT)
        await records.put_offer(contact, "baby", {"series": "baby"})
        await records.mark_offered(contact, "baby-2m")
        await records.first_within(contact, 86_400)
        await records.record_sent(contact, {"item": "a1"})
        await records.record_failure(contact, "SM1", date(2027, 3, 8))
        await records.claim_reply(contact, "1-0")
    assert await records.forget(ANN) == 7
    assert await records.forget(ANN) == 0
    assert await records.appointments(ANN) == []
    assert await records.offers(ANN) == {}
    assert await records.offered(ANN) == set()
    assert await records.last_sent(ANN) is None
    assert await records.first_within(ANN, 86_400)
    assert await records.claim_reply(ANN, "1-0")
    assert await records.record_failure(ANN, "SM2", date(2027, 3, 9)) == (1, 1)
    assert await records.appointments(BEA) == [VISIT]
    assert await records.offered(BEA) == {"baby-2m"}
    assert not await records.claim_reply(BEA, "1-0")


# ---- program-wide ---------------------------------------------------------------------


async def test_the_job_table_adds_replaces_and_finds_due_jobs_earliest_first(
    storage: Storage,
) -> None:
    jobs = storage.jobs
    assert jobs.first_run_time() is None
    assert jobs.due(T0, 10) == []
    assert jobs.add("one", b"r1", T0 + 30)
    assert not jobs.add("one", b"other", T0)  # taken: nothing written
    assert jobs.record("one") == b"r1"
    assert jobs.add("unplanned", b"r0", None)
    jobs.put_many(
        {f"j{n}": f"b{n}".encode() for n in range(5)}, {f"j{n}": T0 - n for n in range(5)}
    )
    jobs.put_many({"j4": b"b4-again"}, {"j4": T0 + 60})  # replaced: no longer due
    assert jobs.due(T0, 3) == ["j3", "j2", "j1"]
    assert jobs.due(T0, 10) == ["j3", "j2", "j1", "j0"]
    assert jobs.due(T0 + 30, 10)[-1] == "one"
    assert jobs.first_run_time() == T0 - 3
    assert jobs.records(["j4", "missing", "one"]) == [b"b4-again", None, b"r1"]
    assert jobs.records([]) == []
    assert dict(jobs.all_records()) == {
        "one": b"r1",
        "unplanned": b"r0",
        **{f"j{n}": f"b{n}".encode() for n in range(4)},
        "j4": b"b4-again",
    }
    assert jobs.replace("j3", b"b3-later", T0 + 90)
    assert not jobs.replace("missing", b"x", T0)
    assert jobs.record("missing") is None
    assert jobs.replace("j2", b"b2-done", None)  # no next run: never due again
    assert jobs.due(T0, 10) == ["j1", "j0"]
    assert jobs.drop_orphans(["j1", "j0"]) == 0  # they have records: they stay
    assert jobs.due(T0, 10) == ["j1", "j0"]
    assert jobs.remove_many(["j1", "j0", "missing", "j1"]) == 2
    assert jobs.due(T0, 10) == []
    assert jobs.record("j1") is None
    jobs.clear()
    assert jobs.all_records() == {}
    assert jobs.first_run_time() is None


async def test_the_due_log_takes_one_entry_per_job_and_planned_time(storage: Storage) -> None:
    due = storage.due
    a1, a2, b1 = job(ANN, "a1"), job(ANN, "a2"), job(BEA, "a1")
    assert await due.fire(a1, "occ-1", "plan-1")
    assert not await due.fire(a1, "occ-1", "plan-1")  # a second scheduler ran it too
    assert not due.fire_now(a1, "occ-1", "plan-1")
    assert due.fire_now(a1, "occ-1", "plan-2")  # planned again for another time
    assert due.fire_many_now([(a2, "o", "p"), (a1, "occ-1", "plan-1"), (b1, "o", "p")]) == [
        True,
        False,
        True,
    ]
    assert due.fire_many_now([(a2, "o", "p")]) == [False]
    assert await due.due_jobs() == [a1, a1, a2, b1]


async def test_forget_removes_all_a_contact_left_program_wide(storage: Storage) -> None:
    jobs, due, records = storage.jobs, storage.due, storage.records
    a1, a2, b1 = job(ANN, "a1"), job(ANN, "a2", "day_before"), job(BEA, "a1")
    jobs.put_many({a1: b"r", a2: b"r", b1: b"r"}, {a1: T0, a2: T0 + 60, b1: T0})
    due.fire_many_now([(a1, "o", "p"), (a2, "o", "p"), (b1, "o", "p")])
    assert await claimed(records, a1, "o")
    assert await claimed(records, b1, "o")
    # 2 jobs, 2 due entries, 2 fired guards, 1 sent guard.
    assert await due.forget(ANN) == 7
    assert await due.forget(ANN) == 0
    assert jobs.records([a1, a2, b1]) == [None, None, b"r"]
    assert jobs.due(T0 + 60, 10) == [b1]
    assert await due.due_jobs() == [b1]
    assert await due.fire(a1, "o", "p")  # its guards went too
    assert await claimed(records, a1, "o")
    assert not await due.fire(b1, "o", "p")
    assert not await claimed(records, b1, "o")


async def test_fired_jobs_reach_the_consumer_group_of_their_kinds_stream(
    storage: Storage,
) -> None:
    keys = storage.scheduling.keys
    dispatch = storage.group(keys.due, "dispatch", "one")
    care = storage.group(keys.due_of("care"), "care", "one")
    await dispatch.ensure_group()
    await care.ensure_group()
    a1, b1 = job(ANN, "a1"), job(BEA, "a1")
    assert await storage.due.fire(a1, "o1", "p1")
    assert not await storage.due.fire(a1, "o1", "p1")  # fired once
    assert storage.due.fire_many_now([(b1, "o2", "p2")]) == [True]
    assert await storage.scheduling.due_log("care").fire("w1", "o3", "p3")

    read = await dispatch.read_new()
    assert [dict(f or {}) for _, f in read] == [
        {b"job": a1.encode(), b"occurrence": b"o1", b"planned": b"p1"},
        {b"job": b1.encode(), b"occurrence": b"o2", b"planned": b"p2"},
    ]
    assert [(f or {}).get(b"job") for _, f in await care.read_new()] == [b"w1"]
    await dispatch.ack([read[0][0]])
    assert [i for i, _ in await dispatch.read_pending()] == [read[1][0]]
    assert await storage.due.forget(BEA) >= 1
    assert await storage.due.due_jobs() == [a1]


async def test_one_scheduler_leads_at_a_time(storage: Storage) -> None:
    one = storage.scheduling.lease(timedelta(seconds=60))
    two = storage.scheduling.lease(timedelta(seconds=60))
    assert await one.acquire()
    assert not await two.acquire()
    await one.release()
    assert await two.acquire()
    await two.release()


async def test_a_send_claim_is_one_attempts_until_stale_then_taken_over_with_its_requests(
    storage: Storage,
) -> None:
    """take_send: new, busy while the attempt is fresh, taken over once stale (same since,
    the requests kept); the old attempt's next request is refused; sent ends it for all,
    and a stale attempt cannot mark it failed."""
    records = storage.records
    sent, when = job(ANN, "a1"), "2027-03-10T15:30:00+00:00"
    assert await records.take_send(sent, when, "one", 1_000, 500) == SendClaim("new", 1_000)
    assert await records.note_request(sent, when, "one", 1_100, "a" + records.send_tag("hi"))
    assert (await records.take_send(sent, when, "two", 1_500, 500)).state == "busy"
    taken = await records.take_send(sent, when, "two", 1_700, 500)
    assert taken == SendClaim("taken", 1_000, ("a" + records.send_tag("hi"),))
    assert not await records.note_request(sent, when, "one", 1_800, "a*")
    await records.finish_send(sent, when, "one", FAILED)  # not its own any more: ignored
    assert (await records.take_send(sent, when, "three", 1_900, 500)).state == "busy"
    await records.finish_send(sent, when, "one", SENT)  # its text went after all
    assert (await records.take_send(sent, when, "four", 9_000, 500)).state == "done"
    assert (await records.take_send(sent, "other", "five", 9_000, 500)).state == "new"
    await records.finish_send(sent, "other", "five", FAILED)
    assert (await records.take_send(sent, "other", "six", 99_000, 500)).state == "done"
    assert records.send_tag("hi") != records.send_tag("ho")
    assert records.send_tag(None) == "*"


async def test_the_memory_twins_forget_guards_at_their_deadlines() -> None:
    """As Redis's TTLs do: a sync marker after its seconds, a sent guard after 8 days."""
    clock = Clock()
    records = MemoryReminderRecords(b"k" * 32, clock)
    due = MemoryDueLog(clock, MemoryJobTable(), records)
    assert await records.first_within(ANN, 60)
    assert await claimed(records, "j", "o")
    assert await due.fire("j", "o", "p")
    clock.at += 61
    assert await records.first_within(ANN, 60)
    assert not await claimed(records, "j", "o")
    clock.at += 8 * 86_400
    assert await claimed(records, "j", "o")
    assert await due.fire("j", "o", "p")


async def test_forget_jobs_removes_one_prefix_of_jobs_with_their_entries_and_guards(
    storage: Storage,
) -> None:
    """Another kind's erasure (care-team tries: careteam:<contact>|<webhook-id>)."""
    jobs, due = storage.jobs, storage.due
    ann, bea = "careteam:{c:a1}|msg_1", "careteam:{c:b2}|msg_1"
    jobs.put_many({ann: b"r", bea: b"r"}, {ann: T0, bea: T0})
    due.fire_many_now([(ann, "p", "p"), (bea, "p", "p")])
    assert await due.backlog() == 2
    assert await due.forget_jobs("careteam:{c:a1}|") == 3  # the job, its entry, its guard
    assert await due.forget_jobs("careteam:{c:a1}|") == 0
    assert jobs.records([ann, bea]) == [None, b"r"]
    assert await due.due_jobs() == [bea]
    assert await due.backlog() == 1
    assert await due.fire(ann, "p", "p")  # its guard went too
    assert not await due.fire(bea, "p", "p")
