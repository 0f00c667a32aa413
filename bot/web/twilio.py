"""Twilio's webhooks: inbound messages (answered with TwiML) and delivery status callbacks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from bot.channels.twilio_sms import StatusReport
from bot.reminders.reach import Reach
from bot.reminders.wiring import Reminders
from bot.web.deps import NowDep, SmsDep

router = APIRouter(prefix="/twilio", tags=["twilio"])

TWIML = "application/xml"


async def signed_form(request: Request, sms: SmsDep) -> dict[str, str]:
    """The form Twilio posted, once its X-Twilio-Signature checks out (else BadSignature)."""
    form = await request.form()
    params = {key: value for key, value in form.items() if isinstance(value, str)}
    sms.verify(
        request.url.path, request.url.query, params, request.headers.get("X-Twilio-Signature")
    )
    return params


SignedForm = Annotated[dict[str, str], Depends(signed_form)]


@router.post("/sms", response_class=Response, responses={200: {"content": {TWIML: {}}}})
async def inbound_sms(form: SignedForm, sms: SmsDep, now: NowDep) -> Response:
    """Twilio's inbound-message webhook: one <Message> per reply."""
    return Response(await sms.inbound(form, now), media_type=TWIML)


async def reach_of(request: Request) -> Reach | None:
    """The reminders' delivery watch, or None before the reminders subsystem runs."""
    reminders = getattr(request.app.state, "reminders", None)
    return reminders.reach if isinstance(reminders, Reminders) else None


@router.post("/status", status_code=204, response_class=Response)
async def delivery_status(
    form: SignedForm,
    sms: SmsDep,
    now: NowDep,
    reach: Annotated[Reach | None, Depends(reach_of)],
) -> Response:
    """Twilio's status callback for texts we sent (reminders, replies, care-team texts):
    recorded, and failed / delivered counted toward the care team's "can't reach" flag."""
    await sms.status(form, now)
    if reach is not None:
        report = StatusReport.from_form(form)
        await reach.delivery_status(report.recipient, report.message_sid, report.status, now)
    return Response(status_code=204)
