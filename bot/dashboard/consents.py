"""The newest consent of many contacts in one pipelined round trip (CareRecords reads one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.careteam.consent import NOTHING, ConsentState
from bot.careteam.records import CareRecords
from bot.store.crypto import Cipher
from bot.store.keys import field_aad


async def latest_consents(
    records: CareRecords, cipher: Cipher, contacts: Sequence[str]
) -> dict[str, ConsentState]:
    """contact -> newest consent version (version 0, nothing shared, when none was given).

    Opens each entry the way CareRecords.latest_consent does: the sealed state is bound to
    the stream key and its version.
    """
    async with records.redis.pipeline(transaction=False) as pipe:
        for contact in contacts:
            pipe.xrevrange(records.keys.consent(contact), count=1)
        raw: list[Any] = await pipe.execute()
    found: dict[str, ConsentState] = {}
    for contact, entries in zip(contacts, raw, strict=True):
        if not entries:
            found[contact] = NOTHING
            continue
        fields = entries[0][1]
        key = records.keys.consent(contact)
        version = fields[b"version"].decode()
        data = cipher.decrypt_json(fields[b"data"], field_aad(key, version))
        found[contact] = ConsentState.from_json(data)
    return found
