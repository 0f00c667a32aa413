"""Delivery outcomes -> the care team's "can't reach" flag (never an unsubscribe).

Twilio's status callback (and a send the API refused) reports each failed text here. Three
failed texts on three different days, by the parent's own calendar, with no delivered text
in between, set `plan.flags["cant_reach"]` and emit CantReach once; while the flag stands
nothing more is raised. A delivered text starts the count again; the flag stays until a
care-team member clears it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.engine.events import CantReach, Event
from bot.engine.session import Session
from bot.engine.today import local_today
from bot.errors import StoreUnavailable
from bot.reminders.planner import Conversations
from bot.reminders.store import ReminderStore
from bot.store.redis_calls import TRANSIENT_ERRORS

log = logging.getLogger(__name__)

FLAG = "cant_reach"
CANT_REACH_DAYS = 3
# Twilio's MessageStatus values: the final failures, and proof that a text arrived.
FAILED = frozenset({"failed", "undelivered"})
DELIVERED = frozenset({"delivered", "read"})


def raise_flag(
    session: Session, now: datetime, failures: int, days: int
) -> tuple[Session, list[str], list[Event]]:
    """The pure change: flag the plan and tell the care team, unless the flag stands."""
    if FLAG in session.plan.flags:
        return session, [], []
    changed = session.copy()
    changed.plan.flags[FLAG] = now.isoformat()
    return changed, [], [CantReach(failures=failures, days=days)]


class Reach:
    """Counts failed texts per contact and raises the flag through the conversation store."""

    def __init__(
        self, store: ReminderStore, conversations: Conversations, default_timezone: str
    ) -> None:
        self._store = store
        self._conversations = conversations
        self._default_timezone = default_timezone

    async def delivery_status(
        self, address: str, message_sid: str, status: str, now: datetime
    ) -> CantReach | None:
        """One status callback; StoreUnavailable when Redis does not answer (Twilio retries)."""
        try:
            if status in DELIVERED:
                await self._store.clear_failures(self._conversations.keys_for(address).contact)
                return None
            if status in FAILED:
                return await self.failed(address, message_sid, now)
        except TRANSIENT_ERRORS as exc:
            raise StoreUnavailable("redis did not answer (delivery status)") from exc
        return None

    async def failed(self, address: str, message_id: str, now: datetime) -> CantReach | None:
        """One failed text; the CantReach it raised, if this one raised the flag."""
        session = await self._conversations.load(address)
        if session is None:
            return None  # nobody (or erased): nothing to count, nothing to flag
        contact = self._conversations.keys_for(address).contact
        day = local_today(now, session.timezone, self._default_timezone)
        failures, days = await self._store.record_failure(contact, message_id, day)
        if days < CANT_REACH_DAYS or FLAG in session.plan.flags:
            return None
        raised: list[CantReach] = []

        def apply(current: Session) -> tuple[Session, list[str], list[Event]]:
            changed, replies, events = raise_flag(current, now, failures, days)
            raised.extend(e for e in events if isinstance(e, CantReach))
            return changed, replies, events

        await self._conversations.transact(address, None, apply)
        if raised:
            log.warning(
                "contact unreachable: care team flagged",
                extra={"event": "cant_reach", "contact": contact, "days": days},
            )
        return raised[0] if raised else None
