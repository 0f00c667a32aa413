"""ConversationStore in process memory: the terminal's store and the contract suite's twin."""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.engine.events import Event
from bot.engine.session import Session
from bot.errors import StoreUnavailable
from bot.store.base import Apply, FloodLimit, Outcome

# Bounds that stand in for Redis TTLs: memory must not grow without end in a long chat.
_REPLY_CACHE = 10_000
_DEV_OUTBOX_CAP = 200


@dataclass(slots=True)
class _Contact:
    # JSON text, not live objects: apply() gets a fresh copy, as it does from Redis, so an
    # apply that mutates and then raises leaves nothing behind.
    session: str | None = None
    plan: str | None = None
    replies: OrderedDict[str, list[str]] = field(default_factory=OrderedDict)
    deliveries: dict[str, str] = field(default_factory=dict)
    dev_outbox: deque[str] = field(default_factory=lambda: deque(maxlen=_DEV_OUTBOX_CAP))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    flood: dict[int, int] = field(default_factory=dict)  # window -> texts counted


class MemoryConversationStore:
    """Same behaviour as the Redis store, minus durability and encryption."""

    def __init__(self, *, lock_wait_s: float = 10.0) -> None:
        self._contacts: dict[str, _Contact] = {}
        self._lock_wait_s = lock_wait_s
        # (address, event) in commit order: what the Redis store appends to outbox:events.
        self.outbox: list[tuple[str, Event]] = []

    def _contact(self, address: str) -> _Contact:
        return self._contacts.setdefault(address, _Contact())

    def lock_for(self, address: str) -> asyncio.Lock:
        """The per-contact lock, for tests that need to hold a contact busy."""
        return self._contact(address).lock

    async def transact(
        self,
        address: str,
        message_id: str | None,
        apply: Apply,
        *,
        flood: FloodLimit | None = None,
    ) -> Outcome:
        contact = self._contact(address)
        if message_id is not None and message_id in contact.replies:
            return Outcome(replies=list(contact.replies[message_id]), duplicate=True)
        if flood is not None:
            counted = contact.flood.get(flood.window, 0) + 1
            contact.flood = {flood.window: counted}
            if counted > flood.limit:
                session = self._open(contact) if contact.session or contact.plan else None
                return Outcome(replies=[], session=session, over_limit=counted - flood.limit)
        try:
            async with asyncio.timeout(self._lock_wait_s):
                await contact.lock.acquire()
        except TimeoutError:
            raise StoreUnavailable(
                "another message for this contact held the lock too long"
            ) from None
        try:
            if message_id is not None and message_id in contact.replies:
                return Outcome(replies=list(contact.replies[message_id]), duplicate=True)
            session, replies, events = apply(self._open(contact))
            contact.session = json.dumps(session.position_json())
            contact.plan = json.dumps(session.plan.to_json())
            if message_id is not None:
                contact.replies[message_id] = list(replies)
                if len(contact.replies) > _REPLY_CACHE:
                    contact.replies.popitem(last=False)
            self.outbox.extend((address, event) for event in events)
            return Outcome(replies=replies, events=list(events), session=session)
        finally:
            contact.lock.release()

    @staticmethod
    def _open(contact: _Contact) -> Session:
        position = json.loads(contact.session) if contact.session else {}
        plan = json.loads(contact.plan) if contact.plan else {}
        return Session.from_json(position, plan)

    async def load(self, address: str) -> Session | None:
        contact = self._contacts.get(address)
        if contact is None or (contact.session is None and contact.plan is None):
            return None
        return self._open(contact)

    async def record_delivery(self, address: str, message_sid: str, status: dict[str, Any]) -> bool:
        contact = self._contacts.get(address)
        if contact is None or (contact.session is None and contact.plan is None):
            return False  # no such contact (never seen, or erased): nothing is written
        contact.deliveries[message_sid] = json.dumps(status)
        return True

    async def deliveries(self, address: str) -> dict[str, dict[str, Any]]:
        contact = self._contacts.get(address)
        if contact is None:
            return {}
        return {sid: json.loads(raw) for sid, raw in contact.deliveries.items()}

    async def push_dev_outbox(self, address: str, text: str) -> None:
        self._contact(address).dev_outbox.append(text)

    async def dev_outbox(self, address: str, limit: int = 50) -> Sequence[str]:
        """The newest `limit` texts, oldest first."""
        contact = self._contacts.get(address)
        if contact is None or limit <= 0:
            return []
        return list(contact.dev_outbox)[-limit:]

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None
