"""WhatsApp on the signed Twilio webhook: a whole plan, accents kept, and one contact for a
parent on SMS and WhatsApp only after a code texted to the SMS number comes back."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from bot.settings import Settings
from tests.clock import NOW
from tests.fakes.twilio_server import FakeTwilio
from tests.waiting import eventually
from tests.web.conftest import (
    KeySpace,
    inbound_params,
    make_settings,
    new_phone,
    post_signed,
    running_app,
    runtime_of,
    store_of,
    text,
    twiml_messages,
)
from tests.web.test_whole_plan import MAX_TURNS, SORRY, next_text

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]


def whatsapp_params(phone: str, body: str) -> dict[str, str]:
    """The form Twilio posts for an inbound WhatsApp message (no SMS geography fields)."""
    params = inbound_params(f"whatsapp:{phone}", body)
    for name in ("ToCountry", "ToState", "ToCity", "ToZip", "FromZip", "FromState", "FromCity"):
        params.pop(name)
    params["To"] = f"whatsapp:{params['To']}"
    params["ProfileName"] = "Sam"
    params["WaId"] = phone.removeprefix("+")
    params["MessageType"] = "text"
    return params


async def whatsapp(client: httpx.AsyncClient, phone: str, body: str) -> list[str]:
    response = await post_signed(client, "/twilio/sms", whatsapp_params(phone, body))
    assert response.status_code == 200, response.text
    return twiml_messages(response.text)


@pytest.fixture
def settings(tmp_path: Path, fake_twilio: FakeTwilio) -> Settings:
    return make_settings(
        tmp_path,
        flood_texts_per_contact=10_000,
        sms_plain_letters=True,
        twilio_api_base_url=fake_twilio.base_url,
    )


@pytest.fixture
async def app(settings: Settings, keyspace: KeySpace) -> AsyncIterator[FastAPI]:
    async with running_app(settings, keyspace, clock=lambda: NOW) as application:
        yield application


async def test_a_whole_plan_over_whatsapp(client: httpx.AsyncClient, app: FastAPI) -> None:
    """Consent, onboarding and every section over WhatsApp, answered in TwiML."""
    engine = runtime_of(app).service.engine
    store = store_of(app)
    phone = new_phone()
    address = f"whatsapp:{phone}"
    sections = [f.id for f in engine.flows.sections]
    replies = await whatsapp(client, phone, "Hi")
    # What SMS sends as several texts comes as one WhatsApp message, in order.
    assert len(replies) == 1
    assert replies[0].startswith("Hi! This is Safe Start.")
    assert replies[0].endswith("Send LINK here to keep one plan.")
    replies = await whatsapp(client, phone, "yes")
    for _ in range(MAX_TURNS):
        session = await store.load(address)
        assert session is not None
        if all(session.plan.is_done(s) for s in sections):
            break
        tz = ZoneInfo(session.timezone or "America/New_York")
        message = next_text(engine, session, replies[-1], NOW.astimezone(tz).date())
        replies = await whatsapp(client, phone, message)
        assert replies, f"no reply to {message!r}"
        assert not any(SORRY in r for r in replies), (message, replies)
    else:
        raise AssertionError(f"plan not finished after {MAX_TURNS} texts")
    assert "Every part of your Plan of Safe Care is done" in replies[-1]
    assert await store.load(phone) is None  # no SMS contact was made up from the number


async def test_whatsapp_keeps_accents_sms_folds_them(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """With SMS_PLAIN_LETTERS, SMS replies lose their accents; WhatsApp replies keep them."""
    phone = new_phone()
    assert any("í" in r or "ó" in r or "ñ" in r for r in await whatsapp(client, phone, "Hola"))
    assert not any("í" in r or "ó" in r for r in await text(client, new_phone(), "Hola"))


async def test_one_contact_after_a_code_from_the_sms_number(
    client: httpx.AsyncClient, app: FastAPI, twilio: FakeTwilio
) -> None:
    """LINK on WhatsApp texts a code to the SMS number; replied in WhatsApp, the chat
    continues the SMS plan. The number alone merges nothing; a wrong code neither."""
    store = store_of(app)
    phone = new_phone()
    await text(client, phone, "Hi")
    await text(client, phone, "yes")
    await text(client, phone, "Sam")  # the SMS plan knows the name
    sms_session = await store.load(phone)
    assert sms_session is not None
    assert sms_session.plan.answers["onboarding"]["name"] == "Sam"

    # A first WhatsApp message from the same number is a new chat, not the SMS plan.
    first = await whatsapp(client, phone, "Hi")
    assert first[0].startswith("Hi! This is Safe Start.")
    assert (await store.load(phone)) == sms_session

    replies = await whatsapp(client, phone, "LINK")
    assert replies == [
        "We texted a 6-digit code to this number by SMS. Reply with the code here to keep "
        "one plan on both."
    ]

    async def code_texted() -> bool:
        return any(m.to == phone for m in twilio.messages)

    await eventually(code_texted, what="the code texted to the SMS number")
    body = next(m.body for m in twilio.messages if m.to == phone) or ""
    code = re.search(r"\b(\d{6})\b", body)
    assert code is not None
    assert "Safe Start code" in body

    wrong = "000000" if code.group(1) != "000000" else "111111"
    assert (await whatsapp(client, phone, wrong))[0].startswith("That code doesn't match")
    done = await whatsapp(client, phone, code.group(1))
    assert done == ["Done: this chat now continues your plan. Text MENU to see it."]

    # From now on WhatsApp answers the SMS plan's next question.
    assert sms_session.step is not None
    replies = await whatsapp(client, phone, "1")
    assert replies
    after = await store.load(phone)
    assert after is not None
    assert after.plan.answers["onboarding"]["name"] == "Sam"
    assert after.step != sms_session.step  # the SMS contact moved on, not the chat's own

    # The parent writes on WhatsApp now: texts for the contact go there while its window is
    # open (they may have no phone plan); a 63016 there falls back to the consented SMS.
    router = runtime_of(app).sender
    await router.send(phone, "Hi, this is Ana from your care team.")
    await eventually(lambda: _sent_to(twilio, f"whatsapp:{phone}"), what="texted on WhatsApp")
    [on_whatsapp] = [m for m in twilio.messages if m.to == f"whatsapp:{phone}"]
    assert on_whatsapp.body == "Hi, this is Ana from your care team."
    params = twilio.status_params(on_whatsapp, "undelivered", "63016")
    assert (await post_signed(client, "/twilio/status", params)).status_code == 204
    by_sms = [m.body for m in twilio.messages if m.to == phone]
    assert by_sms[-1] == "Hi, this is Ana from your care team."


async def _sent_to(twilio: FakeTwilio, address: str) -> bool:
    return any(m.to == address for m in twilio.messages)


async def test_link_without_an_sms_plan_texts_nothing(
    client: httpx.AsyncClient, app: FastAPI, twilio: FakeTwilio
) -> None:
    """No SMS conversation with this number: no code is texted to it."""
    phone = new_phone()
    await whatsapp(client, phone, "Hi")
    replies = await whatsapp(client, phone, "LINK")
    assert replies[0].startswith("We have no plan for this number")
    await runtime_of(app).sms.whatsapp.settle()  # type: ignore[union-attr]
    assert not [m for m in twilio.messages if m.to == phone]
