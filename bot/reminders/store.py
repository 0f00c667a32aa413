"""Appointments, standard-schedule offers and send records in Redis, sealed per field."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from bot.reminders.rules import Repeat, occurrences
from bot.store.crypto import Cipher
from bot.store.keys import field_aad
from bot.store.keys.reminders import ReminderKeys

Source = Literal["parent", "care_team", "plan"]
# What replies to a reminder set: C -> confirmed, R -> reschedule_requested, RIDE ->
# ride_requested (both flag the care team), CANCEL (once confirmed) -> cancelled.
Status = Literal["scheduled", "confirmed", "reschedule_requested", "ride_requested", "cancelled"]
# A weekly reminder's "sent" guard must outlive a redelivery, not the week.
# A standard-schedule offer's job item: "o" and a keyed digest of (contact, series), so job
# ids and the scheduler's log lines never name the series (prenatal, postpartum, baby).
# Items made before were "plan-<series>"; they are still read, and replaced as they are met.
OFFER_ITEM = "o"
LEGACY_OFFER_ITEM = "plan-"


def is_offer_item(item: str) -> bool:
    return item.startswith((OFFER_ITEM, LEGACY_OFFER_ITEM))


SENT_TTL = timedelta(days=8)
# A redelivered outbox entry comes within minutes; this is ample.
REPLIED_TTL = timedelta(days=2)
# Failures older than this (with no success since) are forgotten.
FAILURE_TTL = timedelta(days=60)


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

    def starts(self, tz: ZoneInfo) -> Iterator[datetime]:
        return occurrences(self.day, self.at, self.repeat, tz, until=self.until)

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


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    raise TypeError("the reminder store needs a client with decode_responses=False")


class ReminderStore:
    """Everything reminders keep per contact. Kind, time and place of an appointment say
    something about the parent's health, so every record is sealed, bound to its key+field."""

    def __init__(self, redis: Redis, cipher: Cipher, keys: ReminderKeys) -> None:
        self._redis = redis
        self._cipher = cipher
        self.keys = keys

    # ---- appointments ------------------------------------------------------------------

    async def put(self, appointment: Appointment) -> None:
        key = self.keys.appointments(appointment.contact)
        sealed = self._cipher.encrypt_json(appointment.to_json(), field_aad(key, appointment.id))
        await self._redis.hset(key, appointment.id, sealed)

    async def get(self, contact: str, appointment_id: str) -> Appointment | None:
        key = self.keys.appointments(contact)
        raw = await self._redis.hget(key, appointment_id)
        if raw is None:
            return None
        return Appointment.from_json(
            self._cipher.decrypt_json(_bytes(raw), field_aad(key, appointment_id))
        )

    async def appointments(self, contact: str) -> list[Appointment]:
        key = self.keys.appointments(contact)
        raw = await self._redis.hgetall(key)
        found = [
            Appointment.from_json(
                self._cipher.decrypt_json(_bytes(v), field_aad(key, _bytes(f).decode()))
            )
            for f, v in raw.items()
        ]
        return sorted(found, key=lambda a: (a.day, a.at, a.id))

    async def remove(self, contact: str, appointment_id: str) -> bool:
        return bool(await self._redis.hdel(self.keys.appointments(contact), appointment_id))

    # ---- standard-schedule offers ------------------------------------------------------

    async def put_offer(self, contact: str, offer: Offer) -> None:
        key = self.keys.offers(contact)
        sealed = self._cipher.encrypt_json(offer.to_json(), field_aad(key, offer.series))
        await self._redis.hset(key, offer.series, sealed)

    async def offer(self, contact: str, series: str) -> Offer | None:
        key = self.keys.offers(contact)
        raw = await self._redis.hget(key, series)
        if raw is None:
            return None
        return Offer.from_json(self._cipher.decrypt_json(_bytes(raw), field_aad(key, series)))

    async def offers(self, contact: str) -> dict[str, Offer]:
        key = self.keys.offers(contact)
        raw = await self._redis.hgetall(key)
        result = {}
        for f, v in raw.items():
            series = _bytes(f).decode()
            data = self._cipher.decrypt_json(_bytes(v), field_aad(key, series))
            result[series] = Offer.from_json(data)
        return result

    def offer_item(self, contact: str, series: str) -> str:
        """The opaque job item of this contact's offer in `series` (same every time)."""
        text = f"offer\x1f{contact}\x1f{series}".encode()
        return OFFER_ITEM + hmac.new(self._cipher.id_key, text, hashlib.sha256).hexdigest()[:16]

    async def offer_series(self, contact: str, item: str) -> str | None:
        """Which of the contact's offer series a job item stands for (None: no such offer)."""
        if item.startswith(LEGACY_OFFER_ITEM):
            return item.removeprefix(LEGACY_OFFER_ITEM)
        for field in await self._redis.hkeys(self.keys.offers(contact)):
            series = _bytes(field).decode()
            if hmac.compare_digest(self.offer_item(contact, series), item):
                return series
        return None

    async def remove_offer(self, contact: str, series: str) -> None:
        await self._redis.hdel(self.keys.offers(contact), series)

    async def mark_offered(self, contact: str, milestone: str) -> None:
        """Remember an offered milestone (names like "baby-2m" tell a baby's age: sealed).

        Read-modify-write: only the leader's dispatcher calls it, one entry at a time."""
        names = await self.offered(contact)
        if milestone in names:
            return
        key = self.keys.offered(contact)
        await self._redis.set(key, self._cipher.encrypt_json(sorted(names | {milestone}), key))

    async def offered(self, contact: str) -> set[str]:
        key = self.keys.offered(contact)
        raw = await self._redis.get(key)
        return set() if raw is None else set(self._cipher.decrypt_json(_bytes(raw), key))

    # ---- sending -----------------------------------------------------------------------

    async def claim_send(self, job_id: str, occurrence: str) -> bool:
        """True once per (job, occurrence): taken before sending, so never twice (a crash
        between claim and send loses that one reminder rather than risking a second)."""
        key = self.keys.sent(job_id, occurrence)
        ttl = int(SENT_TTL.total_seconds())
        return bool(await self._redis.set(key, b"1", nx=True, ex=ttl))

    async def record_sent(
        self, contact: str, item: str, occurrence: str, sid: str, now: datetime
    ) -> None:
        """What the newest reminder was about, so a reply (C, R, RIDE) finds it."""
        key = self.keys.last_sent(contact)
        record = {
            "item": item,
            "occurrence": occurrence,
            "sid": sid,
            "sent_at": now.astimezone(UTC).isoformat(),
        }
        await self._redis.set(key, self._cipher.encrypt_json(record, key), ex=30 * 86400)

    async def last_sent(self, contact: str) -> dict[str, str] | None:
        key = self.keys.last_sent(contact)
        raw = await self._redis.get(key)
        return None if raw is None else dict(self._cipher.decrypt_json(_bytes(raw), key))

    async def first_within(self, contact: str, seconds: int) -> bool:
        """True at most once per `seconds` per contact: the standard schedule is due a re-sync."""
        key = self.keys.synced(contact)
        return bool(await self._redis.set(key, b"1", nx=True, ex=seconds))

    async def claim_reply(self, contact: str, entry_id: str) -> bool:
        """True once per outbox entry: a redelivered "cancel 2" must not cancel another one
        (the list has moved up by then). Taken before answering, like claim_send."""
        key = self.keys.replied(contact)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, entry_id, b"1")
            pipe.expire(key, int(REPLIED_TTL.total_seconds()))
            claimed, _ = await pipe.execute()
        return bool(claimed)

    # ---- delivery failures (see reach.py) -----------------------------------------------

    async def record_failure(self, contact: str, message_id: str, day: date) -> tuple[int, int]:
        """Note one failed text (once per message id: Twilio may repeat a callback) on the
        parent's local `day`; returns (failed texts, different days) since the last success."""
        key = self.keys.failures(contact)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, message_id, day.isoformat())
            pipe.expire(key, int(FAILURE_TTL.total_seconds()))
            pipe.hvals(key)
            _, _, days = await pipe.execute()
        return len(days), len(set(days))

    async def clear_failures(self, contact: str) -> None:
        """A text got through: failures start counting from zero again."""
        await self._redis.delete(self.keys.failures(contact))

    # ---- erasure -----------------------------------------------------------------------

    async def forget(self, contact: str) -> int:
        """Delete the contact's reminder records; returns how many keys went. erase_contact
        removes them too; the program-wide entries go with ReminderScheduler.forget."""
        return int(await self._redis.delete(*self.keys.per_contact(contact)))
