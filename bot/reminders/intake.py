"""Where reminders come from: the parent's "add a reminder" events, the care-team API, the plan."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from bot.engine.events import (
    AnswerChanged,
    ErasureRequested,
    OptedIn,
    ReminderCancelRequested,
    ReminderReplied,
    ReminderRequested,
    RemindersListRequested,
    SectionCompleted,
)
from bot.errors import DecryptionError, SafeStartError
from bot.reminders.planner import Planner
from bot.reminders.replies import ListReplies
from bot.reminders.rules import KINDS, Repeat
from bot.reminders.store import Appointment, Source, Status
from bot.scheduling.loops import keep_stepping, stop_if_cancelled
from bot.store.client import until_redis_answers
from bot.store.crypto import Cipher
from bot.store.outbox import OutboxEntry, open_entry
from bot.store.redis_calls import TRANSIENT_ERRORS
from bot.store.streams import StreamGroup

log = logging.getLogger(__name__)

GROUP = "reminders"
# An entry another process read and never acknowledged is taken over after this long.
CLAIM_IDLE_MS = 60_000
# Onboarding answers the schedule depends on: zone (zip), best time, and the dates.
SCHEDULE_ANSWERS = frozenset({"zip", "best_time", "stage", "due_date", "birth_date"})
# The engine's reply actions -> the appointment's status (the care team reads R and RIDE
# from the same outbox event).
REPLY_STATUS: dict[str, Status] = {
    "confirm": "confirmed",
    "reschedule": "reschedule_requested",
    "ride": "ride_requested",
}
# The standard schedule is re-synced at most this often from ordinary activity (any event),
# which also covers the end of onboarding, where the engine emits no event of its own.
RESYNC_EVERY_S = 24 * 3600
_PLAN_ID = re.compile(r"^c:[0-9a-f]{32}$")


class UnknownPlan(SafeStartError, LookupError):
    """No parent behind this plan id."""


class InvalidAppointment(SafeStartError, ValueError):
    """An appointment that cannot be scheduled (past, unknown kind, bad id)."""


def contact_of(plan_id: str) -> str:
    """`c:<hex>` (the intake's plan id) -> `{c:<hex>}` (the Redis hash tag and contact id)."""
    if not _PLAN_ID.match(plan_id):
        raise UnknownPlan(plan_id)
    return "{" + plan_id + "}"


def _opaque_id(*parts: str) -> str:
    """Deterministic, so a redelivered event or a retried request makes the same one."""
    return "a" + hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).hexdigest()


async def add_appointment(
    planner: Planner,
    plan_id: str,
    *,
    kind: str,
    day: date,
    at: time,
    repeat: Repeat = "once",
    place: str | None = None,
    until: date | None = None,
    source: Source = "care_team",
    request_id: str | None = None,
) -> Appointment:
    """Add (or, with the same `request_id`, replace) an appointment and schedule it.

    Raises UnknownPlan when no parent has this plan id, InvalidAppointment when it is
    not in the future or the kind is unknown.
    """
    contact = contact_of(plan_id)
    if kind not in KINDS:
        raise InvalidAppointment(f"unknown kind {kind!r}")
    if await planner.conversations.address_of(contact) is None:
        raise UnknownPlan(plan_id)
    prof = await planner.profile_of(contact)
    now = planner.clock()
    first = datetime.combine(day, at, tzinfo=prof.tz)
    if first <= now and repeat == "once":
        raise InvalidAppointment("the appointment is in the past")
    ident = (
        _opaque_id(contact, source, request_id)
        if request_id
        else _opaque_id(contact, source, day.isoformat(), at.isoformat(), kind, now.isoformat())
    )
    appointment = Appointment(
        id=ident,
        contact=contact,
        kind=kind,
        day=day,
        at=at,
        repeat=repeat,
        place=place,
        source=source,
        until=until,
        created_at=now.astimezone(UTC).isoformat(),
    )
    await planner.add(appointment, prof)
    return appointment


def appointment_from_request(
    entry_id: str, contact: str, answers: Mapping[str, Any], now: datetime
) -> Appointment | None:
    """The appointment a finished "add a reminder" flow describes, or None if incomplete."""
    day, at = answers.get("date"), answers.get("time")
    if not isinstance(day, date) or isinstance(day, datetime) or not isinstance(at, time):
        return None
    kind = answers.get("kind")
    repeat: Repeat = "weekly" if answers.get("repeat") == "weekly" else "once"
    return Appointment(
        id=_opaque_id(contact, "parent", entry_id),
        contact=contact,
        kind=kind if isinstance(kind, str) and kind in KINDS else "other",
        day=day,
        at=at.replace(tzinfo=None),
        repeat=repeat,
        source="parent",
        created_at=now.astimezone(UTC).isoformat(),
    )


class Intake:
    """Consumer group "reminders" on the engine's outbox stream; runs in every process."""

    def __init__(
        self,
        *,
        group: StreamGroup,
        cipher: Cipher,
        planner: Planner,
        replies: ListReplies,
        block_ms: int = 1000,
    ) -> None:
        self._group = group
        self._cipher = cipher
        self.planner = planner
        self.replies = replies
        self._block_ms = block_ms
        self._running = False

    def request_stop(self) -> None:
        """End run() after the current round, even if a cancellation gets lost (see wiring)."""
        self._running = False

    async def ensure_group(self) -> None:
        # Appointment ids are deterministic, so an early event handled again is never doubled.
        await self._group.ensure_group()

    async def run(self) -> None:
        self._running = True
        await until_redis_answers(self.ensure_group, "reminder intake")
        await keep_stepping(self.step, lambda: self._running, "reminder intake")

    async def step(self, *, block: bool = True) -> int:
        """Reclaim what a dead process left, read new entries, handle and ack them."""
        handled = 0
        entries = await self._group.claim_idle(CLAIM_IDLE_MS)
        stop_if_cancelled()  # before blocking: a cancel may have been swallowed above
        entries += await self._group.read_new(self._block_ms if block else None)
        for entry_id, fields in entries:
            if fields:
                await self._handle_raw(entry_id, fields)
                handled += 1
        return handled

    async def _handle_raw(self, entry_id: str, fields: Mapping[bytes, bytes]) -> None:
        try:
            entry = open_entry(self._cipher, self._group.stream, entry_id, fields)
        except (DecryptionError, KeyError, ValueError, TypeError):
            # Unreadable here will be unreadable on every retry: log (ids only) and move on.
            log.error("outbox entry unreadable for reminders", extra={"entry": str(entry_id)})
        else:
            try:
                await self.handle(entry)
            except TRANSIENT_ERRORS:
                raise  # stays pending; reclaimed after a minute
            except Exception:
                log.exception("reminder intake failed", extra={"entry": entry.entry_id})
        await self._group.ack([entry_id])

    async def handle(self, entry: OutboxEntry) -> None:
        event, contact = entry.event, entry.contact
        if isinstance(event, ErasureRequested):
            await self.planner.forget(contact)
            return
        if await self.planner.conversations.address_of(contact) is None:
            return  # erased (an event read after the erasure) or never saved: keep nothing
        if isinstance(event, ReminderRequested):
            await self._requested(entry, event)
        elif isinstance(event, ReminderReplied):
            await self._replied(contact, event)
        elif isinstance(event, RemindersListRequested | ReminderCancelRequested):
            await self._list_reply(entry, event)
            return
        elif (
            (
                isinstance(event, AnswerChanged)
                and event.section == "onboarding"
                and event.key in SCHEDULE_ANSWERS
            )
            or (isinstance(event, SectionCompleted) and event.section == "onboarding")
            or (isinstance(event, OptedIn))
        ):
            await self.planner.resync(contact)
            return
        if await self._due_for_sync(contact):
            await self.planner.sync_offers(contact)

    async def _requested(self, entry: OutboxEntry, event: ReminderRequested) -> None:
        appointment = appointment_from_request(
            entry.entry_id, entry.contact, event.answers, self.planner.clock()
        )
        if appointment is None:
            log.warning("reminder request incomplete", extra={"entry": entry.entry_id})
            return
        await self.planner.add(appointment)
        log.info(
            "appointment added",
            extra={"event": "appointment_added", "contact": entry.contact, "id": appointment.id},
        )

    async def _list_reply(
        self, entry: OutboxEntry, event: RemindersListRequested | ReminderCancelRequested
    ) -> None:
        """Answer once per entry, even when the entry is delivered again."""
        if not await self.planner.store.claim_reply(entry.contact, entry.entry_id):
            return
        if isinstance(event, ReminderCancelRequested):
            outcome = await self.replies.cancel(entry.contact, event.number, entry.entry_id)
        else:
            outcome = await self.replies.send_list(entry.contact, entry.entry_id)
        log.info(
            "reminders list %s",
            outcome,
            extra={"event": "reminders_list", "entry": entry.entry_id, "outcome": outcome},
        )

    async def _replied(self, contact: str, event: ReminderReplied) -> None:
        if event.action == "on":
            await self.planner.resync(contact)
            return
        status = REPLY_STATUS.get(event.action)
        if status is None or event.reminder_id is None:
            return  # "off" needs nothing here: the dispatcher reads plan.prefs
        appointment = await self.planner.store.get(contact, event.reminder_id)
        if appointment is not None and appointment.status != "cancelled":
            await self.planner.store.put(appointment.with_status(status))

    async def _due_for_sync(self, contact: str) -> bool:
        return await self.planner.store.first_within(contact, RESYNC_EVERY_S)
