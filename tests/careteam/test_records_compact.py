"""Care-team records stay small and keep every version: consent and snapshots as sealed
documents, the log as a list, and records written the older way (streams, a hash) still read."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.careteam.consent import NOTHING, ConsentState, derive
from bot.careteam.entries import AuditEntry
from bot.careteam.payload import SectionSnapshot
from bot.careteam.records import CareRecords
from bot.store.crypto import Cipher
from bot.store.keys import field_aad

pytestmark = pytest.mark.anyio
CONTACT = "{c:" + "cd" * 16 + "}"
AT = datetime(2026, 1, 10, tzinfo=UTC)


def consents(count: int) -> list[ConsentState]:
    """`count` successive versions, alternating what is shared."""
    states: list[ConsentState] = []
    previous = NOTHING
    for n in range(count):
        answers: dict[str, Any] = {"share_health": ["medical"]} if n % 2 == 0 else {}
        previous = derive(
            answers,
            previous=previous,
            at=AT + timedelta(days=n),
            source=f"{n}-0",
            organizations=["hope"],
            baby_date=None,
            text_version="t",
            zone=UTC,
        )
        states.append(previous)
    return states


def snapshot(section: str, version: int) -> SectionSnapshot:
    return SectionSnapshot(section, version, AT.isoformat(), (("q", f"v{version}"),))


async def test_writers_racing_for_the_consent_record_each_land_exactly_once(
    records: CareRecords,
) -> None:
    """Twenty appends of the same next version race: one wins; then every version in turn."""
    first, second = consents(2)
    won = await asyncio.gather(*(records.append_consent(CONTACT, first) for _ in range(20)))
    assert won.count(True) == 1
    assert await records.append_consent(CONTACT, second)
    assert [s.version for s in await records.consent_history(CONTACT)] == [1, 2]


async def test_snapshots_racing_for_different_sections_are_all_kept(
    records: CareRecords,
) -> None:
    sections = [f"part{n}" for n in range(12)]
    saved = await asyncio.gather(
        *(records.save_snapshot(CONTACT, snapshot(s, 1)) for s in sections)
    )
    assert all(saved)
    assert sorted(await records.snapshots(CONTACT)) == sorted(sections)
    assert not await records.save_snapshot(CONTACT, snapshot("part3", 1))  # not newer
    assert await records.save_snapshot(CONTACT, snapshot("part3", 2))
    kept = await records.snapshot(CONTACT, "part3")
    assert kept is not None
    assert kept.version == 2


async def test_a_plans_records_fit_in_a_few_keys_of_a_few_hundred_bytes(
    records: CareRecords, redis: Redis
) -> None:
    """Eight consent versions, seven snapshots and seven log lines: the older layout took
    about 12 KB (two 4 KB stream nodes, a hash table); now under 3 KB."""
    for state in consents(8):
        assert await records.append_consent(CONTACT, state)
    for n in range(7):
        await records.save_snapshot(CONTACT, snapshot(f"part{n}", 1))
        await records.audit(
            CONTACT, AuditEntry(AT, "hope_ehr", "hope", "deliver", f"part{n} v1", "200")
        )
    used = 0
    for key in (
        records.store.keys.consents(CONTACT),
        records.store.keys.snapshots(CONTACT),
        records.store.keys.log(CONTACT),
    ):
        used += int(await redis.memory_usage(key, samples=0) or 0)
    assert used < 3_000, used


async def write_the_older_way(
    records: CareRecords, redis: Redis, cipher: Cipher
) -> list[ConsentState]:
    """Consent as a stream, snapshots as a hash, the log as a stream: as before 2026-12."""
    states = consents(2)
    stream = records.store.keys.consent(CONTACT)
    for state in states:
        sealed = cipher.encrypt_json(state.to_json(), field_aad(stream, str(state.version)))
        await redis.xadd(stream, {"version": state.version, "source": state.source, "data": sealed})
    table = records.store.keys.sections(CONTACT)
    old = snapshot("health", 3)
    sealed = cipher.encrypt_json(old.to_json(), field_aad(table, "health"))
    await redis.hset(table, mapping={"v:health": 3, "s:health": sealed})
    log = records.store.keys.audit(CONTACT)
    line = AuditEntry(AT, "hope_ehr", "hope", "deliver", "health v3", "200")
    await redis.xadd(log, {"data": cipher.encrypt_json(line.to_json(), log)})
    return states


async def test_records_written_the_older_way_still_read_and_are_carried_forward(
    records: CareRecords, redis: Redis, cipher: Cipher
) -> None:
    states = await write_the_older_way(records, redis, cipher)
    assert await records.consent_history(CONTACT) == states
    assert await records.latest_consent(CONTACT) == states[-1]
    old = await records.snapshot(CONTACT, "health")
    assert old is not None
    assert old.version == 3
    assert [e.what for e in await records.audit_log(CONTACT)] == ["health v3"]

    third = consents(3)[-1]
    assert not await records.append_consent(CONTACT, states[-1])  # version 2 is taken
    assert await records.append_consent(CONTACT, third)
    assert [s.version for s in await records.consent_history(CONTACT)] == [1, 2, 3]
    assert not await records.save_snapshot(CONTACT, snapshot("health", 3))  # not newer
    assert await records.save_snapshot(CONTACT, snapshot("needs", 1))
    assert sorted(await records.snapshots(CONTACT)) == ["health", "needs"]
    await records.audit(CONTACT, AuditEntry(AT, "x", "hope", "read", "needs v1", "200"))
    assert [e.what for e in await records.audit_log(CONTACT)] == ["health v3", "needs v1"]
