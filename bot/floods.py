"""Flood limits on inbound messages, decided before the engine runs (see Service).

Per contact (a phone or a web chat): at most `texts_per_contact` messages per window. Per
web-chat client address: at most `chats_per_client` distinct chats and
`messages_per_client` messages per window, and at most `handoffs_per_client` requests for a
person that page on-call (more are kept for the inbox but not paged). Over a limit the
parent gets one short, kind text, then silence until the window ends; STOP and crisis
words always pass. Anonymous web chats (sharing nothing with a care team) expire after
`webchat_idle_s` without a message: the chat cookie's own lifetime.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from bot.careteam.consent import CONSENT_FLOW
from bot.careteam.directory import HANDOFF_EVENT
from bot.engine.events import Event, HandoffRequested
from bot.engine.keywords import KeywordTable, fold
from bot.engine.session import Session
from bot.engine.texts import N_
from bot.settings import Settings
from bot.store.base import FloodLimit
from bot.store.limiter import Limiter
from bot.store.limits import PageGate
from bot.store.redis_calls import TRANSIENT_ERRORS
from bot.store.redis_store import RedisConversationStore

log = logging.getLogger(__name__)

# The limits never hold a message up long: past this, a message is let through (the store
# then answers "try again later" if Redis is really away).
BUDGET_S = 0.3

# Translators: sent once when someone sends very many messages in a few minutes.
OVER_LIMIT = N_(
    "We got many messages from you at once. Please wait a few minutes, then text again. "
    "In danger? Call 911, or call or text 988."
)


class Verdict(Enum):
    ADMIT = "admit"
    TELL = "tell"  # over a limit: one kind text
    QUIET = "quiet"  # over a limit, already told: silence


@dataclass(frozen=True, slots=True)
class FloodLimits:
    window_s: int = 300
    texts_per_contact: int = 60
    chats_per_client: int = 10
    messages_per_client: int = 300
    handoffs_per_client: int = 3
    webchat_idle_s: int = 30 * 24 * 3600

    @classmethod
    def from_settings(cls, settings: Settings) -> FloodLimits:
        return cls(
            window_s=settings.flood_window_minutes * 60,
            texts_per_contact=settings.flood_texts_per_contact,
            chats_per_client=settings.flood_chats_per_client,
            messages_per_client=settings.flood_messages_per_client,
            handoffs_per_client=settings.flood_handoffs_per_client,
            webchat_idle_s=settings.webchat_idle_days * 24 * 3600,
        )


# Is this text a crisis as the conversation reads it (word rules, then the learned model;
# a relapse is not one)? Engine.is_crisis.
CrisisReading = Callable[[str], bool]


def must_pass(keywords: KeywordTable, is_crisis: CrisisReading, text: str) -> bool:
    """STOP and a crisis are answered whatever a limit says: the crisis as the conversation
    reads it, so one only the model catches is not dropped in a flood."""
    match = keywords.command(fold(text[:500]))
    if match is not None and match.command == "stop":
        return True
    return is_crisis(text)


def shares_with_team(session: Session) -> bool:
    """The parent answered the care-team consent questions: not an anonymous chat."""
    return bool(session.plan.answers.get(CONSENT_FLOW))


class FloodGuard:
    def __init__(
        self,
        limiter: Limiter,
        pages: PageGate,
        store: RedisConversationStore,
        keywords: KeywordTable,
        limits: FloodLimits | None = None,
        *,
        crisis: CrisisReading,
    ) -> None:
        self.limiter = limiter
        self.pages = pages
        self.limits = limits or FloodLimits()
        self._store = store
        self._keywords = keywords
        self._crisis = crisis

    async def admit(
        self, address: str, text: str, now: datetime, client: str | None
    ) -> tuple[Verdict, FloodLimit | None]:
        """ADMIT this message, or say whether to TELL the parent or stay QUIET; with ADMIT,
        the per-contact limit the store counts it against (None: STOP or a crisis word,
        never counted). A text from a phone costs no round trip here: the store counts it
        in its first one. A web chat's client limits fail open: a Redis error or a slow
        Redis admits the message."""
        if must_pass(self._keywords, self._crisis, text):
            return Verdict.ADMIT, None
        if client is not None:
            try:
                async with asyncio.timeout(BUDGET_S):
                    verdict = await self._client_verdict(address, now, client)
            except TRANSIENT_ERRORS as exc:
                log.warning("flood limits unavailable: %s", type(exc).__name__)
                verdict = Verdict.ADMIT
            if verdict is not Verdict.ADMIT:
                return verdict, None
        limits = self.limits
        return Verdict.ADMIT, FloodLimit(limits.texts_per_contact, limits.window_s, now.timestamp())

    async def _client_verdict(self, address: str, now: datetime, client: str) -> Verdict:
        limits, at = self.limits, now.timestamp()
        contact = self._store.keys_for(address).contact
        over = not await self.limiter.admit(
            "chats", client, contact, limits.chats_per_client, limits.window_s, at
        ) or (await self.limiter.hit("client", client, limits.window_s, at)).over(
            limits.messages_per_client
        )
        if not over:
            return Verdict.ADMIT
        told = not await self.limiter.once("told", contact, limits.window_s)
        return Verdict.QUIET if told else Verdict.TELL

    async def after(
        self,
        address: str,
        session: Session | None,
        events: list[Event],
        now: datetime,
        client: str | None,
    ) -> None:
        """After a saved step: an anonymous web chat's keys expire when idle; a request for a
        person beyond its client's limit is not paged. A Redis error is logged, not raised:
        the step is saved already."""
        if session is None or not address.startswith("web:"):
            return
        try:
            async with asyncio.timeout(BUDGET_S):
                await self._after_web(address, session, events, now, client)
        except TRANSIENT_ERRORS as exc:
            log.warning("flood bookkeeping failed: %s", type(exc).__name__)

    async def _after_web(
        self,
        address: str,
        session: Session,
        events: list[Event],
        now: datetime,
        client: str | None,
    ) -> None:
        keys = self._store.keys_for(address)
        idle = None if shares_with_team(session) else self.limits.webchat_idle_s
        await self.limiter.expire(
            [keys.session, keys.plan, keys.address, keys.dev_outbox, keys.chat, keys.deliveries],
            idle,
        )
        if client is not None and any(isinstance(e, HandoffRequested) for e in events):
            asked = await self.limiter.hit(
                "handoffs", client, self.limits.window_s, now.timestamp()
            )
            if asked.over(self.limits.handoffs_per_client):
                for event in events:  # takes each request's page slot
                    if isinstance(event, HandoffRequested):
                        await self.pages.first(keys.contact, HANDOFF_EVENT, event.reason)
