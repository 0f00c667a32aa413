"""TwiML replies as the phone gets them (#14): in GSM-7 spelling by default, and no message
over two segments, in every language."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import httpx
import pytest

from bot.engine.segments import SMS_MAX_SEGMENTS, encoding, segment_count
from bot.settings import Settings
from tests.web.conftest import (
    KeySpace,
    inbound_params,
    make_settings,
    new_phone,
    post_signed,
    running_app,
)

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]

_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)


def test_plain_letters_are_on_by_default_for_sms() -> None:
    assert Settings.model_fields["sms_plain_letters"].default is True


async def test_each_twiml_message_fits_two_gsm7_segments(
    tmp_path: Path, keyspace: KeySpace
) -> None:
    """The welcome in Spanish and Portuguese (the first text, and the longest sign-up turn)
    and a Spanish parent's next turns: every <Message> is GSM-7 and at most two segments."""
    settings = make_settings(tmp_path)
    async with running_app(settings, keyspace) as application:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            sent: list[str] = []
            for first, then in (("hola", ["sí", "Ana"]), ("oi", ["sim", "Bia"])):
                phone = new_phone()
                for text in (first, *then):
                    response = await post_signed(http, "/twilio/sms", inbound_params(phone, text))
                    assert response.status_code == 200
                    sent += [unescape(t) for t in _MESSAGE.findall(response.text)]
    assert len(sent) >= 6
    assert all(encoding(t) == "GSM-7" for t in sent)
    assert all(segment_count(t) <= SMS_MAX_SEGMENTS for t in sent)
