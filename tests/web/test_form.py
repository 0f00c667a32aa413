"""The webhook's form parser reads a body exactly as dict(parse_qsl(...)) would."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote_plus, urlencode

from hypothesis import given
from hypothesis import strategies as st

from bot.web.twilio import parse_form

# Raw bodies built from the characters that matter to the parser (and a few that do not).
PIECES = st.sampled_from(["&", "=", "+", "%", "%2", "%41", "%E9", "%C3%A9", "%zz", "a", "é", " "])
FIELDS = st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=6)


@given(st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=30).map("".join))
def test_any_body_parses_as_parse_qsl_reads_it(text: str) -> None:
    assert parse_form(text) == dict(parse_qsl(text, keep_blank_values=True))


@given(FIELDS)
def test_a_posted_form_comes_back_as_sent(fields: dict[str, str]) -> None:
    body = urlencode(fields, quote_via=quote_plus)
    assert parse_form(body) == fields
    assert parse_form(body.encode("utf-8").decode("latin-1")) == dict(
        parse_qsl(body.encode("utf-8").decode("latin-1"), keep_blank_values=True)
    )
