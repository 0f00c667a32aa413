"""WhatsApp on Twilio's SMS webhook: addresses, and linking a chat to the SMS contact.

A WhatsApp chat (`whatsapp:+1...`) is its own contact until the parent proves, from
WhatsApp, that they also hold the SMS number: they send LINK, we text a 6-digit code to
that number by SMS, and they reply it in WhatsApp. From then on the chat continues the SMS
contact's plan (one session, one plan, one consent, one STOP). The phone number alone
never merges anything: a WhatsApp account may sit on a number whose SMS is someone else's.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from bot.channels.outbound import ChannelRouter
from bot.engine.keywords import fold
from bot.engine.texts import N_
from bot.service import Service
from bot.store.channel_state import ChannelState

log = logging.getLogger(__name__)

PREFIX = "whatsapp:"
LINK_WORDS = frozenset({"LINK", "VINCULAR", "CONECTAR", "LIGAR"})
_CODE = re.compile(r"^\s*(\d{6})\s*$")

# Translators: LINK is a keyword; keep it in capitals and untranslated.
NEW_CHAT_NOTE = N_("Already texting with us by SMS? Send LINK here to keep one plan.")
LINK_SENT = N_(
    "We texted a 6-digit code to this number by SMS. Reply with the code here to keep one "
    "plan on both."
)
LINK_NONE = N_("We have no plan for this number by text message. Just keep chatting here.")
# Translators: {program} is the program's name, {code} six digits. Discreet: no health words.
LINK_CODE_SMS = N_(
    "{program} code: {code}. Reply it in WhatsApp to use one plan on both. "
    "Didn't ask for it? Ignore this text."
)
LINK_DONE = N_("Done: this chat now continues your plan. Text MENU to see it.")
LINK_WRONG = N_("That code doesn't match. Please check the text we sent and try again.")


def is_whatsapp(address: str) -> bool:
    return address.startswith(PREFIX)


def sms_address(address: str) -> str:
    """The SMS number of a WhatsApp address (the same digits)."""
    return address.removeprefix(PREFIX)


def is_link_word(body: str) -> bool:
    return fold(body.strip()[:20]).upper() in LINK_WORDS


def link_code(body: str) -> str | None:
    match = _CODE.match(body)
    return match.group(1) if match else None


@dataclass(frozen=True, slots=True)
class LinkAnswer:
    """What the link step says back in WhatsApp (msgids), or None: not a link message."""

    reply: str | None
    address: str  # the address the engine should see for this message


@dataclass(frozen=True, slots=True)
class Inbound:
    """How one WhatsApp message goes on: answered here (`reply`), or to the engine as
    `address`, with texts to put before and after the engine's replies."""

    reply: list[str] | None
    address: str
    before: list[str]
    after: list[str]


# Twilio's WhatsApp errors that mean "not this way": outside the window with free-form text
# (63016), a WhatsApp limitation for this user (63032), not a WhatsApp number (63003), an
# invalid recipient (63024).
UNREACHABLE_CODES = frozenset({"63003", "63016", "63024", "63032"})
SMS_OK_WORDS = frozenset({"SMS OK", "OK SMS", "SMS SI", "SMS SIM"})
SMS_NO_WORDS = frozenset({"NO SMS", "SMS NO", "NAO SMS", "SMS NAO"})
SMS_ALLOWED = N_(
    "OK: if WhatsApp can't reach you, we'll text this number by SMS instead. Send NO SMS to undo."
)
SMS_REFUSED = N_("OK: we won't text this number by SMS.")


class WhatsAppLinks:
    """Decides, per WhatsApp message, whether it is a link step and whose contact it is."""

    def __init__(
        self, state: ChannelState, service: Service, router: ChannelRouter, program: str
    ) -> None:
        self.state = state
        self._service = service
        self._router = router
        self._program = program
        self._sending: set[asyncio.Task[None]] = set()

    async def inbound(self, address: str, body: str, now: datetime) -> Inbound:
        """Open the 24-hour window, answer a link step, or say whose plan this is for; texts
        held while the window was shut come first."""
        await self.state.touch(address, now)
        await self.state.clear_unreachable(address)
        held = await self.state.take_held(address)
        answer = await self.route(address, body)
        locale_of = answer.address
        session = await self._service.store.load(locale_of)
        locale = session.locale if session is not None else "en"
        if session is not None and session.status == "opted_out":
            held = []  # after STOP, nothing but what the engine says (START's answer)
        if answer.reply is not None:
            return Inbound([*held, self._service.gettext(locale, answer.reply)], address, [], [])
        # A first WhatsApp message: say how to keep one plan with an SMS conversation.
        after = [self._service.gettext(locale, NEW_CHAT_NOTE)] if session is None else []
        return Inbound(None, answer.address, held, after)

    async def route(self, address: str, body: str) -> LinkAnswer:
        """The answer for a LINK or a code; else the address whose plan this message is for."""
        if await self.state.linked(address):
            return LinkAnswer(None, sms_address(address))
        word = fold(body.strip()[:20]).upper()
        if word in SMS_OK_WORDS or word in SMS_NO_WORDS:
            own = await self._service.store.load(address)
            if own is None or own.status != "active":
                return LinkAnswer(None, address)  # only a parent who agreed to texts
            allowed = word in SMS_OK_WORDS
            await self.state.allow_sms_fallback(address, allowed)
            return LinkAnswer(SMS_ALLOWED if allowed else SMS_REFUSED, address)
        if is_link_word(body):
            own = await self._service.store.load(address)
            if own is not None and own.status == "opted_out":
                return LinkAnswer(None, address)  # the engine stays silent after STOP
            sms = sms_address(address)
            theirs = await self._service.store.load(sms)
            # Nothing is texted to a number that said STOP, nor to one we never spoke with.
            if theirs is None or theirs.status in ("opted_out", "new"):
                return LinkAnswer(LINK_NONE, address)
            fresh = await self.state.new_link_code(address)
            self._text_code(sms, fresh, theirs.locale)
            return LinkAnswer(LINK_SENT, address)
        code = link_code(body)
        if code is not None and await self.state.has_link_code(address):
            verdict = await self.state.check_link_code(address, code)
            if verdict:
                await self.state.link(address, sms_address(address))
                log.info("whatsapp chat linked to its sms contact", extra={"event": "wa_linked"})
                return LinkAnswer(LINK_DONE, sms_address(address))
            if verdict is False:
                return LinkAnswer(LINK_WRONG, address)
        return LinkAnswer(None, address)

    def _text_code(self, sms: str, code: str, locale: str) -> None:
        """Sent beside the webhook's answer (Twilio's API is not waited for in a webhook)."""
        text = self._service.gettext(locale, LINK_CODE_SMS).format(program=self._program, code=code)

        async def send() -> None:
            try:
                await self._router.send(sms, text)
            except Exception:
                log.exception("link code not sent", extra={"event": "wa_link_code_failed"})

        task = asyncio.create_task(send(), name="whatsapp-link-code")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def delivery_failed(
        self, address: str, sid: str, code: str | None, now: datetime
    ) -> None:
        """A status callback for a WhatsApp text we sent: the errors that mean "not this
        way" mark the chat, and its text goes by SMS if the parent allowed it."""
        if code in UNREACHABLE_CODES and is_whatsapp(address):
            fell_back = await self._router.whatsapp_failed(address, sid, code or "", now)
            log.info(
                "whatsapp could not deliver",
                extra={"event": "wa_unreachable", "error_code": code, "sms": fell_back},
            )

    async def settle(self) -> None:
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
