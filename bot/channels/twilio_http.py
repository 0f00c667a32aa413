"""Twilio's REST API as the app calls it: the SDK's async HTTP client (pointed at a local
server in tests and the bench), and the Messages list read that settles whether a send a
dead process started reached Twilio."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from twilio.base import values
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from bot.channels.attempts import Outgoing

# Our clock against Twilio's: a message Twilio dates this much before our `since` still counts.
CLOCK_SKEW = timedelta(minutes=2)
# A takeover looks at this many of the newest messages to one number; more than enough
# for the minutes a takeover takes.
RECENT = 50


class TwilioAsyncHttp(AsyncTwilioHttpClient):  # type: ignore[misc]
    """The SDK's async HTTP client, optionally sending every request to `base_url` instead.

    Rewrites scheme and host only, so every Twilio domain (api., messaging., ...) lands on the
    same local server with its path intact (tests, the bench). Basic auth goes in a header:
    aiohttp 3.14 deprecates the `auth=` argument the SDK would pass.
    """

    def __init__(self, base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        parts = urlsplit(base_url) if base_url else None
        self._target = (parts.scheme, parts.netloc) if parts else None

    async def request(
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Any:
        if self._target is not None:
            parts = urlsplit(url)
            url = urlunsplit((*self._target, parts.path, parts.query, parts.fragment))
        headers = dict(headers or {})
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        return await super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=None,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


async def sent_since(
    client: Client,
    to: str,
    since: datetime,
    *,
    from_: str | None = None,
    messaging_service_sid: str | None = None,
) -> list[Outgoing]:
    """Messages we sent `to` that Twilio created from `since` (less CLOCK_SKEW) on.

    Two reads of Messages.json filtered by To and From: `DateSent>` (GMT days, Twilio's
    documented form) finds those sent; the newest page without a date finds one still
    queued or accepted (no `date_sent` yet). By a Messaging Service: its sid must match."""
    after = since - CLOCK_SKEW
    sender = from_ if from_ else values.unset
    found: dict[str, Outgoing] = {}
    for date_filter in ({"date_sent_after": after.date().isoformat()}, {}):
        messages = await client.messages.list_async(
            to=to, from_=sender, limit=RECENT, page_size=RECENT, **date_filter
        )
        for message in messages:
            if not str(message.direction or "").startswith("outbound"):
                continue
            if messaging_service_sid and message.messaging_service_sid != messaging_service_sid:
                continue
            created = message.date_created
            if created is None or created < after:
                continue
            found[str(message.sid)] = Outgoing(
                str(message.sid), str(message.to), message.body or ""
            )
    return list(found.values())
