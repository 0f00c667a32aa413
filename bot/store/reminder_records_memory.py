"""`ReminderRecords` in process memory: the contract suite's twin of `RedisReminderRecords`.

Expiries follow the injected `clock` (seconds), as Redis's TTLs follow its own. Documents
are copied in and out, as sealing and opening them does."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import date

from bot.store import send_claims as claims
from bot.store.expiring import Expiring
from bot.store.reminder_records import (
    FAILURE_TTL,
    LAST_SENT_TTL,
    REPLIED_TTL,
    SENT_TTL,
    Document,
    offer_item,
    series_of_item,
)
from bot.store.send_claims import SendClaim


class MemoryReminderRecords:
    def __init__(self, id_key: bytes, clock: Callable[[], float]) -> None:
        self._id_key = id_key
        self._appointments: dict[str, dict[str, Document]] = {}
        self._offers: dict[str, dict[str, Document]] = {}
        self._offered: dict[str, set[str]] = {}
        self._synced: Expiring[bool] = Expiring(clock)
        self._last_sent: Expiring[dict[str, str]] = Expiring(clock)
        self._failures: Expiring[dict[str, str]] = Expiring(clock)
        self._replied: Expiring[set[str]] = Expiring(clock)
        # Send claims as bot/store/send_claims.py writes them: program-wide, by
        # "job\0occurrence" (MemoryReminderDue.forget drops a contact's).
        self.claims: Expiring[str] = Expiring(clock)

    async def put_appointment(self, contact: str, appointment_id: str, doc: Document) -> None:
        self._appointments.setdefault(contact, {})[appointment_id] = copy.deepcopy(doc)

    async def appointment(self, contact: str, appointment_id: str) -> Document | None:
        return copy.deepcopy(self._appointments.get(contact, {}).get(appointment_id))

    async def appointments(self, contact: str) -> list[Document]:
        return copy.deepcopy(list(self._appointments.get(contact, {}).values()))

    async def remove_appointment(self, contact: str, appointment_id: str) -> bool:
        return _pop(self._appointments, contact, appointment_id)

    async def put_offer(self, contact: str, series: str, doc: Document) -> None:
        self._offers.setdefault(contact, {})[series] = copy.deepcopy(doc)

    async def offer(self, contact: str, series: str) -> Document | None:
        return copy.deepcopy(self._offers.get(contact, {}).get(series))

    async def offers(self, contact: str) -> Mapping[str, Document]:
        return copy.deepcopy(self._offers.get(contact, {}))

    def offer_item(self, contact: str, series: str) -> str:
        return offer_item(self._id_key, contact, series)

    async def offer_series(self, contact: str, item: str) -> str | None:
        series = list(self._offers.get(contact, {}))
        return series_of_item(self._id_key, contact, item, series)

    async def remove_offer(self, contact: str, series: str) -> None:
        _pop(self._offers, contact, series)

    async def mark_offered(self, contact: str, milestone: str) -> None:
        self._offered.setdefault(contact, set()).add(milestone)

    async def offered(self, contact: str) -> set[str]:
        return set(self._offered.get(contact, set()))

    async def take_send(
        self, job_id: str, occurrence: str, attempt: str, now_ms: int, stale_ms: int
    ) -> SendClaim:
        guard = f"{job_id}\0{occurrence}"
        found, value = claims.take(self.claims.get(guard), attempt, now_ms, stale_ms)
        if value is not None:
            self._keep_claim(guard, value)
        return found

    async def note_request(
        self, job_id: str, occurrence: str, attempt: str, now_ms: int, request: str
    ) -> bool:
        guard = f"{job_id}\0{occurrence}"
        value = claims.note(self.claims.get(guard), attempt, now_ms, request)
        if value is None:
            return False
        self._keep_claim(guard, value)
        return True

    async def finish_send(self, job_id: str, occurrence: str, attempt: str, outcome: str) -> None:
        guard = f"{job_id}\0{occurrence}"
        value = claims.finish(self.claims.get(guard), attempt, outcome)
        if value is not None:
            self._keep_claim(guard, value)

    def _keep_claim(self, guard: str, value: str) -> None:
        # Redis keeps the claim's first TTL (KEEPTTL); SENT_TTL from each write is near enough.
        self.claims.put(guard, value, SENT_TTL.total_seconds())

    def send_tag(self, body: str | None) -> str:
        return claims.send_tag(self._id_key, body)

    async def record_sent(self, contact: str, record: Mapping[str, str]) -> None:
        self._last_sent.put(contact, dict(record), LAST_SENT_TTL.total_seconds())

    async def last_sent(self, contact: str) -> dict[str, str] | None:
        record = self._last_sent.get(contact)
        return None if record is None else dict(record)

    async def first_within(self, contact: str, seconds: int) -> bool:
        if self._synced.get(contact):
            return False
        self._synced.put(contact, True, seconds)
        return True

    async def claim_reply(self, contact: str, entry_id: str) -> bool:
        replied = self._replied.get(contact) or set()
        claimed = entry_id not in replied
        self._replied.put(contact, replied | {entry_id}, REPLIED_TTL.total_seconds())
        return claimed

    async def record_failure(self, contact: str, message_id: str, day: date) -> tuple[int, int]:
        failures = {**(self._failures.get(contact) or {}), message_id: day.isoformat()}
        self._failures.put(contact, failures, FAILURE_TTL.total_seconds())
        return len(failures), len(set(failures.values()))

    async def clear_failures(self, contact: str) -> None:
        self._failures.pop(contact)

    async def forget(self, contact: str) -> int:
        kept = (self._appointments, self._offers, self._offered)
        gone = sum(bool(records.pop(contact, None)) for records in kept)
        expiring = (self._synced, self._last_sent, self._failures, self._replied)
        return gone + sum(records.pop(contact) is not None for records in expiring)


def _pop(records: dict[str, dict[str, Document]], contact: str, name: str) -> bool:
    """Remove one field; an emptied hash goes too, as Redis drops it."""
    found = records.get(contact, {})
    if found.pop(name, None) is None:
        return False
    if not found:
        del records[contact]
    return True
