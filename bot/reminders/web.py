"""Care-team API for appointments: `POST /api/v1/plans/{plan_id}/appointments`."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from bot.reminders.intake import InvalidAppointment, UnknownPlan, add_appointment
from bot.reminders.wiring import Reminders

router = APIRouter(prefix="/api/v1", tags=["care team"])
_bearer = HTTPBearer(auto_error=False, description="Care-team API token")

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


async def care_team(
    reminders: RemindersDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Placeholder auth: any token in CARE_API_TOKENS. The care-team directory (its own
    issue) replaces this with per-member tokens, roles and consent checks."""
    offered = credentials.credentials.encode() if credentials else b""
    # compare_digest on every token: timing does not reveal which one (nearly) matched.
    matched = False
    for token in reminders.config.api_tokens:
        matched |= hmac.compare_digest(offered, token.encode())
    if not offered or not matched:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid bearer token is needed",
            headers={"WWW-Authenticate": "Bearer"},
        )


@router.post(
    "/plans/{plan_id}/appointments",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(care_team)],
    responses={404: {"description": "no such plan"}, 422: {"description": "not schedulable"}},
)
async def create_appointment(
    plan_id: str,
    body: AppointmentIn,
    reminders: RemindersDep,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> AppointmentOut:
    """Add an appointment to a parent's plan and schedule its reminders.

    `plan_id` is the contact id without braces (`c:<32 hex>`). Send an `Idempotency-Key`
    header to make a retried request replace, not duplicate, the appointment.
    """
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
