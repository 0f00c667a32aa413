"""One inbound message end to end, for every channel: dedupe, lock, load, step, save, reply."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import Counter, Histogram

from bot.engine.events import Event
from bot.engine.keywords import fold
from bot.engine.machine import Engine
from bot.engine.session import Session
from bot.errors import StoreError
from bot.floods import OVER_LIMIT, FloodGuard, Verdict
from bot.observability import ContactHasher, Metrics
from bot.store.base import ConversationStore, FloodLimit, Outcome

log = logging.getLogger(__name__)

# Languages of recent parents, so "try again later" is in their language when Redis is down.
LOCALE_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class Handled:
    """What an event hook is told: whose message, on which channel, and what it produced."""

    address: str
    channel: str
    events: Sequence[Event]
    now: datetime


# Told of a saved step's events, after the reply has gone: never inside the webhook's
# deadline. The product's own effects (delivery, reminders, MY RECORD, MY PLAN) are outbox
# consumers, which survive a restart; a hook is for in-process watchers (tests, metrics).
EventHook = Callable[[Handled], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _ChannelCounters:
    inbound: Counter
    latency: Histogram
    replies: Counter


class Service:
    """The one place inbound text is handled; channels only translate to and from it."""

    def __init__(
        self,
        store: ConversationStore,
        engine: Engine,
        metrics: Metrics | None = None,
        contact_id: ContactHasher | None = None,
        hooks: Sequence[EventHook] = (),
        guard: FloodGuard | None = None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.guard = guard
        self.metrics = metrics or Metrics()
        self.contact_id = contact_id or ContactHasher()
        self.hooks: list[EventHook] = list(hooks)
        self._running_hooks: set[asyncio.Task[None]] = set()
        # keyed hash of the address -> locale, least recently seen first; in memory only,
        # bounded. Its own key and BLAKE2b: the logs' HMAC contact id costs ~4 us a text.
        self._locales: OrderedDict[bytes, str] = OrderedDict()
        self._locale_key = secrets.token_bytes(32)
        self._by_channel: dict[str, _ChannelCounters] = {}

    def _counters_for(self, channel: str) -> _ChannelCounters:
        """The per-text metrics of one channel, looked up once (labels() takes a lock and
        hashes its values: ~2 us a call, three calls a text)."""
        metrics = self.metrics
        counters = _ChannelCounters(
            metrics.inbound.labels(channel),
            metrics.latency.labels(channel),
            metrics.replies.labels(channel),
        )
        self._by_channel[channel] = counters
        return counters

    def add_hook(self, hook: EventHook) -> None:
        self.hooks.append(hook)

    async def handle_inbound(
        self,
        address: str,
        text: str,
        message_id: str | None,
        now: datetime,
        *,
        channel: str = "sms",
        client: str | None = None,
    ) -> Outcome:
        """Run the engine on one text inside the store's transaction, then run the hooks.

        A repeated message_id returns the first reply and runs no hooks. Raises
        StoreUnavailable (nothing changed) when Redis does not answer in time. With a flood
        guard, a message over a limit gets one kind text, then none, and the engine never
        sees it; `client` is a web chat's client address (its per-client limits).
        """
        started = time.perf_counter()
        counted = self._by_channel.get(channel) or self._counters_for(channel)
        counted.inbound.inc()
        if self.engine.reads_slowly(text):
            # The encoder's reading (~17 ms of one core) off the event loop: the flood guard
            # and the step below then look it up.
            await asyncio.to_thread(self.engine.read_ahead, text)
        flood: FloodLimit | None = None
        if self.guard is not None:
            verdict, flood = await self.guard.admit(address, text, now, client)
            if verdict is not Verdict.ADMIT:
                self.metrics.rejected.labels(channel, "flood").inc()
                return await self._over_limit(address, verdict)

        def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
            # The store's fresh copy, used for nothing after: the engine may change it.
            # The web chat is read in the parent's browser, not on the (maybe shared) phone.
            result = self.engine.step(session, text, now, owned=True, private=channel == "web")
            return result.session, result.replies, result.events

        try:
            outcome = await self.store.transact(address, message_id, apply, flood=flood)
        except StoreError as error:
            self.metrics.errors.labels(type(error).__name__).inc()
            raise
        finally:
            counted.latency.observe(time.perf_counter() - started)
        if outcome.over_limit:
            self.metrics.rejected.labels(channel, "flood").inc()
            return self._past_limit(outcome)
        if outcome.session is not None:
            self.remember_locale(address, outcome.session.locale)
        counted.replies.inc(len(outcome.replies))
        if outcome.duplicate:
            self.metrics.duplicates.labels(channel).inc()
        # Per text: debug only (the metrics above count every one); at INFO a JSON line per
        # text cost more than the engine's step.
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "inbound handled",
                extra={
                    "event": "inbound",
                    "contact": self.contact_id(address),
                    "channel": channel,
                    "replies": len(outcome.replies),
                    "duplicate": outcome.duplicate,
                    "elapsed_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
        if self.guard is not None and not outcome.duplicate:
            await self.guard.after(address, outcome.session, outcome.events, now, client)
        if not outcome.duplicate and outcome.events:
            handled = Handled(address, channel, tuple(outcome.events), now)
            self._count_events(handled)
            if self.hooks:
                self._start_hooks(handled)
        return outcome

    def _start_hooks(self, handled: Handled) -> None:
        """Run the hooks beside the reply, not before it: a slow one (Redis, Twilio's API)
        must not turn a saved STOP into "Sorry, we're having trouble"."""
        task = asyncio.create_task(self._run_hooks(handled), name="event-hooks")
        self._running_hooks.add(task)
        task.add_done_callback(self._running_hooks.discard)

    async def settle(self) -> None:
        """Wait for the hooks still running (at shutdown, and in tests)."""
        while self._running_hooks:
            await asyncio.gather(*self._running_hooks, return_exceptions=True)

    async def _over_limit(self, address: str, verdict: Verdict) -> Outcome:
        if verdict is Verdict.QUIET:
            return Outcome(replies=[])
        # STOP holds first: an opted-out parent is never told about limits (START, HELP and
        # crisis words pass the guard and reach the engine).
        session = await self.store.load(address)
        if session is not None and session.status == "opted_out":
            return Outcome(replies=[])
        locale = session.locale if session is not None else "en"
        return Outcome(replies=[self.gettext(locale, OVER_LIMIT)])

    def _past_limit(self, outcome: Outcome) -> Outcome:
        """Past the contact's limit (counted by the store): one kind text, then silence;
        never to an opted-out parent."""
        session = outcome.session
        if outcome.over_limit > 1 or (session is not None and session.status == "opted_out"):
            return Outcome(replies=[])
        locale = session.locale if session is not None else "en"
        return Outcome(replies=[self.gettext(locale, OVER_LIMIT)])

    async def locale_for(self, address: str) -> str:
        """The parent's language, for texts sent outside the engine (e.g. the media notice)."""
        session = await self.store.load(address)
        return session.locale if session is not None else "en"

    def _locale_slot(self, address: str) -> bytes:
        return hashlib.blake2b(address.encode(), key=self._locale_key, digest_size=16).digest()

    def remember_locale(self, address: str, locale: str) -> None:
        contact = self._locale_slot(address)
        self._locales[contact] = locale
        self._locales.move_to_end(contact)
        while len(self._locales) > LOCALE_CACHE_SIZE:
            self._locales.popitem(last=False)

    def known_locale(self, address: str, text: str = "") -> str:
        """The parent's language without Redis: last seen here, else a greeting's, else "en"."""
        cached = self._locales.get(self._locale_slot(address))
        if cached is not None:
            return cached
        return self.engine.keywords.language_of_greeting(fold(text[:500])) or "en"

    def gettext(self, locale: str, message: str) -> str:
        return self.engine.translator.gettext(locale, message)

    async def _run_hooks(self, handled: Handled) -> None:
        for hook in self.hooks:
            try:
                await hook(handled)
            except Exception:  # a failing hook must not lose the reply already saved
                self.metrics.errors.labels("hook").inc()
                log.exception(
                    "event hook failed",
                    extra={"event": "hook_failed", "contact": self.contact_id(handled.address)},
                )

    def _count_events(self, handled: Handled) -> None:
        types = [type(event).__name__ for event in handled.events]
        for name in types:
            self.metrics.events.labels(name).inc()
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "engine events",
                extra={
                    "event": "engine_events",
                    "contact": self.contact_id(handled.address),
                    "channel": handled.channel,
                    "event_types": types,
                },
            )
