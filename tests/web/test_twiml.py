"""The TwiML template answers exactly what the Twilio SDK's MessagingResponse would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.twilio_sms import twiml

# Text a parent's reply can hold: any printable character, XML's specials, newlines, emoji.
REPLY = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), min_codepoint=9),
    max_size=200,
) | st.sampled_from(["<b>&amp;</b>", "say \"yes\" & 'no'", "]]>", "ñ é 😀\n2"])


def sdk(replies: list[str]) -> str:
    response = MessagingResponse()
    for reply in replies:
        response.message(reply)
    return str(response)


@given(st.lists(REPLY, max_size=4))
def test_the_template_matches_messaging_response_byte_for_byte(replies: list[str]) -> None:
    assert twiml(replies) == sdk(replies)
