"""Appointments on the dashboard: upcoming ones with their reminders, and the add form.

Treatment, recovery-meeting and medication-pickup appointments say the parent is in
treatment, which is Part 2 information: only members who may see the recovery section see
them, or may add them.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from bot.dashboard.about import short_time
from bot.errors import SafeStartError
from bot.reminders.intake import add_appointment
from bot.reminders.planner import Planner, Upcoming
from bot.reminders.rules import KINDS, PART2_KINDS, Repeat
from bot.reminders.store import Appointment

KIND_LABELS: Mapping[str, str] = {
    "prenatal_visit": "Prenatal visit",
    "postpartum_visit": "Postpartum visit",
    "baby_checkup": "Baby check-up",
    "treatment": "Treatment visit",
    "recovery_meeting": "Recovery meeting",
    "medication_pickup": "Medication pick-up",
    "wic": "WIC visit",
    "other": "Other appointment",
}
STATUS_LABELS: Mapping[str, str] = {
    "scheduled": "Not confirmed yet",
    "confirmed": "Confirmed",
    "reschedule_requested": "Asked to reschedule",
    "ride_requested": "Asked for a ride",
    "cancelled": "Cancelled",
}
SOURCE_LABELS: Mapping[str, str] = {
    "parent": "the parent",
    "care_team": "the care team",
    "plan": "the plan's dates",
}


def kinds_for(sees_recovery: bool) -> tuple[str, ...]:
    return tuple(k for k in KINDS if sees_recovery or k not in PART2_KINDS)


def lead_label(lead: str) -> str:
    if lead == "day_before":
        return "Day before"
    if lead.endswith("h") and lead[:-1].isdigit():
        return f"{lead[:-1]} hours before"
    return lead.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class Visit:
    """One upcoming appointment as a member reads it; times in the parent's zone."""

    kind: str
    starts: datetime
    place: str | None
    status: str
    source: str
    repeat: str
    reminders: tuple[tuple[str, datetime], ...]  # (lead label, send time)

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def when(self) -> str:
        return f"{short_time(self.starts)} {self.starts.tzname()}"

    @property
    def reminder_times(self) -> list[tuple[str, str]]:
        return [(lead, f"{short_time(at)} {at.tzname()}") for lead, at in self.reminders]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)


async def upcoming_visits(
    planner: Planner, contact: str, sees_recovery: bool, now: datetime
) -> list[Visit]:
    """Soonest first, each with the reminders still to go out."""
    allowed = kinds_for(sees_recovery)
    found = [u for u in await planner.upcoming(contact) if u.appointment.kind in allowed]
    if not found:
        return []
    prof = await planner.profile_of(contact)
    visits = []
    for item in found:
        specs = planner.specs_for(item.appointment, prof, now)
        reminders = tuple(
            (lead_label(s.job_id.rsplit(":", 1)[1]), s.send_at.astimezone(prof.tz)) for s in specs
        )
        visits.append(_visit(item, prof.tz, reminders))
    return visits


def _visit(item: Upcoming, tz: tzinfo, reminders: tuple[tuple[str, datetime], ...] = ()) -> Visit:
    a = item.appointment
    starts = item.starts.astimezone(tz)
    return Visit(a.kind, starts, a.place, a.status, a.source, a.repeat, reminders)


async def next_visits(
    planner: Planner, wanted: Sequence[tuple[str, bool, tzinfo]]
) -> dict[str, Visit | None]:
    """contact -> the next appointment it may see, for one page of the plans list; `wanted`
    is (contact, may see recovery, the parent's zone)."""

    async def first(contact: str, sees_recovery: bool, tz: tzinfo) -> Visit | None:
        allowed = kinds_for(sees_recovery)
        for item in await planner.upcoming(contact):
            if item.appointment.kind in allowed:
                return _visit(item, tz)
        return None

    found = await asyncio.gather(*(first(*w) for w in wanted))
    return {w[0]: v for w, v in zip(wanted, found, strict=True)}


@dataclass(frozen=True, slots=True)
class NewVisit:
    """What the add-appointment form sends, already parsed."""

    kind: str
    day: date
    at: time
    repeat: Repeat
    place: str | None
    until: date | None
    request_id: str


class BadVisit(SafeStartError, ValueError):
    """The add-appointment form was not filled in right; the message is for the member."""


def parse_visit(form: Mapping[str, str], request_id: str, sees_recovery: bool) -> NewVisit:
    """The add-appointment form's fields (kind, day, at, repeat, place, until), checked."""
    kind = form.get("kind", "")
    if kind not in kinds_for(sees_recovery):
        raise BadVisit("Please pick what kind of appointment it is.")
    try:
        day = date.fromisoformat(form.get("day", ""))
        at = time.fromisoformat(form.get("at", ""))
        until = date.fromisoformat(form["until"]) if form.get("until") else None
    except ValueError:
        raise BadVisit("Please give the date and time of the appointment.") from None
    repeat = form.get("repeat", "once")
    if repeat not in ("once", "weekly"):
        raise BadVisit("Please pick once or weekly.")
    return NewVisit(
        kind=kind,
        day=day,
        at=at.replace(second=0, microsecond=0, tzinfo=None),
        repeat="weekly" if repeat == "weekly" else "once",
        place=form.get("place", "").strip()[:80] or None,
        until=until,
        request_id=request_id or secrets.token_urlsafe(12),
    )


async def add_visit(planner: Planner, contact: str, visit: NewVisit) -> Appointment:
    """Through the reminders intake, as the care-team API does (UnknownPlan, InvalidAppointment).

    The request id comes with the form, so a form sent twice makes one appointment.
    """
    return await add_appointment(
        planner,
        contact[1:-1],  # the reminders intake's plan id: "c:<hex>"
        kind=visit.kind,
        day=visit.day,
        at=visit.at,
        repeat=visit.repeat,
        place=visit.place,
        until=visit.until,
        source="care_team",
        request_id=visit.request_id,
    )
