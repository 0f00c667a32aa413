"""ConversationStore in process memory: the terminal's store and the contract suite's twin."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.engine.session import Session
from bot.errors import StoreUnavailable
from bot.store.base import Apply, FloodLimit, Outcome
from bot.store.events_codec import decode_event, encode_event, event_type
from bot.store.keys import OUTBOX_STREAM, KeyBuilder
from bot.store.outbox import OutboxEntry
from bot.store.stream_memory import MemoryStreams

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
    """Same behaviour as the Redis store, minus durability and encryption.

    Events go, in commit order, to the `outbox_stream` of `streams` (shared with the memory
    workers that read it; entry ids from its clock), their fields as Redis keeps them but
    the event in clear."""

    def __init__(self, *, lock_wait_s: float = 10.0, streams: MemoryStreams | None = None) -> None:
        self._contacts: dict[str, _Contact] = {}
        self._lock_wait_s = lock_wait_s
        self._ids = KeyBuilder(secrets.token_bytes(32))
        self._addresses: dict[str, str] = {}  # contact id -> address, once it saved something
        self.streams = streams or MemoryStreams(lambda: 0.0)

    def _contact(self, address: str) -> _Contact:
        return self._contacts.setdefault(address, _Contact())

    def contact_of(self, address: str) -> str:
        return self._ids.contact_id(address)

    @property
    def outbox_stream(self) -> str:
        return OUTBOX_STREAM

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
            contact_id = self.contact_of(address)
            self._addresses[contact_id] = address
            outbox = self.streams.stream(OUTBOX_STREAM)
            for event in events:
                fields: dict[str, bytes | str] = {"contact": contact_id, "type": event_type(event)}
                fields["data"] = encode_event(event)
                outbox.add(fields)
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

    async def address_of(self, contact: str) -> str | None:
        address = self._addresses.get(contact)
        return address if address is not None and await self.load(address) else None

    async def load_contact(self, contact: str) -> Session | None:
        address = self._addresses.get(contact)
        return None if address is None else await self.load(address)

    async def load_contacts(self, contacts: Sequence[str]) -> dict[str, Session]:
        found = {contact: await self.load_contact(contact) for contact in contacts}
        return {contact: session for contact, session in found.items() if session is not None}

    async def contacts(self, batch: int = 500) -> AsyncIterator[str]:
        for contact, address in list(self._addresses.items()):
            stored = self._contacts.get(address)
            if stored is not None and stored.plan is not None:
                yield contact

    async def read_outbox(self, start: str = "-", count: int = 100) -> list[OutboxEntry]:
        entries = self.streams.stream(OUTBOX_STREAM).range(start, "+", count)
        return [
            OutboxEntry(
                entry_id, f[b"contact"].decode(), f[b"type"].decode(), decode_event(f[b"data"])
            )
            for entry_id, f in entries
        ]

    async def erase_contact(self, contact: str, batch: int = 500) -> int:
        if not KeyBuilder.is_contact_id(contact):
            raise ValueError("not a contact id")
        address = self._addresses.pop(contact, None)
        stored = self._contacts.pop(address, None) if address is not None else None
        if stored is None:
            return 0
        kept = [stored.session, stored.plan, address, stored.replies, stored.deliveries]
        return sum(1 for value in [*kept, stored.dev_outbox, stored.flood] if value)

    async def erase_outbox(self, contact: str, until: str, batch: int = 2000) -> int:
        outbox = self.streams.stream(OUTBOX_STREAM)
        wanted = contact.encode()
        doomed = [i for i, f in outbox.range("-", until) if f.get(b"contact") == wanted]
        return outbox.delete(doomed)

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
