"""Text that cannot be stored (a lone UTF-16 surrogate, broken UTF-8) gets a clear answer,
never a 500, on both channels."""

from __future__ import annotations

from urllib.parse import unquote_plus, urlencode

import httpx
import pytest

from tests.web.conftest import inbound_params, new_phone, sign, twiml_messages

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]


async def test_a_lone_surrogate_in_the_chat_is_refused_with_422(client: httpx.AsyncClient) -> None:
    raw = b'{"text": "hi \\ud800 there"}'  # valid JSON, but no UTF-8 can hold it
    response = await client.post(
        "/chat/messages", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "unreadable_text"
    assert "type it again" in body["message"]
    # The chat goes on: the next message is answered.
    assert (await client.post("/chat/messages", json={"text": "hi"})).status_code == 200


async def test_broken_utf8_in_a_text_is_read_as_replacement_characters(
    client: httpx.AsyncClient,
) -> None:
    """A surrogate's UTF-8 bytes in Twilio's form decode to U+FFFD (never a surrogate):
    signed as received, the text is answered like any text the bot does not understand."""
    params = inbound_params(new_phone(), "placeholder")
    encoded = urlencode({k: v for k, v in params.items() if k != "Body"}) + "&Body=%ED%A0%80"
    params["Body"] = unquote_plus("%ED%A0%80")
    response = await client.post(
        "/twilio/sms",
        content=encoded,
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sign("/twilio/sms", params),
        },
    )
    assert response.status_code == 200, response.text
    assert twiml_messages(response.text)
