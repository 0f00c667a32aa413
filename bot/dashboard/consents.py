"""The newest consent of many contacts in one pipelined round trip (CareRecords reads one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.careteam.consent import ConsentState
from bot.careteam.records import CareRecords


async def latest_consents(records: CareRecords, contacts: Sequence[str]) -> dict[str, ConsentState]:
    """contact -> newest consent version (version 0, nothing shared, when none was given)."""
    async with records.redis.pipeline(transaction=False) as pipe:
        for contact in contacts:
            pipe.get(records.keys.consents(contact))
            pipe.xrevrange(records.keys.consent(contact), count=1)  # consent from before 2026-12
        raw: list[Any] = await pipe.execute()
    return {
        contact: records.newest_consent(contact, raw[2 * i], raw[2 * i + 1])
        for i, contact in enumerate(contacts)
    }
