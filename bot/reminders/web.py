"""Care-team API for appointments: `POST /api/v1/plans/{plan_id}/appointments`.

Authenticated like the plan API (bot/careteam/api.py): a bearer token from the care-team
directory, owned by a member or an endpoint, and allowed only for plans that consented
something to its owner's role at its organization.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field

from bot.careteam.deps import PrincipalDep, ReaderDep
from bot.careteam.directory import Principal
from bot.careteam.reader import PlanReader
from bot.careteam.records import AuditEntry
from bot.reminders.intake import InvalidAppointment, UnknownPlan, add_appointment, contact_of
from bot.reminders.wiring import Reminders

router = APIRouter(prefix="/api/v1", tags=["care team"])

Kind = Literal[
    "prenatal_visit",
    "postpartum_visit",
    "baby_checkup",
    "treatment",
    "recovery_meeting",
    "medication_pickup",
    "wic",
    "other",
]


class AppointmentIn(BaseModel):
    """An appointment at a wall time in the parent's own timezone (from their ZIP code)."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    date: dt.date
    time: dt.time
    repeat: Literal["once", "weekly"] = "once"
    place: str | None = Field(default=None, max_length=80)
    until: dt.date | None = None


class ReminderOut(BaseModel):
    lead: str
    send_at: dt.datetime


class AppointmentOut(BaseModel):
    id: str
    plan_id: str
    kind: str
    date: dt.date
    time: dt.time
    repeat: str
    status: str
    reminders: list[ReminderOut]


async def get_reminders(request: Request) -> Reminders:
    reminders = getattr(request.app.state, "reminders", None)
    if not isinstance(reminders, Reminders):
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "reminders are not running")
    return reminders


RemindersDep = Annotated[Reminders, Depends(get_reminders)]


async def may_add_to(reader: PlanReader, who: Principal, contact: str, now: dt.datetime) -> bool:
    """A member (or endpoint) may add appointments only to a plan whose parent consented
    something to one of its roles at its organization (any section, still active)."""
    state = await reader.records.latest_consent(contact)
    return any(
        r.role in who.roles and who.organization in r.organizations
        for r in state.active_records(now)
    )


async def _deny(reader: PlanReader, who: Principal, now: dt.datetime, why: str) -> HTTPException:
    """Logged like a plan read that found nothing; the same 404 whether the plan exists."""
    entry = AuditEntry(now, who.id, who.organization, "deny", "appointment.add", why)
    await reader.records.audit_access(entry)
    return HTTPException(status.HTTP_404_NOT_FOUND, "no such plan")


@router.post(
    "/plans/{plan_id}/appointments",
    status_code=status.HTTP_201_CREATED,
    responses={
        401: {"description": "no valid bearer token"},
        404: {"description": "no such plan, or nothing of it consented to you"},
        422: {"description": "not schedulable"},
    },
)
async def create_appointment(
    plan_id: str,
    body: AppointmentIn,
    reminders: RemindersDep,
    who: PrincipalDep,
    reader: ReaderDep,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> AppointmentOut:
    """Add an appointment to a parent's plan and schedule its reminders.

    Needs a care-team directory token (`Authorization: Bearer sst_...`) whose owner's role
    and organization the parent consented something to. `plan_id` is the contact id without
    braces (`c:<32 hex>`). Send an `Idempotency-Key` header to make a retried request
    replace, not duplicate, the appointment.
    """
    now = reminders.planner.clock()
    try:
        contact = contact_of(plan_id)
    except UnknownPlan:
        raise await _deny(reader, who, now, "no such plan") from None
    if not await may_add_to(reader, who, contact, now):
        raise await _deny(reader, who, now, "no consent")
    try:
        appointment = await add_appointment(
            reminders.planner,
            plan_id,
            kind=body.kind,
            day=body.date,
            at=body.time,
            repeat=body.repeat,
            place=body.place,
            until=body.until,
            source="care_team",
            request_id=idempotency_key,
        )
    except UnknownPlan:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such plan") from None
    except InvalidAppointment as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    prof = await reminders.planner.profile_of(appointment.contact)
    specs = reminders.planner.specs_for(appointment, prof, reminders.planner.clock())
    out: dict[str, Any] = {
        "id": appointment.id,
        "plan_id": plan_id,
        "kind": appointment.kind,
        "date": appointment.day,
        "time": appointment.at,
        "repeat": appointment.repeat,
        "status": appointment.status,
        "reminders": [
            ReminderOut(lead=s.job_id.rsplit(":", 1)[1], send_at=s.send_at) for s in specs
        ],
    }
    return AppointmentOut(**out)
