"""DELETE MY DATA stays done: a signed status callback arriving after the erasure, for a
text sent before it, writes no key for the erased contact."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.fakes.twilio_server import FakeTwilio
from tests.web.conftest import KeySpace, post_signed, store_of
from tests.web.test_twilio_status import client, clock, live_app, phone, reminders_of

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]
__all__ = ["client", "clock", "live_app", "phone"]  # the fixtures, shared


@pytest.mark.usefixtures("clock")
async def test_a_late_status_callback_does_not_undo_an_erasure(
    live_app: FastAPI, client: httpx.AsyncClient, twilio: FakeTwilio, phone: str, keyspace: KeySpace
) -> None:
    before = len(twilio.messages)
    await reminders_of(live_app).sender.send(phone, "Reminder: your appointment is tomorrow.")
    message = twilio.wait_for(before + 1)[-1]
    store = store_of(live_app)
    contact = store.keys_for(phone).contact
    await store.erase_contact(contact)
    for status, error in (("delivered", None), ("undelivered", "30003")):
        response = await post_signed(
            client, "/twilio/status", twilio.status_params(message, status, error)
        )
        assert response.status_code == 204, response.text
    assert [k for k in keyspace.stored() if contact.encode() in k] == []
    assert await store.load(phone) is None
