"""Twilio's webhooks: inbound messages (answered with TwiML) and delivery status callbacks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

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


@router.post("/status", status_code=204, response_class=Response)
async def delivery_status(form: SignedForm, sms: SmsDep, now: NowDep) -> Response:
    """Twilio's status callback for texts we sent."""
    await sms.status(form, now)
    return Response(status_code=204)
