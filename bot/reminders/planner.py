"""Turns appointments and the plan's dates into scheduled jobs, and keeps them in step."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bot.engine.session import Session
from bot.reminders.milestones import next_offers, offer_send_time, standard_schedule
from bot.reminders.prefs import Profile, profile
from bot.reminders.rules import OFFER_GRACE, OFFER_LEAD, Timing, next_sends, wall
from bot.reminders.store import Appointment, Offer, ReminderStore, is_offer_item
from bot.scheduling.scheduler import JobSpec, Scheduler
from bot.store.base import Apply, Outcome
from bot.store.keys import ContactKeys
from bot.store.keys.reminders import job_id, parse_job_id
from bot.store.reminder_records import LEGACY_OFFER_ITEM

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class Conversations(Protocol):
    """What reminders use of the conversation store (RedisConversationStore has it)."""

    async def load(self, address: str) -> Session | None: ...

    async def address_of(self, contact: str) -> str | None: ...

    def keys_for(self, address: str) -> ContactKeys: ...

    async def transact(self, address: str, message_id: str | None, apply: Apply) -> Outcome: ...


@dataclass(frozen=True, slots=True)
class Upcoming:
    """One line of the parent's REMINDERS list."""

    appointment: Appointment
    starts: datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def began(appointment: Appointment) -> datetime:
    """When the appointment was added: its sends from then on went (or go), so a re-plan
    counts them when it leaves out one too close to another (min_gap). A record without
    the time is older than any send it could have."""
    if not appointment.created_at:
        return datetime.min.replace(tzinfo=UTC)
    return datetime.fromisoformat(appointment.created_at)


class Planner:
    """The one place that decides which jobs exist for a contact."""

    def __init__(
        self,
        store: ReminderStore,
        scheduler: Scheduler,
        conversations: Conversations,
        *,
        timing: Timing | None = None,
        default_timezone: str = "America/New_York",
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.scheduler = scheduler
        self.conversations = conversations
        self.timing = timing or Timing()
        self.default_timezone = default_timezone
        self.clock = clock

    async def profile_of(self, contact: str) -> Profile:
        address = await self.conversations.address_of(contact)
        session = await self.conversations.load(address) if address else None
        return profile(session, self.default_timezone)

    # ---- appointments ------------------------------------------------------------------

    async def add(self, appointment: Appointment, prof: Profile | None = None) -> list[JobSpec]:
        """Store an appointment (new or changed) and schedule its reminders."""
        await self.store.put(appointment)
        prof = prof or await self.profile_of(appointment.contact)
        return await self._plan(appointment, prof)

    def specs_for(self, appointment: Appointment, prof: Profile, now: datetime) -> list[JobSpec]:
        """The jobs an appointment needs from `now` on: one per lead, the next send each."""
        if appointment.status == "cancelled":
            return []
        sends = next_sends(
            appointment.starts(prof.tz, after=now),
            appointment.kind,
            prof.tz,
            now,
            self.timing,
            best_time=prof.best_time,
            key=f"{appointment.contact}:{appointment.id}",
            since=began(appointment),
        )
        return [
            JobSpec(
                job_id(appointment.contact, appointment.id, s.lead),
                s.send_at,
                s.occurrence,
                s.grace,
            )
            for s in sends
        ]

    async def _plan(
        self, appointment: Appointment, prof: Profile, *, only_lead: str | None = None
    ) -> list[JobSpec]:
        now = self.clock()
        specs = self.specs_for(appointment, prof, now)
        if only_lead is not None:
            specs = [s for s in specs if parse_job_id(s.job_id)[2] == only_lead]
        else:
            leads = self.timing.rules_for(appointment.kind).leads
            every = [job_id(appointment.contact, appointment.id, lead.name) for lead in leads]
            # A job already due but not yet run keeps its place: replacing it with the next
            # occurrence, or cancelling it, would lose this one.
            due = {j for j in every if await self._is_due(j, now)}
            wanted = {s.job_id for s in specs}
            specs = [s for s in specs if s.job_id not in due]
            stale = [j for j in every if j not in wanted and j not in due]
            if stale:
                await self.scheduler.cancel(stale)
        await self.scheduler.schedule_many(specs)
        return specs

    async def _is_due(self, job: str, now: datetime) -> bool:
        planned = await self.scheduler.planned(job)
        return planned is not None and planned <= now

    async def cancel(self, contact: str, appointment_id: str) -> Appointment | None:
        """Cancel one appointment's reminders (kept, marked cancelled, for the care team)."""
        appointment = await self.store.get(contact, appointment_id)
        if appointment is None:
            return None
        cancelled = appointment.with_status("cancelled")
        await self.store.put(cancelled)
        leads = self.timing.rules_for(appointment.kind).leads
        await self.scheduler.cancel([job_id(contact, appointment_id, lead.name) for lead in leads])
        return cancelled

    async def upcoming(self, contact: str, prof: Profile | None = None) -> list[Upcoming]:
        """What is coming, soonest first: the REMINDERS list (see replies.py)."""
        prof = prof or await self.profile_of(contact)
        now = self.clock()
        found = []
        for appointment in await self.store.appointments(contact):
            if appointment.status == "cancelled":
                continue
            start = next(appointment.starts(prof.tz, after=now), None)
            if start is not None:
                found.append(Upcoming(appointment, start))
        # Ties (two at one time) by id: the same order every time, for "cancel number n".
        return sorted(found, key=lambda u: (u.starts, u.appointment.id))

    async def forget(self, contact: str) -> None:
        """Remove every reminder entry about the contact: its records (per contact) and what
        the program-wide structures hold about it (jobs, due entries, guards). For DELETE MY
        DATA, before or after erase_contact; idempotent."""
        removed = await self.store.forget(contact)
        removed += await self.scheduler.forget(contact)
        log.info(
            "reminders forgotten",
            extra={"event": "reminders_forgot", "contact": contact, "entries": removed},
        )

    # ---- the standard schedule ---------------------------------------------------------

    async def sync_offers(self, contact: str, prof: Profile | None = None) -> list[JobSpec]:
        """Schedule the next standard-schedule offer per series from the plan's dates; a
        changed due date or birth date moves them (same job ids, replaced)."""
        prof = prof or await self.profile_of(contact)
        now = self.clock()
        schedule = standard_schedule(due_date=prof.due_date, birth_date=prof.birth_date)
        offered = await self.store.offered(contact)
        today = now.astimezone(prof.tz).date()
        chosen = next_offers(schedule, offered, today)
        planned: dict[str, JobSpec] = {}
        for milestone, catch_up in chosen:
            send_at = offer_send_time(
                milestone, catch_up, now, prof.tz, self.timing, best_time=prof.best_time
            )
            closes = wall(milestone.closes, self.timing.quiet.end, prof.tz)
            if send_at >= closes:
                continue
            offer = Offer(
                milestone.series, milestone.key, milestone.kind, milestone.closes, catch_up
            )
            await self.store.put_offer(contact, offer)
            item = self.store.offer_item(contact, milestone.series)  # one job per series
            planned[milestone.series] = JobSpec(
                job_id(contact, item, OFFER_LEAD), send_at, closes, OFFER_GRACE
            )
        stale = [job_id(contact, LEGACY_OFFER_ITEM + s, OFFER_LEAD) for s in planned]
        for series in (await self.store.offers(contact)).keys() - planned.keys():
            await self.store.remove_offer(contact, series)
            stale.append(job_id(contact, self.store.offer_item(contact, series), OFFER_LEAD))
            stale.append(job_id(contact, LEGACY_OFFER_ITEM + series, OFFER_LEAD))
        await self.scheduler.cancel(stale)
        await self.scheduler.schedule_many(list(planned.values()))
        return list(planned.values())

    # ---- keeping in step ---------------------------------------------------------------

    async def resync(self, contact: str) -> None:
        """After a change of zone, best time, due or birth date: re-plan everything."""
        prof = await self.profile_of(contact)
        for appointment in await self.store.appointments(contact):
            await self._plan(appointment, prof)
        await self.sync_offers(contact, prof)

    async def after_dispatch(self, job: str) -> None:
        """A job ran (sent, suppressed or dropped): schedule that lead's next occurrence."""
        contact, item, lead = parse_job_id(job)
        if is_offer_item(item):
            await self.sync_offers(contact)
            return
        appointment = await self.store.get(contact, item)
        if appointment is None or appointment.repeat == "once":
            return
        await self._plan(appointment, await self.profile_of(contact), only_lead=lead)

    async def on_missed(self, job: str) -> None:
        try:
            await self.after_dispatch(job)
        except Exception:  # a missed job must not take the scheduler's listener down
            log.exception("re-planning after a missed reminder failed", extra={"job": job})
