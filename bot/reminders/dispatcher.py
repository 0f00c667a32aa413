"""Reads due reminders from the stream, checks they may still go, and sends each once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.channels.attempts import AttemptLost, journaled, outcome_unknown
from bot.channels.outbound import Sender
from bot.engine.events import Event
from bot.engine.session import Session
from bot.engine.texts import Translator
from bot.errors import StoreError
from bot.reminders.planner import Planner
from bot.reminders.prefs import profile, suppression
from bot.reminders.ratelimit import Priority, TokenBucket
from bot.reminders.reach import Reach
from bot.reminders.rules import OFFER_GRACE, Drop, decide
from bot.reminders.sending import IN_FLIGHT, UNSURE, SendOnce, SentLookup
from bot.reminders.store import is_offer_item
from bot.reminders.texts import render_offer, render_reminder
from bot.scheduling.loops import keep_stepping, stop_if_cancelled
from bot.store.client import until_redis_answers
from bot.store.keys.reminders import parse_job_id
from bot.store.redis_calls import TRANSIENT_ERRORS
from bot.store.send_claims import FAILED, SENT
from bot.store.streams import StreamGroup

log = logging.getLogger(__name__)

GROUP = "dispatch"
# Engine.note_reminder(session, reminder_id, kind, at, now) -> session: after a reminder is
# texted, C / R / RIDE in the parent's next messages answer it (the engine's contract).
NoteReminder = Callable[[Session, str, str, datetime, datetime], Session]


@dataclass(frozen=True, slots=True)
class Due:
    """One due entry: which job, about which occurrence, planned for when."""

    entry_id: str
    job_id: str
    occurrence: datetime
    planned: datetime

    @classmethod
    def parse(cls, entry_id: Any, fields: Mapping[bytes, bytes]) -> Due:
        ident = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
        return cls(
            ident,
            fields[b"job"].decode(),
            datetime.fromisoformat(fields[b"occurrence"].decode()),
            datetime.fromisoformat(fields[b"planned"].decode()),
        )


@dataclass(frozen=True, slots=True)
class _Item:
    kind: str
    grace: timedelta
    place: str | None
    offer: str | None  # the milestone, for standard-schedule offers


class Dispatcher:
    """Consumer of the due stream. Runs in the leader only, so one process paces one sender.

    Outcomes (returned by handle(), logged with ids only): "sent", "sent:found" (a dead
    attempt's text found at Twilio), "duplicate", "gone", "suppressed:<why>",
    "dropped:<why>", "failed"; and two that leave the entry pending: "in_flight", "unsure"
    (bot/reminders/sending.py).
    """

    def __init__(
        self,
        *,
        group: StreamGroup,
        planner: Planner,
        sender: Sender,
        bucket: TokenBucket,
        translator: Translator,
        claim_idle: timedelta = timedelta(seconds=30),
        block_ms: int = 1000,
        concurrency: int = 8,
        note_reminder: NoteReminder | None = None,
        reach: Reach | None = None,
        lookup: SentLookup | None = None,
        send_stale: timedelta = timedelta(seconds=60),
    ) -> None:
        self._group = group  # on the due stream (scheduler.keys.due), group "dispatch"
        self.planner = planner
        self.store = planner.store
        self._sender = sender
        self._bucket = bucket
        self._translator = translator
        self._claim_idle_ms = int(claim_idle.total_seconds() * 1000)
        self._block_ms = block_ms
        self._running = False
        if concurrency < 1:
            raise ValueError("concurrency must be positive")
        self._concurrency = concurrency
        self._note_reminder = note_reminder
        self.reach = reach or Reach(planner.store, planner.conversations, planner.default_timezone)
        # `lookup` lists what Twilio sent (the Twilio sender); `send_stale` must outlast a
        # create request's timeout (10 s), or a slow attempt could be taken over mid-send.
        self.once = SendOnce(planner.store, lookup, send_stale)

    def request_stop(self) -> None:
        """End run() after the current round, even if a cancellation gets lost (see wiring)."""
        self._running = False

    async def ensure_group(self) -> None:
        await self._group.ensure_group()

    async def run(self) -> None:
        """Until cancelled: first what a dead leader left pending, then new entries."""
        self._running = True
        await until_redis_answers(self.ensure_group, "reminder dispatch")
        await keep_stepping(self.step, lambda: self._running, "reminder dispatch")

    async def step(self, *, block: bool = True) -> int:
        """One round: reclaim stale entries, read new ones, handle them. Returns how many.

        At most `batch` entries per read, handled by `concurrency` workers, with a turn of the
        event loop after each batch: a backlog of 10,000 is drained 100 at a time, never by
        one step that creates a task per entry."""
        handled = await self._handle_batch(await self._group.claim_idle(self._claim_idle_ms))
        stop_if_cancelled()  # before blocking: a cancel may have been swallowed above
        fresh = await self._group.read_new(self._block_ms if block else None)
        return handled + await self._handle_batch(fresh)

    async def _handle_batch(self, entries: list[Any]) -> int:
        """A few at a time: each reminder is several round trips, mostly waiting on Redis.

        `concurrency` workers take the batch's entries in order (no task per entry). An
        entry whose Redis call fails stays pending (reclaimed later); the others go on, and
        the first such error is raised once the batch is done."""
        live = [(entry_id, fields) for entry_id, fields in entries if fields]
        if not live:
            return 0
        queue = iter(live)
        errors: list[Exception] = []

        async def work() -> None:
            for entry_id, fields in queue:
                try:
                    await self._handle_and_ack(entry_id, fields)
                except Exception as exc:  # raised after the batch, below
                    errors.append(exc)

        workers = min(self._concurrency, len(live))
        if workers == 1:
            await work()
        else:
            await asyncio.gather(*(work() for _ in range(workers)))
        if errors:
            raise errors[0]
        await asyncio.sleep(0)  # the loop's other work gets a turn between batches
        return len(live)

    async def _handle_and_ack(self, entry_id: Any, fields: Mapping[bytes, bytes]) -> None:
        due = Due.parse(entry_id, fields)
        try:
            outcome = await self.handle(due)
        except TRANSIENT_ERRORS:
            raise  # left pending: reclaimed and retried; the sent guard prevents a repeat
        except Exception:
            log.exception("reminder dispatch failed", extra={"job": due.job_id})
            outcome = "failed"
        log.info(
            "reminder %s",
            outcome,
            extra={"event": "reminder_dispatch", "job": due.job_id, "outcome": outcome},
        )
        if outcome in (IN_FLIGHT, UNSURE):
            return  # left pending: taken again after claim_idle, settled once stale
        await self._group.ack([due.entry_id])
        try:
            await self.planner.after_dispatch(due.job_id)
        except Exception:
            log.exception("re-planning after a reminder failed", extra={"job": due.job_id})

    async def _item(self, contact: str, item: str) -> _Item | None:
        if is_offer_item(item):
            series = await self.store.offer_series(contact, item)
            offer = await self.store.offer(contact, series) if series else None
            if offer is None:
                return None
            return _Item(offer.kind, OFFER_GRACE, None, offer.milestone)
        appointment = await self.store.get(contact, item)
        if appointment is None or appointment.status == "cancelled":
            return None
        if appointment.status == "reschedule_requested" and appointment.repeat == "once":
            return None  # the care team sets a new time (same id) and reminders resume
        grace = self.planner.timing.rules_for(appointment.kind).grace
        return _Item(appointment.kind, grace, appointment.place, None)

    async def handle(self, due: Due) -> str:
        contact, item_id, _ = parse_job_id(due.job_id)
        address = await self.planner.conversations.address_of(contact)
        if address is None:
            # Erased while this was on its way (or a job that outlived its contact): take
            # the entries left about it, this one too, off the program-wide structures.
            await self.planner.forget(contact)
            return "gone"
        item = await self._item(contact, item_id)
        if item is None:
            return "gone"
        # Checked before waiting for a token (no token spent on what will not go) and again
        # right before sending: a STOP that arrived while we waited wins.
        verdict = await self._check(address, item, due)
        if verdict is not None:
            return verdict
        await self._bucket.acquire(Priority.BULK)
        session = await self.planner.conversations.load(address)
        verdict = await self._check(address, item, due, session=session, loaded=True)
        if verdict is not None:
            return verdict
        occurrence = due.occurrence.isoformat()
        claim, attempt = await self.once.take(due.job_id, occurrence)
        if claim.state == "done":
            return "duplicate"
        if claim.state == "busy":
            return IN_FLIGHT
        now = self.planner.clock()
        try:
            sid = await self.once.went_out(claim, address) if claim.state == "taken" else None
        except Exception:
            log.warning(
                "could not ask Twilio about a reminder", extra={"job": due.job_id}, exc_info=True
            )
            return UNSURE
        outcome = "sent:found"
        if sid is None:
            outcome = "sent"
            text = self._render(session, item, due, now)
            journal = self.once.journal(due.job_id, occurrence, attempt, address)
            try:
                with journaled(journal):
                    sid = await self._sender.send(address, text)
            except AttemptLost:
                return IN_FLIGHT
            except Exception as exc:
                if outcome_unknown(exc) or isinstance(exc, TRANSIENT_ERRORS):
                    # No answer from Twilio, or Redis away while noting the request (then
                    # none was made): settled by the next taker once the claim is stale.
                    log.warning("reminder send unanswered", extra={"job": due.job_id})
                    return UNSURE
                log.warning("reminder send failed", extra={"job": due.job_id}, exc_info=True)
                await self.store.finish_send(due.job_id, occurrence, attempt, FAILED)
                await self.reach.failed(address, f"{due.job_id}@{occurrence}", now)
                return "failed"
        await self.store.finish_send(due.job_id, occurrence, attempt, SENT)
        await self.store.record_sent(contact, item_id, occurrence, sid, now)
        if item.offer is not None:
            await self.store.mark_offered(contact, item.offer)
        else:
            await self._note(address, item_id, item.kind, due.occurrence, now)
        return outcome

    def _render(self, session: Session | None, item: _Item, due: Due, now: datetime) -> str:
        prof = profile(session, self.planner.default_timezone)
        if item.offer is not None:
            return render_offer(
                self._translator, prof.locale, kind=item.kind, detailed=prof.detailed
            )
        return render_reminder(
            self._translator,
            prof.locale,
            kind=item.kind,
            starts=due.occurrence,
            tz=prof.tz,
            now=now,
            detailed=prof.detailed,
            place=item.place,
        )

    async def _note(
        self, address: str, item_id: str, kind: str, starts: datetime, now: datetime
    ) -> None:
        """Mark the reminder in the session so the engine reads C / R / RIDE as replies."""
        note = self._note_reminder
        if note is None:
            return

        def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
            return note(session, item_id, kind, starts, now), [], []

        try:
            await self.planner.conversations.transact(address, None, apply)
        except StoreError:
            # Sent already; the parent's C would then read as an ordinary answer. Logged.
            log.warning("could not note the reminder in the session", exc_info=True)

    async def _check(
        self,
        address: str,
        item: _Item,
        due: Due,
        *,
        session: Session | None = None,
        loaded: bool = False,
    ) -> str | None:
        if not loaded:
            session = await self.planner.conversations.load(address)
        why = suppression(session)
        if why is not None:
            return f"suppressed:{why}"
        prof = profile(session, self.planner.default_timezone)
        # For an offer the occurrence is when its milestone closes (see Planner.sync_offers).
        decision = decide(
            self.planner.clock(),
            due.planned,
            due.occurrence,
            item.grace,
            prof.tz,
            self.planner.timing,
        )
        if isinstance(decision, Drop):
            return f"dropped:{decision.reason}"
        return None
