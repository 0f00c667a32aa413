"""The webhook's signature check accepts exactly what the SDK's RequestValidator.validate
accepts, though it signs the second form of the URL only when the first fails."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator, add_port

from bot.channels.twilio_sms import SignatureChecker
from bot.errors import BadSignature

TOKEN = "test-auth-token-0123456789abcdef"
BASES = ["https://sms.example.org", "https://sms.example.org:8443", "http://localhost:8000"]
FORM = st.dictionaries(st.sampled_from(["Body", "From", "To", "MessageSid", "NumMedia"]), st.text())


def accepted(
    checker: SignatureChecker, path: str, query: str, form: dict[str, str], sig: str
) -> bool:
    try:
        checker.check(path, query, form, sig)
    except BadSignature:
        return False
    return True


@given(
    base=st.sampled_from(BASES),
    query=st.sampled_from(["", "a=1", "bodySHA256=x"]),
    form=FORM,
    signed=st.sampled_from(["as configured", "with port", "other form", "forged"]),
)
def test_the_check_agrees_with_the_sdk(
    base: str, query: str, form: dict[str, str], signed: str
) -> None:
    sdk = RequestValidator(TOKEN)
    checker = SignatureChecker(TOKEN, base)
    url = checker.url_for("/twilio/sms", query)
    signing_url = {
        "as configured": url,
        "with port": add_port(urlparse(url)),
        "other form": url.replace("/twilio/sms", "/twilio/status"),
        "forged": url,
    }[signed]
    sig = (RequestValidator("another token") if signed == "forged" else sdk).compute_signature(
        signing_url, form
    )
    assert accepted(checker, "/twilio/sms", query, form, sig) == sdk.validate(url, form, sig)


def test_a_request_signed_with_the_port_is_accepted_and_a_bare_signature_is_not() -> None:
    checker = SignatureChecker(TOKEN, "https://sms.example.org")
    form = {"Body": "hi", "From": "+18605550100"}
    with_port = RequestValidator(TOKEN).compute_signature(
        "https://sms.example.org:443/twilio/sms", form
    )
    checker.check("/twilio/sms", "", form, with_port)
    with pytest.raises(BadSignature):
        checker.check("/twilio/sms", "", {**form, "Body": "hi!"}, with_port)
