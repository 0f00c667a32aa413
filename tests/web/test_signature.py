"""The webhook's signature check accepts exactly what the SDK's RequestValidator.validate
accepts, though it signs the second form of the URL only when the first fails."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from twilio.request_validator import RequestValidator, add_port

from bot.channels.twilio_sms import SignatureChecker
from bot.channels.webhook_retries import RECOMMENDED, retries_5xx, retry_warning, webhook_url
from bot.errors import BadSignature
from bot.settings import Settings

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


def test_a_signature_over_the_url_with_its_connection_overrides_is_accepted_too() -> None:
    """Twilio's webhook URL may carry connection overrides after '#': a signature over
    the URL with them, or without, is taken; one over other overrides is not."""
    checker = SignatureChecker(TOKEN, "https://sms.example.org", RECOMMENDED)
    form = {"Body": "hi", "From": "+18605550100", "MessageSid": "SM" + "0" * 32}
    sign = RequestValidator(TOKEN).compute_signature
    checker.check("/twilio/sms", "", form, sign("https://sms.example.org/twilio/sms", form))
    with_overrides = f"https://sms.example.org/twilio/sms#{RECOMMENDED}"
    checker.check("/twilio/sms", "", form, sign(with_overrides, form))
    other = "https://sms.example.org/twilio/sms#rc=1&rp=ct"
    with pytest.raises(BadSignature):
        checker.check("/twilio/sms", "", form, sign(other, form))
    plain = SignatureChecker(TOKEN, "https://sms.example.org")
    with pytest.raises(BadSignature):
        plain.check("/twilio/sms", "", form, sign(with_overrides, form))


@pytest.mark.parametrize(
    ("overrides", "retried"),
    [
        ("", False),  # Twilio's defaults retry a refused connection, never a 5xx answer
        ("rc=3&rp=ct,5xx", True),
        ("rp=5xx", True),  # rc defaults to 1
        ("rc=2&rp=all", True),
        ("rc=0&rp=5xx", False),
        ("rc=5&rp=ct,rt", False),
    ],
)
def test_a_503_is_retried_only_when_the_overrides_say_so(overrides: str, retried: bool) -> None:
    assert retries_5xx(overrides) is retried
    assert (retry_warning("https://sms.example.org", overrides) is None) is retried


def test_the_warning_names_the_url_to_set_and_the_setting() -> None:
    warning = retry_warning("https://sms.example.org/", "")
    assert warning is not None
    assert f"https://sms.example.org/twilio/sms#{RECOMMENDED}" in warning
    assert f"TWILIO_WEBHOOK_OVERRIDES={RECOMMENDED}" in warning
    assert webhook_url("https://sms.example.org", "") == "https://sms.example.org/twilio/sms"


def test_the_overrides_setting_is_checked_and_a_leading_hash_dropped() -> None:
    assert (
        Settings(
            _env_file=None, twilio_webhook_overrides="#rc=3&rp=ct,5xx"
        ).twilio_webhook_overrides
        == RECOMMENDED
    )  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(_env_file=None, twilio_webhook_overrides="rc 3")  # type: ignore[call-arg]
