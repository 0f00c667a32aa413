"""What routes may ask for: the running app's parts, as named dependency types."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from bot.careteam.wiring import CareTeam
from bot.channels.outbound import Sender
from bot.channels.twilio_sms import TwilioSms
from bot.channels.webchat import WebChat
from bot.dashboard.wiring import Dashboard
from bot.observability import Metrics
from bot.reminders.wiring import Reminders
from bot.service import Service
from bot.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Runtime:
    """Everything built at start-up that requests use, built once by the composition root
    (app.py's lifespan); lives on app.state.runtime, the only thing on app.state."""

    settings: Settings
    service: Service
    sms: TwilioSms
    chat: WebChat
    sender: Sender
    metrics: Metrics
    templates: Jinja2Templates
    redis_description: str
    careteam: CareTeam
    reminders: Reminders
    dashboard: Dashboard
    clock: Callable[[], datetime] = field(default=utc_now)


# Dependencies are `async def` on purpose: FastAPI runs plain `def` ones in a thread pool,
# a thread hop per request for what is an attribute lookup.


def _runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


async def get_runtime(request: Request) -> Runtime:
    return _runtime(request)


async def get_sms(request: Request) -> TwilioSms:
    return _runtime(request).sms


async def get_chat(request: Request) -> WebChat:
    return _runtime(request).chat


async def get_service(request: Request) -> Service:
    return _runtime(request).service


async def get_now(request: Request) -> datetime:
    return _runtime(request).clock()


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SmsDep = Annotated[TwilioSms, Depends(get_sms)]
ChatDep = Annotated[WebChat, Depends(get_chat)]
ServiceDep = Annotated[Service, Depends(get_service)]
NowDep = Annotated[datetime, Depends(get_now)]
