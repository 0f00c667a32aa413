"""Appointments, standard-schedule offers and send records: what they mean here, kept by a
`ReminderRecords` (bot/store/reminder_records.py: Redis, or its memory twin)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from bot.reminders.rules import Repeat, occurrences
from bot.store.reminder_records import LEGACY_OFFER_ITEM, OFFER_ITEM, ReminderRecords
from bot.store.send_claims import SendClaim

Source = Literal["parent", "care_team", "plan"]
# What replies to a reminder set: C -> confirmed, R -> reschedule_requested, RIDE ->
# ride_requested (both flag the care team), CANCEL (once confirmed) -> cancelled.
Status = Literal["scheduled", "confirmed", "reschedule_requested", "ride_requested", "cancelled"]


def is_offer_item(item: str) -> bool:
    return item.startswith((OFFER_ITEM, LEGACY_OFFER_ITEM))


@dataclass(frozen=True, slots=True)
class Appointment:
    """One appointment (or weekly support) at a wall time in the parent's own zone."""

    id: str
    contact: str
    kind: str
    day: date
    at: time
    repeat: Repeat = "once"
    place: str | None = None
    source: Source = "parent"
    status: Status = "scheduled"
    until: date | None = None
    created_at: str = ""

    def starts(self, tz: ZoneInfo, after: datetime | None = None) -> Iterator[datetime]:
        """Its next starts after `after` (see occurrences: a bounded listing, weekly ones
        without end unless `until`)."""
        return occurrences(self.day, self.at, self.repeat, tz, after=after, until=self.until)

    def with_status(self, status: Status) -> Appointment:
        return replace(self, status=status)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        data["at"] = self.at.isoformat(timespec="minutes")
        data["until"] = self.until.isoformat() if self.until else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Appointment:
        return cls(
            id=str(data["id"]),
            contact=str(data["contact"]),
            kind=str(data["kind"]),
            day=date.fromisoformat(data["day"]),
            at=time.fromisoformat(data["at"]),
            repeat=cast(Repeat, data.get("repeat", "once")),
            place=data.get("place"),
            source=cast(Source, data.get("source", "parent")),
            status=cast(Status, data.get("status", "scheduled")),
            until=date.fromisoformat(data["until"]) if data.get("until") else None,
            created_at=str(data.get("created_at", "")),
        )


@dataclass(frozen=True, slots=True)
class Offer:
    """The standard-schedule offer planned for one series (one at a time per series)."""

    series: str
    milestone: str
    kind: str
    closes: date
    catch_up: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["closes"] = self.closes.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Offer:
        return cls(
            series=str(data["series"]),
            milestone=str(data["milestone"]),
            kind=str(data["kind"]),
            closes=date.fromisoformat(data["closes"]),
            catch_up=bool(data.get("catch_up", False)),
        )


class ReminderStore:
    """Everything reminders keep per contact, as appointments and offers."""

    def __init__(self, records: ReminderRecords) -> None:
        self.records = records

    # ---- appointments ------------------------------------------------------------------

    async def put(self, appointment: Appointment) -> None:
        await self.records.put_appointment(
            appointment.contact, appointment.id, appointment.to_json()
        )

    async def get(self, contact: str, appointment_id: str) -> Appointment | None:
        doc = await self.records.appointment(contact, appointment_id)
        return None if doc is None else Appointment.from_json(doc)

    async def appointments(self, contact: str) -> list[Appointment]:
        found = [Appointment.from_json(d) for d in await self.records.appointments(contact)]
        return sorted(found, key=lambda a: (a.day, a.at, a.id))

    async def remove(self, contact: str, appointment_id: str) -> bool:
        return await self.records.remove_appointment(contact, appointment_id)

    # ---- standard-schedule offers ------------------------------------------------------

    async def put_offer(self, contact: str, offer: Offer) -> None:
        await self.records.put_offer(contact, offer.series, offer.to_json())

    async def offer(self, contact: str, series: str) -> Offer | None:
        doc = await self.records.offer(contact, series)
        return None if doc is None else Offer.from_json(doc)

    async def offers(self, contact: str) -> dict[str, Offer]:
        found = await self.records.offers(contact)
        return {series: Offer.from_json(doc) for series, doc in found.items()}

    def offer_item(self, contact: str, series: str) -> str:
        """The opaque job item of this contact's offer in `series` (same every time)."""
        return self.records.offer_item(contact, series)

    async def offer_series(self, contact: str, item: str) -> str | None:
        """Which of the contact's offer series a job item stands for (None: no such offer)."""
        return await self.records.offer_series(contact, item)

    async def remove_offer(self, contact: str, series: str) -> None:
        await self.records.remove_offer(contact, series)

    async def mark_offered(self, contact: str, milestone: str) -> None:
        """Remember an offered milestone (names like "baby-2m" tell a baby's age: sealed).

        Read-modify-write: only the leader's dispatcher calls it, one entry at a time."""
        await self.records.mark_offered(contact, milestone)

    async def offered(self, contact: str) -> set[str]:
        return await self.records.offered(contact)

    # ---- sending -----------------------------------------------------------------------

    async def take_send(
        self, job_id: str, occurrence: str, attempt: str, now_ms: int, stale_ms: int
    ) -> SendClaim:
        """Claim (job, occurrence) for one attempt at texting it, or take over one presumed
        dead (untouched for `stale_ms`): see bot/reminders/sending.py."""
        return await self.records.take_send(job_id, occurrence, attempt, now_ms, stale_ms)

    async def note_request(
        self, job_id: str, occurrence: str, attempt: str, now_ms: int, request: str
    ) -> bool:
        return await self.records.note_request(job_id, occurrence, attempt, now_ms, request)

    async def finish_send(self, job_id: str, occurrence: str, attempt: str, outcome: str) -> None:
        await self.records.finish_send(job_id, occurrence, attempt, outcome)

    def send_tag(self, body: str | None) -> str:
        return self.records.send_tag(body)

    async def record_sent(
        self, contact: str, item: str, occurrence: str, sid: str, now: datetime
    ) -> None:
        """What the newest reminder was about, so a reply (C, R, RIDE) finds it."""
        record = {
            "item": item,
            "occurrence": occurrence,
            "sid": sid,
            "sent_at": now.astimezone(UTC).isoformat(),
        }
        await self.records.record_sent(contact, record)

    async def last_sent(self, contact: str) -> dict[str, str] | None:
        return await self.records.last_sent(contact)

    async def first_within(self, contact: str, seconds: int) -> bool:
        """True at most once per `seconds` per contact: the standard schedule is due a re-sync."""
        return await self.records.first_within(contact, seconds)

    async def claim_reply(self, contact: str, entry_id: str) -> bool:
        """True once per outbox entry: a redelivered "cancel 2" must not cancel another one
        (the list has moved up by then). Taken before answering."""
        return await self.records.claim_reply(contact, entry_id)

    # ---- delivery failures (see reach.py) -----------------------------------------------

    async def record_failure(self, contact: str, message_id: str, day: date) -> tuple[int, int]:
        """Note one failed text (once per message id: Twilio may repeat a callback) on the
        parent's local `day`; returns (failed texts, different days) since the last success."""
        return await self.records.record_failure(contact, message_id, day)

    async def clear_failures(self, contact: str) -> None:
        """A text got through: failures start counting from zero again."""
        await self.records.clear_failures(contact)

    # ---- erasure -----------------------------------------------------------------------

    async def forget(self, contact: str) -> int:
        """Delete the contact's reminder records; returns how many kinds went. erase_contact
        removes them too; the program-wide entries go with Scheduler.forget."""
        return await self.records.forget(contact)
