"""Whether Twilio retries the inbound-message webhook when the app answers 503.

A text whose commit outcome is unknown (Redis went quiet mid-write) is answered 503 so
that Twilio sends it again and the retry, deduplicated by MessageSid, finds what was
saved. Twilio retries a webhook only as the URL's connection overrides say (its
"Webhooks connection overrides" page: `rc` retries, default 1, on the failures `rp`
names; a 5xx is retried only when `rp` lists `5xx` or `all`; `tt`, at most 15 s, bounds
every try together). Without them the 503 is final and that text goes unanswered.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

# What the README tells operators to append after "#": up to three retries, on a refused
# connection or a 5xx, within Twilio's 15 s for all tries.
RECOMMENDED = "rc=3&rp=ct,5xx"


def retries_5xx(overrides: str) -> bool:
    """True when these overrides (the URL's fragment, without '#') retry a 5xx answer."""
    pairs = dict(parse_qsl(overrides.removeprefix("#")))
    try:
        count = int(pairs.get("rc", "1"))
    except ValueError:
        return False
    policies = {p.strip() for p in pairs.get("rp", "").split(",")}
    return count > 0 and bool(policies & {"5xx", "all"})


def webhook_url(public_base_url: str, overrides: str) -> str:
    """The URL to give Twilio for "A message comes in", overrides included."""
    url = f"{public_base_url.rstrip('/')}/twilio/sms"
    return f"{url}#{overrides}" if overrides else url


def retry_warning(public_base_url: str, overrides: str) -> str | None:
    """What to log at start-up with live Twilio when a 503 would not be retried."""
    if retries_5xx(overrides):
        return None
    return (
        "Twilio does not retry a text the app answers 503 (outcome unknown) unless the "
        "webhook URL says so: set the number's 'A message comes in' URL to "
        f"{webhook_url(public_base_url, RECOMMENDED)} and "
        f"TWILIO_WEBHOOK_OVERRIDES={RECOMMENDED}"
    )
