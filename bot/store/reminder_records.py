"""What reminders keep per contact: appointments, standard-schedule offers, which reminder
went last, send and reply guards, delivery failures. Kept by `RedisReminderRecords` and its
memory twin `MemoryReminderRecords`; both pass tests/store/test_reminder_store_contract.py.

Records are JSON documents the store seals (kind, time and place of an appointment say
something about the parent's health); what they mean is the reminders package's business
(`Appointment` and `Offer` in bot/reminders/store.py). Expiries only clean up after callers.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Protocol

from bot.store.send_claims import SendClaim

Document = dict[str, Any]

# A weekly reminder's "sent" guard must outlive a redelivery, not the week.
SENT_TTL = timedelta(days=8)
# A redelivered outbox entry comes within minutes; this is ample.
REPLIED_TTL = timedelta(days=2)
# Failures older than this (with no success since) are forgotten.
FAILURE_TTL = timedelta(days=60)
# What the newest reminder was about is kept this long for a reply (C, R, RIDE).
LAST_SENT_TTL = timedelta(days=30)

# A standard-schedule offer's job item: "o" and a keyed digest of (contact, series), so job
# ids and the scheduler's log lines never name the series (prenatal, postpartum, baby).
# Items made before were "plan-<series>"; they are still read, and replaced as they are met.
OFFER_ITEM = "o"
LEGACY_OFFER_ITEM = "plan-"


def offer_item(id_key: bytes, contact: str, series: str) -> str:
    """The opaque job item of this contact's offer in `series` (same every time)."""
    text = f"offer\x1f{contact}\x1f{series}".encode()
    return OFFER_ITEM + hmac.new(id_key, text, hashlib.sha256).hexdigest()[:16]


def series_of_item(id_key: bytes, contact: str, item: str, series: list[str]) -> str | None:
    """Which of `series` a job item stands for (a legacy item names its own)."""
    if item.startswith(LEGACY_OFFER_ITEM):
        return item.removeprefix(LEGACY_OFFER_ITEM)
    for name in series:
        if hmac.compare_digest(offer_item(id_key, contact, name), item):
            return name
    return None


class ReminderRecords(Protocol):
    # Appointments, by id (the document holds its own "id").
    async def put_appointment(self, contact: str, appointment_id: str, doc: Document) -> None: ...

    async def appointment(self, contact: str, appointment_id: str) -> Document | None: ...

    async def appointments(self, contact: str) -> list[Document]:
        """Every appointment of the contact, in no particular order."""
        ...

    async def remove_appointment(self, contact: str, appointment_id: str) -> bool: ...

    # The standard-schedule offer planned per series, and the milestones already offered.
    async def put_offer(self, contact: str, series: str, doc: Document) -> None: ...

    async def offer(self, contact: str, series: str) -> Document | None: ...

    async def offers(self, contact: str) -> Mapping[str, Document]: ...

    def offer_item(self, contact: str, series: str) -> str: ...

    async def offer_series(self, contact: str, item: str) -> str | None:
        """Which of the contact's offer series a job item stands for (None: no such offer)."""
        ...

    async def remove_offer(self, contact: str, series: str) -> None: ...

    async def mark_offered(self, contact: str, milestone: str) -> None:
        """Remember an offered milestone. Read-modify-write: one writer (the leader)."""
        ...

    async def offered(self, contact: str) -> set[str]: ...

    # Sending.
    async def take_send(
        self, job_id: str, occurrence: str, attempt: str, now_ms: int, stale_ms: int
    ) -> SendClaim:
        """Claim (job, occurrence) for `attempt`, or take it over from one untouched for
        `stale_ms` (bot/store/send_claims.py); kept SENT_TTL. Counts once a replica holds it."""
        ...

    async def note_request(
        self, job_id: str, occurrence: str, attempt: str, now_ms: int, request: str
    ) -> bool:
        """Record a request `attempt` is about to make; False: the claim is not its own."""
        ...

    async def finish_send(self, job_id: str, occurrence: str, attempt: str, outcome: str) -> None:
        """Sent (SENT, whoever holds the claim) or failed for good (FAILED, its own only)."""
        ...

    def send_tag(self, body: str | None) -> str:
        """A request's body as the claim keeps it (a keyed digest)."""
        ...

    async def record_sent(self, contact: str, record: Mapping[str, str]) -> None: ...

    async def last_sent(self, contact: str) -> dict[str, str] | None: ...

    async def first_within(self, contact: str, seconds: int) -> bool:
        """True at most once per `seconds` per contact."""
        ...

    async def claim_reply(self, contact: str, entry_id: str) -> bool:
        """True once per outbox entry (kept REPLIED_TTL after the contact's latest claim)."""
        ...

    # Delivery failures since the last success.
    async def record_failure(self, contact: str, message_id: str, day: date) -> tuple[int, int]:
        """Note a failed text once per message id; (failed texts, different days)."""
        ...

    async def clear_failures(self, contact: str) -> None: ...

    async def forget(self, contact: str) -> int:
        """Drop every record of the contact (not the program-wide guards); how many kinds
        of record there were."""
        ...
