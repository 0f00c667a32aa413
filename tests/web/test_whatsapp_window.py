"""WhatsApp's 24-hour window: free-form inside it, an approved template (ContentSid) outside
it with the real text held until the parent answers, and 63016 / 63032 as "can't reach this
way" (SMS only where the parent said SMS OK)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import time, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.channels.outbound import CannotReach, ChannelRouter
from bot.engine.events import Event
from bot.engine.session import Session
from bot.reminders.store import Appointment
from bot.reminders.wiring import Reminders
from bot.scheduling.firing import Firer
from bot.store.client import client_for_url
from bot.store.reminder_jobs_redis import RedisDueLog
from tests.clock import NOW, MovableClock
from tests.fakes.twilio_server import FakeTwilio, SentMessage
from tests.waiting import eventually
from tests.web.conftest import (
    FROM_NUMBER,
    REDIS_URL,
    KeySpace,
    make_settings,
    new_phone,
    post_signed,
    running_app,
    runtime_of,
    store_of,
)
from tests.web.test_whatsapp import whatsapp

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]

REMINDER_SID = "HX" + "1" * 32
REMINDER_ES_SID = "HX" + "2" * 32
MESSAGE_SID = "HX" + "3" * 32
REMINDER = "Reminder: your visit is tomorrow at 10:00 AM."


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
async def app(
    twilio: FakeTwilio,
    tmp_path: Path,
    keyspace: KeySpace,
    clock: MovableClock,
) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        tmp_path,
        twilio_api_base_url=twilio.base_url,
        reminders_send_rate=1000,  # no pacing between the test's texts
        whatsapp_content_sids={
            "reminder": REMINDER_SID,
            "reminder:es": REMINDER_ES_SID,
            "message": MESSAGE_SID,
        },
    )
    async with running_app(settings, keyspace, clock=clock) as application:
        yield application


@pytest.fixture
async def parent(app: FastAPI) -> AsyncIterator[str]:
    """A parent on WhatsApp only, who agreed to texts (earlier than the test's window)."""
    phone = new_phone()

    def enrol(session: Session) -> tuple[Session, list[str], list[Event]]:
        session.status = "active"
        return session, [], []

    await store_of(app).transact(f"whatsapp:{phone}", None, enrol)
    yield phone
    reminders = app.state.runtime.reminders
    assert isinstance(reminders, Reminders)
    await reminders.planner.forget(store_of(app).keys_for(f"whatsapp:{phone}").contact)


async def remind(app: FastAPI, twilio: FakeTwilio, address: str) -> SentMessage:
    """A reminder through the reminders' own sender (the path the dispatcher uses)."""
    before = len(twilio.messages)
    await app.state.runtime.reminders.sender.send(address, REMINDER)
    return twilio.wait_for(before + 1)[-1]


def router_of(app: FastAPI) -> ChannelRouter:
    router = runtime_of(app).sender
    assert isinstance(router, ChannelRouter)
    return router


async def test_a_reminder_outside_the_window_is_the_reminder_template(
    app: FastAPI, client: httpx.AsyncClient, twilio: FakeTwilio, parent: str
) -> None:
    """No message from the parent in 24 hours: ContentSid + ContentVariables, no Body; the
    reminder itself comes with the answer to the parent's reply."""
    sent = await remind(app, twilio, f"whatsapp:{parent}")
    assert sent.to == f"whatsapp:{parent}"
    assert sent.get("From") == f"whatsapp:{FROM_NUMBER}"
    assert sent.content_sid == REMINDER_SID
    assert sent.content_variables == {"1": "Safe Start"}
    assert sent.body is None
    [reply] = await whatsapp(client, parent, "ok")  # one WhatsApp message, held text first
    assert reply.split("\n\n")[0] == REMINDER


async def test_inside_the_window_texts_go_as_they_are(
    app: FastAPI, client: httpx.AsyncClient, twilio: FakeTwilio, parent: str, clock: MovableClock
) -> None:
    """The parent wrote 23 hours ago: free-form Body; 25 hours: the template again."""
    await whatsapp(client, parent, "menu")
    clock.advance(timedelta(hours=23))
    sent = await remind(app, twilio, f"whatsapp:{parent}")
    assert sent.body == REMINDER
    assert sent.content_sid is None
    clock.advance(timedelta(hours=2))
    assert (await remind(app, twilio, f"whatsapp:{parent}")).content_sid == REMINDER_SID


async def test_the_template_follows_the_parents_language(
    app: FastAPI, twilio: FakeTwilio, parent: str
) -> None:
    """`reminder:es` for a Spanish-speaking parent; a team member's text is `message`."""

    def spanish(session: Session) -> tuple[Session, list[str], list[Event]]:
        session.locale = "es"
        return session, [], []

    await store_of(app).transact(f"whatsapp:{parent}", None, spanish)
    assert (await remind(app, twilio, f"whatsapp:{parent}")).content_sid == REMINDER_ES_SID
    await router_of(app).send(f"whatsapp:{parent}", "Hola, soy Ana del hospital.")
    assert twilio.messages[-1].content_sid == MESSAGE_SID


async def test_63016_marks_the_chat_and_falls_back_to_sms_only_if_allowed(
    app: FastAPI, client: httpx.AsyncClient, twilio: FakeTwilio, parent: str
) -> None:
    """A failed WhatsApp text (63016): marked; without SMS OK nothing goes by SMS and the
    next text cannot go either; after SMS OK the next failure's text is texted by SMS."""
    address = f"whatsapp:{parent}"
    await whatsapp(client, parent, "menu")
    sent = await remind(app, twilio, address)
    params = twilio.status_params(sent, "undelivered", "63016")
    assert (await post_signed(client, "/twilio/status", params)).status_code == 204
    assert [m for m in twilio.messages if m.to == parent] == []
    with pytest.raises(CannotReach):
        await router_of(app).send(address, "Hello again")

    assert (await whatsapp(client, parent, "SMS OK"))[0].startswith("OK: if WhatsApp can't")
    sent = await remind(app, twilio, address)  # the chat wrote: reachable again
    assert sent.to == address
    params = twilio.status_params(sent, "failed", "63032")
    assert (await post_signed(client, "/twilio/status", params)).status_code == 204
    by_sms = [m for m in twilio.messages if m.to == parent]
    assert [m.body for m in by_sms] == [REMINDER]
    assert by_sms[0].get("From") == FROM_NUMBER
    # Marked unreachable on WhatsApp: the next text goes straight by SMS.
    await router_of(app).send(address, "Hello again")
    assert twilio.messages[-1].to == parent
    assert (await store_of(app).deliveries(address))[sent.sid]["error_code"] == "63032"


async def test_a_failed_template_sends_its_held_texts_by_sms_where_allowed(
    app: FastAPI, client: httpx.AsyncClient, twilio: FakeTwilio, parent: str, clock: MovableClock
) -> None:
    """Outside the window the text is held behind a template; if WhatsApp refuses the
    template, the held text goes by SMS (SMS OK given) and is not shown again later."""
    await whatsapp(client, parent, "SMS OK")
    clock.advance(timedelta(hours=30))
    sent = await remind(app, twilio, f"whatsapp:{parent}")
    assert sent.content_sid == REMINDER_SID
    params = twilio.status_params(sent, "undelivered", "63016")
    assert (await post_signed(client, "/twilio/status", params)).status_code == 204
    assert [m.body for m in twilio.messages if m.to == parent] == [REMINDER]
    assert not any(REMINDER in r for r in await whatsapp(client, parent, "menu"))


def test_the_fake_refuses_what_twilio_refuses_on_whatsapp(twilio: FakeTwilio) -> None:
    """As Twilio: a WhatsApp To with an SMS From is 21910; ContentVariables without a
    ContentSid, or not a JSON object, is 21656; a ContentSid not shaped HX + 32 hex breaks
    the OpenAPI description's pattern. A well-formed template is accepted."""
    url = f"{twilio.base_url}/2010-04-01/Accounts/{twilio.account_sid}/Messages.json"
    auth = (twilio.account_sid, twilio.auth_token)
    to = f"whatsapp:{new_phone()}"
    wa_from = f"whatsapp:{FROM_NUMBER}"

    def create(**params: str) -> httpx.Response:
        return httpx.post(url, data=params, auth=auth)

    assert create(To=to, From=FROM_NUMBER, Body="hi").json()["code"] == 21910
    assert create(To=to, From=wa_from, Body="hi", ContentVariables="{}").json()["code"] == 21656
    bad_json = create(To=to, From=wa_from, ContentSid=REMINDER_SID, ContentVariables="[1]")
    assert bad_json.json()["code"] == 21656
    if twilio.schema_checked:
        assert create(To=to, From=wa_from, ContentSid="HX123").json()["code"] == 21000
    ok = create(To=to, From=wa_from, ContentSid=REMINDER_SID, ContentVariables='{"1": "x"}')
    assert ok.status_code == 201
    assert ok.json()["num_segments"] == "1"


async def test_stop_outside_the_window_is_answered_with_its_confirmation_only(
    app: FastAPI, client: httpx.AsyncClient, twilio: FakeTwilio, parent: str
) -> None:
    """A reminder held behind its template is not shown to a parent whose reply is STOP."""
    await remind(app, twilio, f"whatsapp:{parent}")
    [reply] = await whatsapp(client, parent, "STOP")
    assert REMINDER not in reply


async def test_a_scheduled_reminder_coming_due_goes_as_the_template(
    app: FastAPI, twilio: FakeTwilio, parent: str, clock: MovableClock
) -> None:
    """An appointment's day-before reminder, fired by the scheduler's own job and sent by
    the app's dispatcher, reaches a WhatsApp parent outside the window as the template."""
    reminders = app.state.runtime.reminders
    assert isinstance(reminders, Reminders)
    address = f"whatsapp:{parent}"
    contact = store_of(app).keys_for(address).contact
    day = (NOW + timedelta(days=5)).date()
    specs = await reminders.planner.add(
        Appointment(id="a1", contact=contact, kind="treatment", day=day, at=time(14, 0))
    )
    due = next(s for s in specs if s.job_id.endswith(":day_before"))
    clock.at = due.send_at
    redis = client_for_url(REDIS_URL)  # what the scheduler's job does, on its own client
    try:
        firer = Firer(RedisDueLog(redis, reminders.scheduler.keys))
        assert await firer.fire(due.job_id, due.occurrence.isoformat(), due.send_at.isoformat())
    finally:
        await redis.aclose()

    async def sent() -> bool:
        return any(m.to == address for m in twilio.messages)

    await eventually(sent, what="the reminder sent by the dispatcher")
    [message] = [m for m in twilio.messages if m.to == address]
    assert message.content_sid == REMINDER_SID
    assert message.body is None
