"""Care-team records in Redis: append-only consent, sealed values, jobs that dedupe and revive."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.careteam.consent import NOTHING, ConsentState, derive
from bot.careteam.delivery import drain
from bot.careteam.entries import AuditEntry, Job
from bot.careteam.payload import SectionSnapshot
from bot.careteam.records import CareRecords
from bot.store.care_records_memory import MemoryCareRecords
from bot.store.outbox import OutboxEntry
from tests.careteam.conftest import SOCIAL_WORKER, ParentFactory, WorkerFactory, share
from tests.clock import NOW
from tests.fakes.receiver import Receiver

pytestmark = pytest.mark.anyio
CONTACT = "{c:" + "ab" * 16 + "}"
AT = datetime(2026, 1, 10, tzinfo=UTC)


def consent(answers: dict[str, Any], previous: ConsentState, source: str) -> ConsentState:
    return derive(
        answers,
        previous=previous,
        at=AT,
        source=source,
        organizations=["hope"],
        baby_date=None,
        text_version="t",
        zone=UTC,
    )


async def test_consent_versions_are_appended_never_overwritten(records: CareRecords) -> None:
    first = consent({"share_health": ["medical"]}, NOTHING, "1-0")
    second = consent({}, first, "2-0")
    assert await records.append_consent(CONTACT, first)
    assert not await records.append_consent(CONTACT, first)  # version 1 is taken
    assert await records.append_consent(CONTACT, second)
    history = await records.consent_history(CONTACT)
    assert [s.version for s in history] == [1, 2]
    assert history[0] == first  # the earlier version is still there, as it was
    assert await records.latest_consent(CONTACT) == second


async def test_consent_and_snapshots_read_back_the_same_from_either_store(
    records: CareRecords,
) -> None:
    """The care team's own types survive the store's plain documents, kept in Redis or in
    the memory twin alike (tests/store/test_care_records_contract.py holds the rest)."""
    first = consent({"share_health": ["medical"], "share_recovery": ["treatment"]}, NOTHING, "1-0")
    snapshot = SectionSnapshot("health", 2, "2026-01-10", (("doctor", "Dr. Ruiz"), ("meds", None)))
    twin = CareRecords(MemoryCareRecords(lambda: AT.timestamp()))
    for kept in (records, twin):
        assert await kept.latest_consent(CONTACT) == NOTHING
        assert await kept.append_consent(CONTACT, first)
        assert await kept.save_snapshot(CONTACT, snapshot)
        assert await kept.latest_consent(CONTACT) == first
        assert await kept.latest_consents([CONTACT, "{c:00}"]) == {
            CONTACT: first,
            "{c:00}": NOTHING,
        }
        assert await kept.consent_history(CONTACT) == [first]
        assert await kept.snapshot(CONTACT, "health") == snapshot
        assert await kept.snapshots(CONTACT) == {"health": snapshot}


JOB_AT = NOW.timestamp()  # a job's created time: the worker's clock, never the machine's


async def test_a_withheld_job_is_revived_by_a_later_consent(records: CareRecords) -> None:
    job = Job("msg_1", CONTACT, "plan.section.completed", "hope_ehr", JOB_AT, "health", 1)
    assert await records.store.create_job(job, 0)
    assert not await records.store.create_job(job, 0)  # the same id: one job
    await records.store.finish_job(job, "withheld", "no consent")
    assert await records.store.create_job(job, 0)
    revived = await records.store.load_job(CONTACT, "msg_1")
    assert revived is not None
    assert (revived.status, revived.attempts) == ("pending", 0)
    await records.store.finish_job(job, "delivered", "200")
    assert not await records.store.create_job(job, 0)  # delivered stays delivered


async def test_a_delivered_job_keeps_only_its_status(records: CareRecords, redis: Redis) -> None:
    """Out of the schedule for good, a job is one field of the contact's done hash: its id
    still dedupes and reads back as delivered; a withheld one keeps its hash (revivable)."""
    done = Job("msg_2", CONTACT, "plan.section.completed", "hope_ehr", JOB_AT, "health", 1)
    held = Job("msg_3", CONTACT, "plan.section.completed", "hope_ehr", JOB_AT, "needs", 1)
    for job in (done, held):
        assert await records.store.create_job(job, 0)
    await records.store.finish_job(done, "delivered", "200")
    await records.store.finish_job(held, "withheld", "no consent")
    assert not await redis.exists(records.store.keys.job(CONTACT, "msg_2"))
    assert await redis.exists(records.store.keys.job(CONTACT, "msg_3"))
    assert await redis.hgetall(records.store.keys.done(CONTACT)) == {b"msg_2": b"delivered"}
    again = await records.store.load_job(CONTACT, "msg_2")
    assert again is not None
    assert again.status == "delivered"
    assert not await records.store.create_job(done, 0)
    assert not await redis.exists(records.store.keys.job(CONTACT, "msg_2"))


async def test_nothing_about_a_parent_is_stored_in_clear(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver, redis: Redis, prefix: str
) -> None:
    """Every care-team value (consent, snapshots, jobs, audit) is sealed: no name, phone or
    answer shows in what Redis holds."""
    p = parent()
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER, share_health=SOCIAL_WORKER))
    receiver.down = True
    await drain(make_worker())
    contact = p.store.keys_for(p.address).contact
    await make_worker().records.audit(
        contact, AuditEntry(AT, "x", "y", "read", "Sam's plan", "200")
    )
    keys = [k async for k in redis.scan_iter(match=f"{prefix}*:ct:*")]
    assert len(keys) >= 4
    dump = b""
    for key in keys:
        kind = (await redis.type(key)).decode()
        if kind == "hash":
            dump += b"".join(k + v for k, v in (await redis.hgetall(key)).items())
        elif kind == "stream":
            for _id, fields in await redis.xrange(key):
                dump += b"".join(k + v for k, v in fields.items())
        elif kind == "list":
            dump += b"".join(await redis.lrange(key, 0, -1))
        else:
            dump += await redis.get(key)
    assert {k.decode().rsplit(":", 1)[-1] for k in keys} >= {"consents", "snapshots", "log"}
    for secret in (b"Sam", p.address.encode(), b"steady place", b"stable", b"social_worker"):
        assert secret not in dump


async def test_an_entry_that_keeps_failing_is_set_aside(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver, records: CareRecords
) -> None:
    """An unforeseen error on one outbox entry is retried, then buried, and the events after
    it still go out."""
    p = parent()
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER, share_safety=SOCIAL_WORKER))
    worker = make_worker(bury_after=3)
    real_apply = worker.apply

    async def broken_for_basic_needs(entry: OutboxEntry) -> None:
        if getattr(entry.event, "section", None) == "basic_needs":
            raise ValueError("a bug")
        await real_apply(entry)

    worker.apply = broken_for_basic_needs  # type: ignore[method-assign]
    for _ in range(5):
        await drain(worker)
        await asyncio.sleep(0)
    assert await records.store.redis.xlen(records.store.keys.dead) == 1
    sections = {r.body["section"]["key"] for r in receiver.processed()}
    assert sections == {"safety"}  # basic needs was never consented-and-snapshotted
