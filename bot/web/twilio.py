"""Twilio's webhooks: inbound messages (answered with TwiML) and delivery status callbacks.

The inbound route is the hot path: no FastAPI dependencies, the form body parsed once with
parse_qsl, the signature checked with the SDK's RequestValidator, then the service. Another
channel on the same webhook (WhatsApp) adds its own branch after `signed_params`.

It is served by a plain Starlette route (`inbound_route`, put first by create_app): FastAPI's
route machinery (its request handler, dependency solving, the included router's wrappers)
cost ~100 us of CPU per text, more than the engine's step. The app's middleware and error
handlers wrap it as before; the FastAPI route below stays for the OpenAPI description.
"""

from __future__ import annotations

from typing import Annotated, cast
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Request, Response
from starlette.routing import Route

from bot.channels.twilio_sms import StatusReport, TwilioSms
from bot.reminders.reach import Reach
from bot.reminders.wiring import Reminders
from bot.web.deps import NowDep, Runtime, SmsDep

router = APIRouter(prefix="/twilio", tags=["twilio"])

TWIML = "application/xml"
FORM = "application/x-www-form-urlencoded"


def parse_form(text: str) -> dict[str, str]:
    """dict(parse_qsl(text, keep_blank_values=True)), in a third of the time (13 fields: 29 ->
    ~9 us): only names and values holding "+" or "%" go through unquote."""
    fields: dict[str, str] = {}
    for pair in text.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "+" in name or "%" in name:
            name = unquote(name.replace("+", " "))
        if "+" in value or "%" in value:
            value = unquote(value.replace("+", " "))
        fields[name] = value
    return fields


async def form_params(request: Request) -> dict[str, str]:
    """The posted form's fields (the last value of a repeated name, as Starlette's form)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(FORM):
        body = await request.body()
        return parse_form(body.decode("latin-1"))
    if content_type.startswith("multipart/form-data"):
        async with request.form() as form:  # closes the uploaded files' spooled copies
            return {key: value for key, value in form.items() if isinstance(value, str)}
    return {}


async def signed_params(request: Request, sms: TwilioSms) -> dict[str, str]:
    """The form Twilio posted, once its X-Twilio-Signature checks out (else BadSignature)."""
    params = await form_params(request)
    # From the scope: request.url builds a whole URL object (~8 us) for these two.
    scope = request.scope
    query = scope["query_string"].decode("utf-8", "replace")  # as request.url, never a 500
    sms.verify(scope["path"], query, params, request.headers.get("X-Twilio-Signature"))
    return params


async def signed_form(request: Request, sms: SmsDep) -> dict[str, str]:
    return await signed_params(request, sms)


SignedForm = Annotated[dict[str, str], Depends(signed_form)]


@router.post("/sms", response_class=Response, responses={200: {"content": {TWIML: {}}}})
async def inbound_sms(request: Request) -> Response:
    """Twilio's inbound-message webhook: one <Message> per reply."""
    runtime = cast(Runtime, request.app.state.runtime)
    params = await signed_params(request, runtime.sms)
    return Response(await runtime.sms.inbound(params, runtime.clock()), media_type=TWIML)


def inbound_route() -> Route:
    """POST /twilio/sms as a plain Starlette route, to go before every FastAPI route."""
    return Route("/twilio/sms", inbound_sms, methods=["POST"], include_in_schema=False)


async def reach_of(request: Request) -> Reach | None:
    """The reminders' delivery watch, or None before the reminders subsystem runs."""
    runtime = getattr(request.app.state, "runtime", None)
    reminders = runtime.reminders if runtime is not None else None
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
