"""Texts that are not replies (reminders, care-team messages): Twilio's API or the dev outbox.

Every such text goes through one ChannelRouter, which knows each kind of address: SMS
(`+1...`) and WhatsApp (`whatsapp:+1...`) go to the SMS sender (Twilio, or the dev outbox
in dev mode); a web chat (`web:<chat id>`) gets the text in its own outbox, which the chat
shows; any other address is refused. So a web chat's id (a bearer secret) never leaves
the system.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Literal, Protocol

from twilio.rest import Client

from bot.channels.attempts import Outgoing, note_request
from bot.channels.templates import Template, Templates
from bot.channels.twilio_http import TwilioAsyncHttp, sent_since
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


class TemplateSender(Protocol):
    """A sender that can also send an approved WhatsApp template (Twilio or the dev outbox)."""

    async def send(self, address: str, text: str) -> str: ...

    async def send_template(self, address: str, template: Template) -> str: ...

    async def close(self) -> None: ...


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
        self._whatsapp_sender: dict[str, str] = (
            self._sender
            if settings.twilio_messaging_service_sid
            else {"from_": settings.whatsapp_sender or ""}
        )
        self._callback = f"{settings.public_base_url}/twilio/status"
        self._metrics = metrics or Metrics()
        self._contact_id = contact_id or ContactHasher()

    async def send(self, address: str, text: str) -> str:
        return await self._create(address, body=text)

    async def send_template(self, address: str, template: Template) -> str:
        """An approved template (outside WhatsApp's 24-hour window): ContentSid, no Body."""
        if template.content_sid is None:
            raise CannotReach(f"no ContentSid for the {template.name!r} template")
        return await self._create(
            address, content_sid=template.content_sid, content_variables=template.variables
        )

    async def _create(self, address: str, **content: str) -> str:
        sender = self._whatsapp_sender if address.startswith("whatsapp:") else self._sender
        await note_request(address, content.get("body"))
        try:
            message = await self._client.messages.create_async(
                to=address, status_callback=self._callback, **content, **sender
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

    async def sent_since(self, to: str, since: datetime) -> list[Outgoing]:
        """Messages from our sender to `to` that Twilio created from `since` on."""
        sender = self._whatsapp_sender if to.startswith("whatsapp:") else self._sender
        return await sent_since(self._client, to, since, **sender)

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

    async def send_template(self, address: str, template: Template) -> str:
        """Dev mode shows the template's text, marked, whether or not it has a ContentSid."""
        return await self.send(address, f"[WhatsApp template {template.name}] {template.text}")

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


class CannotReach(SafeStartError):
    """This channel cannot carry the text now (WhatsApp outside its window with no approved
    template, or marked unreachable) and the parent allowed no other: nothing was sent."""


class ChannelRouter:
    """The one way out for texts that are not replies: each address to its own channel.

    A WhatsApp chat inside its 24-hour window gets the text as it is; outside it, the text
    is held and an approved template says something is waiting (the held texts come with
    the answer to the parent's next message). A chat WhatsApp could not reach (63016,
    63032...) is texted by SMS instead only if the parent said SMS OK there.
    """

    def __init__(
        self,
        sms: TemplateSender,
        store: ConversationStore,
        metrics: Metrics | None = None,
        contact_id: ContactHasher | None = None,
        *,
        plain: bool = False,
        state: ChannelState | None = None,
        templates: Templates | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.sms = sms
        self.state = state
        self.templates = templates
        self.clock = clock
        self._store = store
        self.plain = plain  # SMS_PLAIN_LETTERS: phones get GSM-7 spelling; web chats never
        self._metrics = metrics or Metrics()
        # A web chat's texts wait in its outbox (StoreError if Redis is away).
        self._web = DevSender(store, self._metrics, contact_id, name="web", sid_prefix="WEB")

    def for_kind(self, kind: str) -> KindSender:
        """This router as a plain Sender whose texts are of one kind (e.g. reminders): the
        kind picks the WhatsApp template used outside the window."""
        return KindSender(self, kind)

    async def send(self, address: str, text: str, *, kind: str = "message") -> str:
        channel = address_kind(address)
        if channel == "web":
            return await self._web.send(address, text)
        if channel is None:
            self._metrics.outbound.labels("router", "unknown_address").inc()
            raise UnknownAddress("no channel for this address")
        if channel == "whatsapp":
            return await self._whatsapp(address, text, kind)
        linked = await self._linked_chat_in_window(address)
        if linked is not None:
            return await self._whatsapp(linked, text, kind)
        return await self.send_sms(address, text)

    async def _linked_chat_in_window(self, address: str) -> str | None:
        """A parent who linked WhatsApp to this number and wrote there within 24 hours is
        reached there (maybe on wifi, without a phone plan); else by SMS, as consented."""
        state, clock = self.state, self.clock
        if state is None or clock is None or not await state.has_whatsapp(address):
            return None
        chat = f"whatsapp:{address}"
        if await state.unreachable(chat) or not await state.in_window(chat, clock()):
            return None
        return chat

    async def send_sms(self, address: str, text: str) -> str:
        return await self.sms.send(address, plain_letters(text) if self.plain else text)

    async def _whatsapp(self, address: str, text: str, kind: str) -> str:
        """No segments on WhatsApp: every accent kept. Free-form only inside the window."""
        state, templates, clock = self.state, self.templates, self.clock
        if state is None or templates is None or clock is None:
            return await self.sms.send(address, text)
        if await state.unreachable(address):
            return await self._fallback(address, text, "marked unreachable")
        now = clock()
        if await state.in_window(address, now):
            sid = await self.sms.send(address, text)
            await state.remember_sent(address, sid, text)
            return sid
        session = await self._store.load(address)
        template = templates.for_kind(kind, session.locale if session else "en")
        if template.content_sid is None and isinstance(self.sms, TwilioSender):
            return await self._fallback(address, text, f"no ContentSid for {template.name}")
        await state.hold(address, text)
        self._metrics.outbound.labels("whatsapp", f"template_{template.name}").inc()
        sid = await self.sms.send_template(address, template)
        await state.remember_sent(address, sid, None)
        return sid

    async def whatsapp_failed(self, address: str, sid: str, code: str, now: datetime) -> bool:
        """Twilio said WhatsApp could not deliver `sid` (63016, 63032...): the chat is marked
        unreachable this way; its text goes by SMS where the parent allowed it. True if so."""
        if self.state is None:
            return False
        known, text = await self.state.sent(address, sid)
        if not known:
            return False
        await self.state.mark_unreachable(address, code, now)
        if not await self._sms_allowed(address):
            self._metrics.outbound.labels("whatsapp", "cannot_reach").inc()
            return False
        texts = [text] if text is not None else await self.state.take_held(address)
        for each in texts:
            await self._fallback(address, each, f"error {code}")
        return True

    async def _sms_allowed(self, address: str) -> bool:
        """SMS OK said in the chat, or the chat linked to an SMS conversation (consented)."""
        assert self.state is not None
        return await self.state.sms_fallback_allowed(address) or await self.state.linked(address)

    async def _fallback(self, address: str, text: str, why: str) -> str:
        """SMS instead of WhatsApp, only where the parent said SMS OK; else CannotReach."""
        assert self.state is not None
        if await self._sms_allowed(address):
            self._metrics.outbound.labels("whatsapp", "sms_fallback").inc()
            return await self.send_sms(address.removeprefix("whatsapp:"), text)
        self._metrics.outbound.labels("whatsapp", "cannot_reach").inc()
        raise CannotReach(f"WhatsApp cannot carry this text ({why}) and SMS is not allowed")

    async def close(self) -> None:
        await self.sms.close()


class KindSender:
    """A ChannelRouter seen as a plain Sender for one kind of text."""

    def __init__(self, router: ChannelRouter, kind: str) -> None:
        self.router = router
        self.kind = kind

    async def send(self, address: str, text: str) -> str:
        return await self.router.send(address, text, kind=self.kind)

    async def close(self) -> None:
        await self.router.close()


def build_sender(
    settings: Settings,
    store: ConversationStore,
    metrics: Metrics | None = None,
    contact_id: ContactHasher | None = None,
    *,
    state: ChannelState | None = None,
    gettext: Callable[[str, str], str] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> ChannelRouter:
    """The channel router over Twilio when both credentials are set, else the dev outbox."""
    sms: TemplateSender = (
        TwilioSender(settings, metrics, contact_id)
        if settings.twilio_live
        else DevSender(store, metrics, contact_id)
    )
    templates = (
        Templates(settings.whatsapp_content_sids, gettext, settings.program_name)
        if gettext is not None
        else None
    )
    return ChannelRouter(
        sms,
        store,
        metrics,
        contact_id,
        plain=settings.sms_plain_letters,
        state=state,
        templates=templates,
        clock=clock,
    )
