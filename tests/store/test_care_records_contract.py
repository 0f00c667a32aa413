"""One contract for the care team's records, run against the memory twin, real Redis and a
3-primary Redis Cluster (the program-wide schedule and each contact's keys in other slots)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.store.care_records import ERASED, AuditEntry, CareRecordStore, Job, due_token
from bot.store.care_records_memory import MemoryCareRecords
from bot.store.care_records_redis import RedisCareRecords
from bot.store.client import client_for_url
from bot.store.crypto import Cipher

from .conftest import ON_CLUSTER, REDIS_URL, delete_prefixed

pytestmark = pytest.mark.anyio

T0 = 1_776_277_800.0  # tests.clock.NOW as a timestamp
AT = datetime(2026, 4, 15, 18, 30, tzinfo=UTC)
ANA = "{c:" + "a1" * 16 + "}"
BEA = "{c:" + "b2" * 16 + "}"


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> float:
        return self.at


@pytest.fixture(params=["memory", "redis", ON_CLUSTER])
async def records(request: pytest.FixtureRequest) -> AsyncIterator[CareRecordStore]:
    if request.param == "memory":
        yield MemoryCareRecords(Clock())
        return
    prefix = f"test:{secrets.token_hex(6)}:"
    url = REDIS_URL if request.param == "redis" else request.getfixturevalue("redis_cluster_url")
    client = client_for_url(url)
    yield RedisCareRecords(client, Cipher(secrets.token_bytes(32)), prefix)
    await delete_prefixed(client, prefix)
    await client.aclose()


def consent(version: int, **shared: list[str]) -> dict[str, object]:
    return {"version": version, "shared": shared, "source": f"{version}-0"}


def job(wid: str, contact: str = ANA, **fields: object) -> Job:
    return Job(wid, contact, "plan.section.completed", "hope_ehr", T0, "health", 1, **fields)  # type: ignore[arg-type]


def line(action: str, what: str, result: str = "200") -> AuditEntry:
    return AuditEntry(AT, "hope_ehr", "hope", action, what, result, webhook_id="msg_1", attempt=1)


async def test_consent_versions_are_appended_in_order_never_replaced(
    records: CareRecordStore,
) -> None:
    assert await records.consent_versions(ANA) == []
    assert await records.append_consent(ANA, 1, consent(1, health=["hope"]))
    assert not await records.append_consent(ANA, 1, consent(1, health=["other"]))  # taken
    assert not await records.append_consent(ANA, 3, consent(3))  # not the next one
    assert await records.append_consent(ANA, 2, consent(2))
    assert await records.consent_versions(ANA) == [consent(1, health=["hope"]), consent(2)]
    assert await records.consent_versions(BEA) == []
    assert await records.newest_consents([ANA, BEA]) == {ANA: consent(2), BEA: None}


async def test_a_section_keeps_only_its_newest_snapshot(records: CareRecordStore) -> None:
    v2 = {"section": "health", "version": 2, "answers": [["doctor", "Dr. Ruiz"]]}
    v1 = {"section": "health", "version": 1, "answers": [["doctor", "none"]]}
    basic = {"section": "basic_needs", "version": 1, "answers": []}
    assert await records.keep_snapshot(ANA, "health", v2)
    assert not await records.keep_snapshot(ANA, "health", v1)  # older
    assert not await records.keep_snapshot(ANA, "health", v2)  # the same version
    assert await records.keep_snapshot(ANA, "basic_needs", basic)
    assert await records.section_snapshots(ANA) == {"health": v2, "basic_needs": basic}
    assert await records.section_snapshots(BEA) == {}


async def test_the_disclosure_log_is_kept_per_contact_in_order(records: CareRecordStore) -> None:
    first, second = line("deliver", "health v1"), line("read", "plan.json: health v1")
    await records.audit(ANA, first)
    await records.audit(ANA, second)
    await records.audit(BEA, line("withhold", "health v1", "no consent"))
    denied = AuditEntry(AT, "hope_sw", "hope", "deny", "plan.json", "no such plan")
    await records.audit_access(denied)
    assert await records.audit_log(ANA) == [first, second]
    assert [e.action for e in await records.audit_log(BEA)] == ["withhold"]
    assert await records.access_log() == [denied]


async def test_a_job_is_created_once_and_comes_back_as_made(records: CareRecordStore) -> None:
    made = job("msg_1", body={"plan": {"sections": ["health"]}}, step="share_health")
    assert await records.create_job(made, T0 * 1000)
    assert not await records.create_job(made, T0 * 1000 + 5_000)  # the same id: one job
    # ...which keeps its due token: the planned time of its first schedule.
    assert await records.load_job(ANA, "msg_1") == replace(made, due=due_token(T0 * 1000))
    assert due_token(T0 * 1000) == "1776277800000000"  # microseconds
    assert await records.load_job(ANA, "msg_2") is None
    assert await records.parked_count() == 0


async def test_a_withheld_job_is_revived_and_a_delivered_one_keeps_only_its_status(
    records: CareRecordStore,
) -> None:
    withheld, delivered = job("msg_1"), job("msg_2")
    for made in (withheld, delivered):
        await records.create_job(made, T0 * 1000)
    await records.finish_job(withheld, "withheld", "no consent")
    assert await records.create_job(withheld, T0 * 1000 + 9_000) == due_token(T0 * 1000 + 9_000)
    revived = await records.load_job(ANA, "msg_1")
    assert revived is not None
    assert (revived.status, revived.attempts) == ("pending", 0)
    assert revived.due == due_token(T0 * 1000 + 9_000)  # a new schedule, a new token
    # Withheld and revived again at the same time: never the old token (its fired guard
    # would keep the new try's due entry from being written).
    await records.finish_job(revived, "withheld", "no consent")
    again = await records.create_job(withheld, T0 * 1000 + 9_000)
    assert int(again) == int(revived.due) + 1
    assert (await records.load_job(ANA, "msg_1")).due == again  # type: ignore[union-attr]
    finished = await records.finish_job(delivered, "delivered", "200")
    assert (finished.status, finished.last_result) == ("delivered", "200")
    kept = await records.load_job(ANA, "msg_2")
    assert kept is not None
    assert (kept.status, kept.kind, kept.endpoint) == ("delivered", "", "")
    assert not await records.create_job(delivered, T0 * 1000)  # never delivered twice


async def seed_legacy(records: CareRecordStore, member: str, due_ms: float) -> None:
    """A job the previous release left in its own schedule (careteam:due)."""
    if isinstance(records, MemoryCareRecords):
        records.seed_legacy_due(member, due_ms)
    else:
        assert isinstance(records, RedisCareRecords)
        await records.redis.zadd(records.keys.due, {member: due_ms})


async def test_the_previous_schedule_is_read_in_time_order_and_emptied(
    records: CareRecordStore,
) -> None:
    now = T0 * 1000
    for made in (job("late"), job("first"), job("second", BEA)):
        await records.create_job(made, now)
    await seed_legacy(records, f"{ANA}|late", now + 5_000)
    await seed_legacy(records, f"{ANA}|first", now - 2_000)
    await seed_legacy(records, f"{BEA}|second", now - 1_000)
    assert await records.legacy_due(2) == [
        (ANA, "first", now - 2_000),
        (BEA, "second", now - 1_000),
    ]
    await records.set_due(job("first"), now - 2_000)
    moved = await records.load_job(ANA, "first")
    assert moved is not None
    assert moved.due == due_token(now - 2_000)
    await records.set_due(job("gone"), now)  # no such job: none is made
    assert await records.load_job(ANA, "gone") is None
    for contact, wid, _ in await records.legacy_due(10):
        await records.drop_legacy_due(contact, wid)
    assert await records.legacy_due(10) == []


async def test_a_failed_job_is_rescheduled_then_parked_then_retried(
    records: CareRecordStore,
) -> None:
    now = T0 * 1000
    made = job("msg_1")
    await records.create_job(made, now)
    again = await records.reschedule_job(made, 1, now + 10_000, "503")
    assert (again.attempts, again.last_result) == (1, "503")
    assert again == await records.load_job(ANA, "msg_1")
    assert again.due == due_token(now + 10_000)
    parked = await records.park_job(again, 18, now + 20_000, "ConnectError")
    assert parked.status == "parked"
    assert await records.parked_count() == 1
    (listed,) = await records.parked_jobs()
    assert (listed.webhook_id, listed.status, listed.attempts) == ("msg_1", "parked", 18)
    assert listed.last_result == "ConnectError"
    await records.unpark_job(listed, now + 30_000)
    back = await records.load_job(ANA, "msg_1")
    assert back is not None
    assert (back.status, back.attempts, back.due) == ("pending", 0, due_token(now + 30_000))
    # Still listed until its try is planned: a crash in between leaves it to retry again.
    assert [j.webhook_id for j in await records.parked_jobs()] == ["msg_1"]
    await records.drop_parked(back)
    assert await records.parked_jobs() == []
    assert await records.parked_count() == 0


async def test_jobs_leave_the_schedule_by_contact_and_one_by_one(
    records: CareRecordStore,
) -> None:
    now = T0 * 1000
    for made in (job("a1"), job("a2"), job("b1", BEA), job("b2", BEA)):
        await records.create_job(made, now)
    await records.park_job(job("a2"), 18, now, "503")
    await records.park_job(job("b1", BEA), 18, now, "503")
    await seed_legacy(records, f"{ANA}|a1", now)  # the previous release's schedule
    assert await records.cancel_jobs(ANA) == 2  # one parked, one in the old schedule
    assert await records.parked_count() == 1
    assert await records.legacy_due(10) == []
    await records.forget_job(job("b2", BEA))
    assert await records.load_job(BEA, "b2") is None
    assert await records.load_job(BEA, "b1") is not None


async def test_a_delivered_erasure_notice_keeps_its_own_record(records: CareRecordStore) -> None:
    notice = Job("msg_9", ERASED, "plan.deleted", "hope_ehr", T0, body={"plan_id": "p"})
    assert await records.create_job(notice, T0 * 1000)
    await records.finish_job(notice, "delivered", "200")
    kept = await records.load_job(ERASED, "msg_9")
    assert kept is not None
    assert (kept.status, kept.body) == ("delivered", {"plan_id": "p"})
    await records.forget_job(notice)
    assert await records.load_job(ERASED, "msg_9") is None


async def test_set_aside_entries_are_kept_and_purged_by_contact(records: CareRecordStore) -> None:
    await records.bury("1-0", {b"contact": ANA.encode(), b"data": b"sealed"}, "DecryptionError")
    await records.bury("2-0", {b"contact": BEA.encode(), b"data": b"sealed"}, "KeyError")
    await records.bury("3-0", {b"contact": ANA.encode(), b"data": b"sealed"}, "ValueError")
    assert await records.buried() == [
        ("1-0", "DecryptionError"),
        ("2-0", "KeyError"),
        ("3-0", "ValueError"),
    ]
    assert await records.purge_dead(ANA) == 2
    assert await records.buried() == [("2-0", "KeyError")]
    assert await records.purge_dead(ANA) == 0


async def test_an_erasure_is_logged_without_whose(records: CareRecordStore) -> None:
    await records.log_erasure(AT, 12, 2)
    assert await records.erasures() == [(AT.isoformat(), 12, 2)]


async def test_token_checks_count_in_a_window_and_a_good_one_is_given_back(
    records: CareRecordStore,
) -> None:
    count, left = await records.count_token_check("addr-a", 900)
    assert count == 1
    assert 899 <= left <= 900
    assert (await records.count_token_check("addr-a", 900))[0] == 2
    await records.give_back_token_check("addr-a")
    assert (await records.count_token_check("addr-a", 900))[0] == 2
    assert (await records.count_token_check("addr-b", 900))[0] == 1


async def test_the_memory_twins_token_window_ends_on_its_clock() -> None:
    clock = Clock()
    records = MemoryCareRecords(clock)
    await records.count_token_check("addr-a", 900)
    clock.at += 600
    assert await records.count_token_check("addr-a", 900) == (2, 300)
    clock.at += 300
    assert await records.count_token_check("addr-a", 900) == (1, 900)


async def test_documents_come_back_as_copies(records: CareRecordStore) -> None:
    """What a caller changes after writing (or reading) never changes what is kept."""
    document = consent(1, health=["hope"])
    await records.append_consent(ANA, 1, document)
    document["shared"] = {}
    (read,) = await records.consent_versions(ANA)
    read["version"] = 7
    assert await records.consent_versions(ANA) == [consent(1, health=["hope"])]
