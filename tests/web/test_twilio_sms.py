"""POST /twilio/sms and /twilio/status with SDK-signed requests against real Redis."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from bot.channels.twilio_sms import MEDIA_ONLY
from bot.engine.events import CrisisDetected
from tests.web.conftest import (
    FROM_NUMBER,
    KeySpace,
    hold_outbox,
    inbound_params,
    new_phone,
    new_sid,
    post_signed,
    sign,
    store_of,
    text,
    twiml_messages,
)

# Every test here shares Redis db 14 (flushed around each test): one xdist worker runs them.
pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]

CONSENT_START = "Hi! This is Safe Start."


async def test_unsigned_request_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, keyspace: KeySpace
) -> None:
    """No X-Twilio-Signature: 403, and Redis holds nothing for the sender."""
    phone = new_phone()
    response = await client.post("/twilio/sms", data=inbound_params(phone, "yes"))
    assert response.status_code == 403
    assert await store_of(app).load(phone) is None
    assert keyspace.contact_keys() == []
    assert keyspace.outbox_entries() == 0


async def test_forged_signature_is_refused(
    client: httpx.AsyncClient, app: FastAPI, keyspace: KeySpace
) -> None:
    """A signature made with the wrong token, or over other params, gets 403."""
    phone = new_phone()
    params = inbound_params(phone, "yes")
    wrong_token = sign("/twilio/sms", params, token="not-the-auth-token")
    assert (await post_signed(client, "/twilio/sms", params, wrong_token)).status_code == 403
    tampered = dict(params, Body="STOP")
    good_for_original = sign("/twilio/sms", params)
    response = await post_signed(client, "/twilio/sms", tampered, good_for_original)
    assert response.status_code == 403
    assert keyspace.contact_keys() == []
    assert keyspace.outbox_entries() == 0


async def test_signature_is_checked_against_public_base_url(
    client: httpx.AsyncClient, keyspace: KeySpace
) -> None:
    """Signed over the URL the app sees (https://testserver) instead of PUBLIC_BASE_URL: 403."""
    from twilio.request_validator import RequestValidator

    from tests.web.conftest import AUTH_TOKEN

    params = inbound_params(new_phone(), "yes")
    local = RequestValidator(AUTH_TOKEN).compute_signature("https://testserver/twilio/sms", params)
    assert (await post_signed(client, "/twilio/sms", params, local)).status_code == 403


async def test_first_text_gets_the_consent_question_as_twiml(client: httpx.AsyncClient) -> None:
    """A valid signed text answers 200 TwiML whose message is the consent question."""
    response = await post_signed(client, "/twilio/sms", inbound_params(new_phone(), "Hi"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    # The consent question first; a line offering other languages may follow it.
    messages = twiml_messages(response.text)
    assert messages[0].startswith(CONSENT_START)
    assert "Reply YES" in messages[0]


async def test_repeated_message_sid_gets_the_same_twiml_and_advances_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Twilio's retry of a MessageSid is answered from the dedupe record; the plan moves once."""
    phone = new_phone()
    await text(client, phone, "hi")
    sid = new_sid()
    params = inbound_params(phone, "yes", sid)
    first = await post_signed(client, "/twilio/sms", params)
    after_first = await store_of(app).load(phone)
    second = await post_signed(client, "/twilio/sms", params)
    after_second = await store_of(app).load(phone)
    assert first.status_code == second.status_code == 200
    assert first.text == second.text
    assert after_first is not None
    assert after_second is not None
    assert after_first.step == after_second.step == "name"
    assert after_first.to_json() == after_second.to_json()
    assert await text(client, phone, "Sam") != []
    session = await store_of(app).load(phone)
    assert session is not None
    assert session.plan.answer("onboarding", "name") == "Sam"


async def test_twenty_concurrent_texts_from_one_phone_are_each_handled_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """20 texts at once: all answered, applied one after another, none lost or doubled."""
    phone = new_phone()
    await text(client, phone, "hi")
    await text(client, phone, "yes")  # now at the name question
    # The first "Sam" to get the lock answers the name; the other 19 are not a valid yes or
    # no to "is this phone shared?", so each adds one failed try. Lost updates would show as
    # fewer tries; a double-applied name as two trail entries.
    responses = await asyncio.gather(
        *(post_signed(client, "/twilio/sms", inbound_params(phone, "Sam")) for _ in range(20))
    )
    assert [r.status_code for r in responses] == [200] * 20
    assert all(twiml_messages(r.text) for r in responses)
    session = await store_of(app).load(phone)
    assert session is not None
    assert session.trail == [["onboarding", "name"]]
    assert session.step == "shared_phone"
    assert session.tries == 19


async def test_picture_without_text_gets_the_text_only_notice(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """NumMedia > 0 and an empty Body: the kind notice, and the conversation is untouched."""
    phone = new_phone()
    params = inbound_params(phone, "", num_media=1)
    response = await post_signed(client, "/twilio/sms", params)
    assert response.status_code == 200
    assert twiml_messages(response.text) == [MEDIA_ONLY]
    assert await store_of(app).load(phone) is None


async def test_picture_with_text_is_handled_as_text(client: httpx.AsyncClient) -> None:
    """A caption is an answer like any other; the picture is ignored."""
    params = inbound_params(new_phone(), "hello", num_media=1)
    response = await post_signed(client, "/twilio/sms", params)
    assert twiml_messages(response.text)[0].startswith(CONSENT_START)


async def test_status_callback_is_recorded(client: httpx.AsyncClient, app: FastAPI) -> None:
    """A signed status callback answers 204 and is kept (sealed) under the recipient."""
    phone = new_phone()
    await text(client, phone, "hi")  # a contact: a number that is none keeps nothing
    sid = "SM" + "ab" * 16
    params = {
        "AccountSid": "AC" + "0" * 32,
        "MessageSid": sid,
        "SmsSid": sid,
        "To": phone,
        "From": FROM_NUMBER,
        "MessageStatus": "undelivered",
        "SmsStatus": "undelivered",
        "ErrorCode": "30003",
        "ApiVersion": "2010-04-01",
    }
    assert (await client.post("/twilio/status", data=params)).status_code == 403
    response = await post_signed(client, "/twilio/status", params)
    assert response.status_code == 204
    recorded = await store_of(app).deliveries(phone)
    assert recorded[sid]["status"] == "undelivered"
    assert recorded[sid]["error_code"] == "30003"
    assert recorded[sid]["at"]


async def test_signed_request_missing_fields_is_a_bad_request(client: httpx.AsyncClient) -> None:
    """Signed but without MessageSid/From: 400, not a crash."""
    params = {"Body": "hi", "AccountSid": "AC" + "0" * 32}
    assert (await post_signed(client, "/twilio/sms", params)).status_code == 400


async def test_after_stop_a_crisis_text_still_alerts_and_gets_the_numbers(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Opted out over SMS: ordinary texts get no reply; a crisis text gets the numbers in
    the TwiML and a CrisisDetected event in the outbox (the on-call alert's source)."""
    await hold_outbox(app)
    phone = new_phone()
    await text(client, phone, "hi")
    await text(client, phone, "yes")
    assert (await text(client, phone, "STOP"))[0].startswith("You're unsubscribed")
    assert await text(client, phone, "Sam") == []
    store = store_of(app)
    before = [e for e in await store.read_outbox() if e.type == "CrisisDetected"]
    replies = await text(client, phone, "my husband hit me last night")
    assert "1-800-799-7233" in replies[0]
    assert "person on call" in replies[1]
    crisis = [e for e in await store.read_outbox() if e.type == "CrisisDetected"]
    assert len(crisis) == len(before) + 1
    event = crisis[-1].event
    assert isinstance(event, CrisisDetected)
    assert event.kind == "violence"
    session = await store.load(phone)
    assert session is not None
    assert session.status == "opted_out"


async def test_picture_after_stop_gets_no_reply(client: httpx.AsyncClient, app: FastAPI) -> None:
    """After STOP only START and HELP are answered: a picture is not either."""
    phone = new_phone()
    await text(client, phone, "hi")
    await text(client, phone, "STOP")
    response = await post_signed(client, "/twilio/sms", inbound_params(phone, "", num_media=1))
    assert response.status_code == 200
    assert twiml_messages(response.text) == []
    session = await store_of(app).load(phone)
    assert session is not None
    assert session.status == "opted_out"
