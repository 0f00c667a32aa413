"""Texts that are not replies (reminders, care-team messages): Twilio's API or the dev outbox.

Every such text goes through one ChannelRouter, which knows each kind of address: SMS
(`+1...`) and WhatsApp (`whatsapp:+1...`) go to the SMS sender (Twilio, or the dev outbox
in dev mode); a web chat (`web:<chat id>`) gets the text in its own outbox, which the chat
shows; any other address is refused. So a web chat's id (a bearer secret) never leaves
the system.
"""

from __future__ import annotations

import base64
import logging
import re
import secrets
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from bot.engine.segments import plain_letters
from bot.errors import SafeStartError
from bot.observability import ContactHasher, Metrics
from bot.settings import Settings
from bot.store.base import ConversationStore
from bot.store.channel_state import ChannelState

log = logging.getLogger(__name__)


class Sender(Protocol):
    """Sends one text to an address and returns the message sid."""

    async def send(self, address: str, text: str) -> str: ...

    async def close(self) -> None: ...


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


class TwilioSender:
    """messages.create through the real Twilio SDK, with our status callback URL."""

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics | None = None,
        contact_id: ContactHasher | None = None,
    ) -> None:
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
        if not (settings.twilio_account_sid and token):
            raise ValueError("TwilioSender needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        # Built inside the running event loop: aiohttp's session belongs to the loop.
        self._http = TwilioAsyncHttp(settings.twilio_api_base_url, timeout=10)
        self._client = Client(settings.twilio_account_sid, token, http_client=self._http)
        self._sender: dict[str, str] = (
            {"messaging_service_sid": settings.twilio_messaging_service_sid}
            if settings.twilio_messaging_service_sid
            else {"from_": settings.twilio_from_number or ""}
        )
        self._callback = f"{settings.public_base_url}/twilio/status"
        self._metrics = metrics or Metrics()
        self._contact_id = contact_id or ContactHasher()

    async def send(self, address: str, text: str) -> str:
        try:
            message = await self._client.messages.create_async(
                to=address, body=text, status_callback=self._callback, **self._sender
            )
        except Exception:
            self._metrics.outbound.labels("twilio", "error").inc()
            log.exception(
                "twilio send failed",
                extra={"event": "outbound_failed", "contact": self._contact_id(address)},
            )
            raise
        self._metrics.outbound.labels("twilio", "sent").inc()
        sid = str(message.sid)
        log.info(
            "text sent",
            extra={
                "event": "outbound",
                "sender": "twilio",
                "sid": sid,
                "contact": self._contact_id(address),
            },
        )
        return sid

    async def close(self) -> None:
        await self._http.close()


class DevSender:
    """Dev mode: the text goes to the dev outbox (shown in the web chat) and the log only.

    The channel router also uses one, named "web", for texts to a web chat: its outbox is
    where the chat reads them, in live mode as in dev mode."""

    def __init__(
        self,
        store: ConversationStore,
        metrics: Metrics | None = None,
        contact_id: ContactHasher | None = None,
        *,
        name: str = "dev",
        sid_prefix: str = "SMdev",
    ) -> None:
        self._store = store
        self._metrics = metrics or Metrics()
        self._contact_id = contact_id or ContactHasher()
        self._name = name
        self._sid_prefix = sid_prefix

    async def send(self, address: str, text: str) -> str:
        await self._store.push_dev_outbox(address, text)
        sid = self._sid_prefix + secrets.token_hex(15)
        self._metrics.outbound.labels(self._name, "sent").inc()
        log.info(
            "text put in an outbox",
            extra={
                "event": "outbound",
                "sender": self._name,
                "sid": sid,
                "contact": self._contact_id(address),
            },
        )
        return sid

    async def close(self) -> None:
        return None


AddressKind = Literal["sms", "whatsapp", "web"]
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_WEB = re.compile(r"^web:[A-Za-z0-9_-]{22,64}$")


class UnknownAddress(SafeStartError):
    """An address no channel knows: nothing is sent."""


def address_kind(address: str) -> AddressKind | None:
    if _PHONE.match(address):
        return "sms"
    if address.startswith("whatsapp:") and _PHONE.match(address.removeprefix("whatsapp:")):
        return "whatsapp"
    if _WEB.match(address):
        return "web"
    return None


class ChannelRouter:
    """The one way out for texts that are not replies: each address to its own channel."""

    def __init__(
        self,
        sms: Sender,
        store: ConversationStore,
        metrics: Metrics | None = None,
        contact_id: ContactHasher | None = None,
        *,
        plain: bool = False,
        state: ChannelState | None = None,
    ) -> None:
        self.sms = sms
        self.state = state
        self.plain = plain  # SMS_PLAIN_LETTERS: phones get GSM-7 spelling; web chats never
        self._metrics = metrics or Metrics()
        # A web chat's texts wait in its outbox (StoreError if Redis is away).
        self._web = DevSender(store, self._metrics, contact_id, name="web", sid_prefix="WEB")

    async def send(self, address: str, text: str) -> str:
        kind = address_kind(address)
        if kind == "web":
            return await self._web.send(address, text)
        if kind is None:
            self._metrics.outbound.labels("router", "unknown_address").inc()
            raise UnknownAddress("no channel for this address")
        if kind == "whatsapp":
            return await self._whatsapp(address, text)
        return await self.sms.send(address, plain_letters(text) if self.plain else text)

    async def _whatsapp(self, address: str, text: str) -> str:
        """No segments on WhatsApp: every accent kept."""
        return await self.sms.send(address, text)

    async def close(self) -> None:
        await self.sms.close()


def build_sender(
    settings: Settings,
    store: ConversationStore,
    metrics: Metrics | None = None,
    contact_id: ContactHasher | None = None,
    *,
    state: ChannelState | None = None,
) -> ChannelRouter:
    """The channel router over Twilio when both credentials are set, else the dev outbox."""
    sms: Sender = (
        TwilioSender(settings, metrics, contact_id)
        if settings.twilio_live
        else DevSender(store, metrics, contact_id)
    )
    return ChannelRouter(
        sms, store, metrics, contact_id, plain=settings.sms_plain_letters, state=state
    )
