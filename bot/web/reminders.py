"""Care-team API for appointments: `POST /api/v1/plans/{plan_id}/appointments`.

Authenticated like the plan API (bot/web/careteam_plans.py): a bearer token from the care-team
directory, owned by a member or an endpoint, and allowed only for plans that consented
something to its owner's role at its organization. Treatment, recovery-meeting and
medication-pickup appointments are Part 2 information: they need the parent's recovery
consent for that role and organization, as on the dashboard (403 otherwise).

`plan_id` is the 32-hex id of every other API. The old `c:<hex>` form is still read during
the transition; answers always carry the hex form.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field

from bot.careteam.consent import PART2_SECTION
from bot.careteam.directory import Principal
from bot.careteam.entries import AuditEntry
from bot.careteam.payload import contact_of, plan_id_of
from bot.careteam.reader import PlanReader
from bot.careteam.recipients import permits_for
from bot.reminders.intake import InvalidAppointment, UnknownPlan, add_appointment
from bot.reminders.rules import PART2_KINDS, Kind
from bot.reminders.wiring import Reminders
from bot.web.careteam_deps import PrincipalDep, ReaderDep

router = APIRouter(prefix="/api/v1", tags=["care team"])


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
    runtime = getattr(request.app.state, "runtime", None)
    reminders = runtime.reminders if runtime is not None else None
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


async def may_add_part2(reader: PlanReader, who: Principal, contact: str, now: dt.datetime) -> bool:
    """Treatment-kind appointments: only for a recipient the recovery consent names."""
    state = await reader.records.latest_consent(contact)
    return bool(permits_for(PART2_SECTION, state, who.roles, who.organization, now))


def plan_contact(plan_id: str) -> str | None:
    """The contact id behind the API's plan id (hex; `c:<hex>` still read for a transition)."""
    return contact_of(plan_id.removeprefix("c:"))


async def _deny(
    reader: PlanReader, who: Principal, now: dt.datetime, why: str, code: int = 404
) -> HTTPException:
    """Logged like a plan read that found nothing; the same 404 whether the plan exists.
    A recovery-consent refusal is a 403: the caller may add other kinds to this plan."""
    entry = AuditEntry(now, who.id, who.organization, "deny", "appointment.add", why)
    await reader.records.audit_access(entry)
    detail = "no such plan" if code == status.HTTP_404_NOT_FOUND else why
    return HTTPException(code, detail)


@router.post(
    "/plans/{plan_id}/appointments",
    status_code=status.HTTP_201_CREATED,
    responses={
        401: {"description": "no valid bearer token"},
        403: {"description": "a treatment-kind appointment without recovery (Part 2) consent"},
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
    and organization the parent consented something to; treatment, recovery-meeting and
    medication-pickup appointments need the parent's recovery (Part 2) consent for it.
    `plan_id` is the 32-hex plan id of the plan API. Send an `Idempotency-Key` header to
    make a retried request replace, not duplicate, the appointment.
    """
    now = reminders.planner.clock()
    contact = plan_contact(plan_id)
    if contact is None:
        raise await _deny(reader, who, now, "no such plan")
    if not await may_add_to(reader, who, contact, now):
        raise await _deny(reader, who, now, "no consent")
    if body.kind in PART2_KINDS and not await may_add_part2(reader, who, contact, now):
        raise await _deny(reader, who, now, "no recovery consent", status.HTTP_403_FORBIDDEN)
    try:
        appointment = await add_appointment(
            reminders.planner,
            contact[1:-1],  # the reminders intake's own form, "c:<hex>"
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
        "plan_id": plan_id_of(contact),
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
