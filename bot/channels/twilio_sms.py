"""Twilio SMS in and out of the service: signature check, MessageSid dedupe, TwiML replies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlparse
from xml.sax.saxutils import escape

from twilio.request_validator import RequestValidator, add_port, compare, remove_port

from bot.channels.chat_link import ChatLinks
from bot.channels.whatsapp import WhatsAppLinks, is_whatsapp
from bot.engine.segments import sms_texts
from bot.engine.texts import N_
from bot.errors import BadSignature, ChannelError, OutcomeUnknown, StoreError
from bot.service import Service

log = logging.getLogger(__name__)

MEDIA_ONLY = N_("Thanks! I can only read text messages. Please type your answer.")
TROUBLE = N_("Sorry, we're having trouble right now. Please try again in a little while.")

# Twilio gives up on a webhook after 15 s; the contract is an answer within 2 s even when
# Redis hangs, so the store gets this long before the parent is told to try again later.
STORE_BUDGET_SECONDS = 1.5


@dataclass(frozen=True, slots=True)
class InboundSms:
    """The parts of Twilio's inbound-message request the bot uses."""

    message_sid: str
    sender: str
    body: str
    num_media: int

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> InboundSms:
        sid, sender = form.get("MessageSid", ""), form.get("From", "")
        if not sid or not sender:
            raise ChannelError("MessageSid and From are required")
        try:
            num_media = int(form.get("NumMedia", "0") or 0)
        except ValueError:
            num_media = 0
        return cls(sid, sender, form.get("Body", ""), num_media)


@dataclass(frozen=True, slots=True)
class StatusReport:
    """One delivery status callback for a text we sent."""

    message_sid: str
    recipient: str
    status: str
    error_code: str | None

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> StatusReport:
        sid, recipient = form.get("MessageSid", ""), form.get("To", "")
        status = form.get("MessageStatus") or form.get("SmsStatus") or ""
        if not sid or not recipient or not status:
            raise ChannelError("MessageSid, To and MessageStatus are required")
        return cls(sid, recipient, status, form.get("ErrorCode") or None)


class SignatureChecker:
    """X-Twilio-Signature against PUBLIC_BASE_URL + path (+ query), never request.url.

    Behind TLS termination the URL the app sees is not the one Twilio signed. Without an
    auth token (dev mode) every request is refused: nothing can prove it came from Twilio.
    """

    def __init__(self, auth_token: str | None, public_base_url: str, overrides: str = "") -> None:
        self._validator = RequestValidator(auth_token) if auth_token else None
        self._base = public_base_url.rstrip("/")
        # The webhook URL's connection overrides (TWILIO_WEBHOOK_OVERRIDES): a signature
        # over the URL with them is taken too, whichever form Twilio signs.
        self._fragment = f"#{overrides}" if overrides else ""

    def url_for(self, path: str, query: str = "") -> str:
        return f"{self._base}{path}" + (f"?{query}" if query else "")

    def check(
        self, path: str, query: str, params: Mapping[str, str], signature: str | None
    ) -> None:
        if self._validator is None:
            raise BadSignature("no Twilio auth token configured")
        if not signature:
            raise BadSignature("missing X-Twilio-Signature")
        # What RequestValidator.validate accepts (form parameters: no bodySHA256), with its
        # own signature code, but the second form of the URL is signed only when the first
        # does not match: validate() always computes both, ~25 us each.
        url = self.url_for(path, query)
        forms = _signed_forms(url) + (_signed_forms(url + self._fragment) if self._fragment else ())
        for uri in forms:
            if compare(self._validator.compute_signature(uri, params), signature):
                return
        raise BadSignature("wrong X-Twilio-Signature")


@lru_cache(maxsize=64)
def _signed_forms(url: str) -> tuple[str, str]:
    """The URL without and with its port: Twilio signs one or the other."""
    parsed = urlparse(url)
    return remove_port(parsed), add_port(parsed)


# Twilio's limit for one message body, WhatsApp included.
MAX_BODY = 1600


def join_for_whatsapp(replies: list[str]) -> list[str]:
    """Replies joined by blank lines into as few messages as fit MAX_BODY, in order."""
    joined: list[str] = []
    for reply in replies:
        if joined and len(joined[-1]) + 2 + len(reply) <= MAX_BODY:
            joined[-1] = f"{joined[-1]}\n\n{reply}"
        else:
            joined.append(reply)
    return joined


_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'


def twiml(replies: list[str]) -> str:
    """What the SDK's MessagingResponse gives, byte for byte, with one <Message> per reply
    (none: an empty <Response />), from a template: the SDK builds an XML tree per answer."""
    if not replies:
        return _XML_HEAD + "<Response />"
    messages = "".join(
        f"<Message>{escape(reply)}</Message>" if reply else "<Message />" for reply in replies
    )
    return f"{_XML_HEAD}<Response>{messages}</Response>"


class TwilioSms:
    """Turns verified Twilio requests into service calls and the service's replies into TwiML."""

    def __init__(
        self,
        service: Service,
        checker: SignatureChecker,
        budget: float = STORE_BUDGET_SECONDS,
        *,
        plain: bool = False,
        whatsapp: WhatsAppLinks | None = None,
        chat_links: ChatLinks | None = None,
    ) -> None:
        self.service = service
        self.checker = checker
        self.budget = budget
        self.plain = plain  # SMS_PLAIN_LETTERS: GSM-7 spelling, for the segment count
        # WhatsApp on the same webhook: its window, held texts, links to the SMS contact.
        self.whatsapp = whatsapp
        self.chat_links = chat_links  # CHAT: a private link to the web chat on this plan

    def _twiml(self, replies: list[str], sender: str = "") -> str:
        # WhatsApp costs no segments: its texts keep every accent, and what SMS splits goes
        # as one message (several may arrive out of order there).
        if is_whatsapp(sender):
            return twiml(join_for_whatsapp(replies))
        # SMS: no text over two segments as the phone gets it (segments.sms_texts).
        return twiml([t for r in replies for t in sms_texts(r, plain=self.plain)])

    def verify(self, path: str, query: str, form: Mapping[str, str], signature: str | None) -> None:
        """Raise BadSignature (logged and counted) unless Twilio signed this request."""
        try:
            self.checker.check(path, query, form, signature)
        except BadSignature as refused:
            self.service.metrics.rejected.labels("sms", "signature").inc()
            log.warning(
                "twilio request refused",
                extra={"event": "bad_signature", "path": path, "reason": str(refused)},
            )
            raise

    async def inbound(self, form: Mapping[str, str], now: datetime) -> str:
        """Handle one verified inbound text and return the TwiML answer."""
        message = InboundSms.from_form(form)
        channel = "whatsapp" if is_whatsapp(message.sender) else "sms"
        if message.num_media > 0 and not message.body.strip():
            return self._twiml(await self._media_notice(message.sender), message.sender)
        address = message.sender
        before: list[str] = []
        after: list[str] = []
        try:
            async with asyncio.timeout(self.budget):
                if channel == "whatsapp" and self.whatsapp is not None:
                    step = await self.whatsapp.inbound(message.sender, message.body, now)
                    if step.reply is not None:
                        return self._twiml(step.reply, message.sender)
                    address, before, after = step.address, step.before, step.after
                if self.chat_links is not None:
                    link = await self.chat_links.answer(address, message.body)
                    if link is not None:
                        return self._twiml([*before, *link], message.sender)
                outcome = await self.service.handle_inbound(
                    address, message.body, message.message_sid, now, channel=channel
                )
        except OutcomeUnknown:
            # Maybe saved: never say "try later". A 5xx makes Twilio retry this MessageSid,
            # and the retry finds the stored replies.
            self.service.metrics.errors.labels("outcome_unknown").inc()
            log.error(
                "commit outcome unknown; failing the webhook so Twilio retries",
                extra={
                    "event": "outcome_unknown",
                    "channel": "sms",
                    "contact": self.service.contact_id(message.sender),
                },
            )
            raise
        except (StoreError, TimeoutError) as error:
            self.service.metrics.errors.labels("store_unavailable").inc()
            log.error(
                "store unavailable; asked the parent to try later",
                extra={
                    "event": "store_unavailable",
                    "channel": "sms",
                    "reason": type(error).__name__,
                    "contact": self.service.contact_id(message.sender),
                },
            )
            locale = self.service.known_locale(address, message.body)
            return self._twiml([self.service.gettext(locale, TROUBLE)], message.sender)
        if not outcome.replies:
            after = []  # silence (after STOP) stays silence
        if outcome.session is not None and outcome.session.status == "opted_out":
            before = after = []  # STOP's confirmation alone, not texts held for later
        return self._twiml([*before, *outcome.replies, *after], message.sender)

    async def status(self, form: Mapping[str, str], now: datetime) -> None:
        """Record a delivery status callback; StoreError propagates (Twilio may retry)."""
        report = StatusReport.from_form(form)
        self.service.metrics.delivery.labels(report.status).inc()
        await self.service.store.record_delivery(
            report.recipient,
            report.message_sid,
            {"status": report.status, "error_code": report.error_code, "at": now.isoformat()},
        )
        if self.whatsapp is not None and report.status in ("failed", "undelivered"):
            await self.whatsapp.delivery_failed(
                report.recipient, report.message_sid, report.error_code, now
            )
        log.info(
            "delivery status",
            extra={
                "event": "delivery_status",
                "contact": self.service.contact_id(report.recipient),
                "status": report.status,
                "error_code": report.error_code,
            },
        )

    async def _media_notice(self, sender: str) -> list[str]:
        """The "text only" notice, in the parent's language; nothing after STOP.

        When Redis cannot say whether the parent opted out, say nothing: a silent picture
        is better than a text to someone who asked for none.
        """
        self.service.metrics.rejected.labels("sms", "media_only").inc()
        try:
            async with asyncio.timeout(self.budget):
                session = await self.service.store.load(sender)
        except (StoreError, TimeoutError):
            return []
        if session is not None and session.status == "opted_out":
            return []
        locale = session.locale if session is not None else "en"
        return [self.service.gettext(locale, MEDIA_ONLY)]
