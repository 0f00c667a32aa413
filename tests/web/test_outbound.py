"""Outbound texts through the real Twilio SDK against the local fake, and the dev outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from twilio.base.exceptions import TwilioRestException

from bot.channels.attempts import AttemptLost, journaled
from bot.channels.outbound import ChannelRouter, DevSender, TwilioSender, UnknownAddress
from bot.channels.twilio_http import CLOCK_SKEW
from bot.store.memory import MemoryConversationStore
from tests.fakes.twilio_server import FakeTwilio
from tests.waiting import eventually
from tests.web.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    PUBLIC_BASE_URL,
    KeySpace,
    inbound_params,
    make_settings,
    new_phone,
    post_signed,
    running_app,
    runtime_of,
    store_of,
)

# Every test here shares Redis db 14 (flushed around each test): one xdist worker runs them.
pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]

SERVICE_SID = "MG" + "0123456789abcdef" * 2
WEB_CHAT = "web:" + "c" * 22


@pytest.fixture
async def live_app(
    twilio: FakeTwilio, tmp_path: Path, keyspace: KeySpace
) -> AsyncIterator[FastAPI]:
    settings = make_settings(tmp_path, twilio_api_base_url=twilio.base_url)
    async with running_app(settings, keyspace) as application:
        yield application


async def test_twilio_sender_calls_messages_create_with_our_fields(
    live_app: FastAPI, twilio: FakeTwilio
) -> None:
    """The SDK reaches the fake with To, From, Body and our status callback; the sid comes back."""
    router = runtime_of(live_app).sender
    assert isinstance(router, ChannelRouter)
    sender = router.sms
    assert isinstance(sender, TwilioSender)
    phone = new_phone()
    sid = await sender.send(phone, "Reminder: your visit is tomorrow at 10am.")
    [message] = twilio.wait_for(1)
    assert sid == message.sid
    assert sid.startswith("SM")
    assert message.to == phone
    assert message.get("From") == FROM_NUMBER
    assert message.body == "Reminder: your visit is tomorrow at 10am."
    assert message.get("StatusCallback") == f"{PUBLIC_BASE_URL}/twilio/status"
    assert twilio.schema_checked
    assert [r.status for r in twilio.requests] == [201]


async def test_messaging_service_sid_is_sent_instead_of_from(
    twilio: FakeTwilio, tmp_path: Path
) -> None:
    """With TWILIO_MESSAGING_SERVICE_SID set, the request names the service, not a number."""
    settings = make_settings(
        tmp_path,
        twilio_api_base_url=twilio.base_url,
        twilio_from_number=None,
        twilio_messaging_service_sid=SERVICE_SID,
    )
    sender = TwilioSender(settings)
    try:
        await sender.send(new_phone(), "Hello")
    finally:
        await sender.close()
    [message] = twilio.wait_for(1)
    assert message.get("MessagingServiceSid") == SERVICE_SID
    assert message.get("From") is None


async def test_wrong_credentials_raise_and_send_nothing(twilio: FakeTwilio, tmp_path: Path) -> None:
    """The fake checks Basic auth like Twilio: 401, code 20003, surfaced by the SDK."""
    settings = make_settings(
        tmp_path, twilio_api_base_url=twilio.base_url, twilio_auth_token="wrong"
    )
    sender = TwilioSender(settings)
    try:
        with pytest.raises(TwilioRestException) as raised:
            await sender.send(new_phone(), "Hello")
    finally:
        await sender.close()
    assert raised.value.status == 401
    assert raised.value.code == 20003
    assert twilio.messages == []


async def test_status_callback_for_a_sent_text_is_recorded(
    live_app: FastAPI, twilio: FakeTwilio
) -> None:
    """Send, then Twilio's 'delivered' callback for that sid lands in the recipient's record
    (a contact's: a number that is no contact keeps nothing, see test_late_status)."""
    phone = new_phone()
    await store_of(live_app).transact(phone, None, lambda session: (session, [], []))
    await runtime_of(live_app).sender.send(phone, "Hello")
    [message] = twilio.wait_for(1)
    transport = httpx.ASGITransport(app=live_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        params = twilio.status_params(message, "delivered")
        assert (await post_signed(client, "/twilio/status", params)).status_code == 204
    assert (await store_of(live_app).deliveries(phone))[message.sid]["status"] == "delivered"


async def test_fake_refuses_requests_twilio_would_refuse(twilio: FakeTwilio) -> None:
    """No To: 400/21604; no From or service: 21603; a parameter Twilio lacks: 400."""
    url = f"{twilio.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    auth = (ACCOUNT_SID, AUTH_TOKEN)
    async with httpx.AsyncClient(auth=auth) as http:
        no_to = await http.post(url, data={"From": FROM_NUMBER, "Body": "x"})
        no_from = await http.post(url, data={"To": "+18605550123", "Body": "x"})
        unknown = await http.post(
            url, data={"To": "+18605550123", "From": FROM_NUMBER, "Body": "x", "Bogus": "1"}
        )
        bad_sid = await http.post(
            url, data={"To": "+18605550123", "MessagingServiceSid": "MG1", "Body": "x"}
        )
    assert (no_to.status_code, no_to.json()["code"]) == (400, 21604)
    assert (no_from.status_code, no_from.json()["code"]) == (400, 21603)
    assert unknown.status_code == 400
    assert "Bogus" in unknown.json()["message"]
    assert bad_sid.status_code == 400
    assert "MessagingServiceSid" in bad_sid.json()["message"]
    assert twilio.messages == []


async def test_dev_mode_sends_to_the_dev_outbox_and_refuses_webhooks(
    tmp_path: Path, keyspace: KeySpace
) -> None:
    """No Twilio credentials: texts go to the dev outbox (seen by the chat); /twilio/sms is 403."""
    settings = make_settings(
        tmp_path, twilio_account_sid=None, twilio_auth_token=None, twilio_from_number=None
    )
    async with running_app(settings, keyspace) as application:
        sender = runtime_of(application).sender
        assert isinstance(sender, ChannelRouter)
        assert isinstance(sender.sms, DevSender)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            first = await client.post("/chat/messages", json={"text": "hi"})
            assert first.json()["outbox"] == []
            chat_id = client.cookies["safestart_chat"]
            sid = await sender.send(f"web:{chat_id}", "Reminder: clinic visit Monday 10am.")
            assert sid.startswith("WEB")
            second = await client.post("/chat/messages", json={"text": "yes"})
            assert second.json()["outbox"] == ["Reminder: clinic visit Monday 10am."]
            from tests.web.conftest import inbound_params

            params = inbound_params(new_phone(), "hi")
            refused = await post_signed(client, "/twilio/sms", params)
            assert refused.status_code == 403


async def test_a_web_chat_never_reaches_twilio_and_gets_its_plan_link(
    live_app: FastAPI, twilio: FakeTwilio
) -> None:
    """Live Twilio: MY PLAN from a web chat puts the link in the chat (sent by the care-team
    worker after the commit), and no request to Twilio carries a web chat's address (its id
    is a bearer secret)."""
    transport = httpx.ASGITransport(app=live_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        await client.post("/chat/messages", json={"text": "hi"})
        answer = await client.post("/chat/messages", json={"text": "my plan"})
        address = f"web:{client.cookies['safestart_chat']}"
    assert answer.status_code == 200
    log = runtime_of(live_app).service.store.chat_log  # type: ignore[attr-defined]

    async def link_arrived() -> bool:
        return any(i.kind == "outbox" for i in await log.since(address))

    await eventually(link_arrived, what="the MY PLAN link in the chat")
    links = [i.text for i in await log.since(address) if i.text.startswith("Your plan: ")]
    assert len(links) == 1
    assert "/plan/" in links[0]
    assert not [r for r in twilio.requests if "web:" in repr(r)]
    assert twilio.messages == []


async def test_the_router_sends_each_address_kind_its_own_way(
    live_app: FastAPI, twilio: FakeTwilio
) -> None:
    runtime = runtime_of(live_app)
    router = runtime.sender
    assert isinstance(router, ChannelRouter)
    assert router.state is not None
    phone = new_phone()
    # Inside WhatsApp's 24-hour window (the parent wrote): free-form text goes as it is.
    await router.state.touch(f"whatsapp:{phone}", runtime.clock())
    await router.send(f"whatsapp:{phone}", "Reminder: visit Monday.")
    [message] = twilio.wait_for(1)
    assert message.to == f"whatsapp:{phone}"
    for unknown in ("web:short", "sip:someone", "8605550123", ""):
        with pytest.raises(UnknownAddress):
            await router.send(unknown, "hello")
    assert len(twilio.messages) == 1


async def test_sms_plain_letters_spells_phone_texts_in_gsm7_and_leaves_web_chats_alone() -> None:
    """SMS_PLAIN_LETTERS: a text to a phone goes in GSM-7 letters (one segment, not UCS-2);
    the same text to a web chat keeps every accent."""
    store = MemoryConversationStore()
    router = ChannelRouter(DevSender(store), store, plain=True)
    text = "¿Cómo estás? Responde SÍ o NÃO, por favor."
    phone = new_phone()
    await router.send(phone, text)
    await router.send(WEB_CHAT, text)
    [sent] = await store.dev_outbox(phone)
    assert sent == "¿Como estas? Responde SI o NAO, por favor."
    assert await store.dev_outbox(WEB_CHAT) == [text]
    plain = ChannelRouter(DevSender(store), store)  # the default: accents kept everywhere
    await plain.send(phone, text)
    assert (await store.dev_outbox(phone))[-1] == text


async def test_sms_plain_letters_applies_to_twiml_replies(
    tmp_path: Path, keyspace: KeySpace
) -> None:
    """The replies to an inbound SMS follow the setting too (the bot's Spanish welcome)."""
    settings = make_settings(tmp_path, sms_plain_letters=True)
    async with running_app(settings, keyspace) as application:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            response = await post_signed(http, "/twilio/sms", inbound_params(new_phone(), "hola"))
    assert response.status_code == 200
    assert "Safe Start" in response.text
    assert not any(ch in response.text for ch in "áíóúÁÍÓÚãõçÊ")
    assert "¿Empezamos? Responde SI." in response.text


async def test_sent_since_lists_our_messages_to_one_number_from_a_time_on(
    twilio: FakeTwilio, tmp_path: Path
) -> None:
    """A takeover's look at Twilio: Messages list by To and From (and DateSent>), newest
    first; messages to another number, or created before `since`, are not ours to count."""
    sender = TwilioSender(make_settings(tmp_path, twilio_api_base_url=twilio.base_url))
    phone, other = new_phone(), new_phone()
    try:
        first = await sender.send(phone, "one")
        second = await sender.send(phone, "two")
        await sender.send(other, "three")
        before = twilio.messages[0].created  # Twilio's clock
        found = await sender.sent_since(phone, before)
        later = await sender.sent_since(phone, before + CLOCK_SKEW + timedelta(days=1))
    finally:
        await sender.close()
    assert {(m.sid, m.to, m.body) for m in found} == {(first, phone, "one"), (second, phone, "two")}
    assert later == []
    lists = [r for r in twilio.requests if r.status == 200]
    assert lists
    assert all(r.params["To"] == [phone] for r in lists)
    assert all(r.params["From"] == [FROM_NUMBER] for r in lists)
    assert any("DateSent>" in r.params for r in lists)  # checked against the spec's names


async def test_a_journaled_send_notes_its_request_first_and_a_lost_attempt_sends_nothing(
    twilio: FakeTwilio, tmp_path: Path
) -> None:
    """The journal hears (to, body) before the create request; one that refuses (the attempt
    was taken over) stops the request."""
    sender = TwilioSender(make_settings(tmp_path, twilio_api_base_url=twilio.base_url))
    noted: list[tuple[str, str | None, int]] = []

    class Journal:
        refuse = False

        async def before_request(self, to: str, body: str | None) -> None:
            noted.append((to, body, len(twilio.messages)))
            if self.refuse:
                raise AttemptLost("taken over")

    journal, phone = Journal(), new_phone()
    try:
        with journaled(journal):
            await sender.send(phone, "hello")
            journal.refuse = True
            with pytest.raises(AttemptLost):
                await sender.send(phone, "again")
    finally:
        await sender.close()
    assert noted == [(phone, "hello", 0), (phone, "again", 1)]
    assert [m.body for m in twilio.messages] == ["hello"]
