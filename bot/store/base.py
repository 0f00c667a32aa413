"""What the service needs from storage: one contract, kept by the Redis and the memory store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.engine.events import Event
from bot.engine.session import Session

# The pure step the store runs inside its lock: old session -> (new session, replies, events).
Apply = Callable[[Session], tuple[Session, list[str], list[Event]]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What handling one inbound message produced. `duplicate`: a retried message id, replayed."""

    replies: list[str]
    events: list[Event] = field(default_factory=list)
    duplicate: bool = False
    session: Session | None = None


class ConversationStore(Protocol):
    """Sessions and plans per contact, handled one message at a time per contact."""

    async def transact(self, address: str, message_id: str | None, apply: Apply) -> Outcome:
        """Dedupe message_id, lock the contact, load, apply, save session+plan+events, unlock.

        `address` is an E.164 phone number or a channel address such as "web:<id>".
        A message_id seen before returns the stored replies with duplicate=True and changes
        nothing. Raises bot.errors.StoreUnavailable when storage does not answer in time.
        """
        ...

    async def load(self, address: str) -> Session | None: ...

    async def record_delivery(self, address: str, message_sid: str, status: dict[str, Any]) -> bool:
        """Keep a text's latest status; False, writing nothing, for a contact that does not
        exist (never seen, or erased: a late callback must not bring its keys back)."""
        ...

    async def deliveries(self, address: str) -> dict[str, dict[str, Any]]: ...

    async def push_dev_outbox(self, address: str, text: str) -> None: ...

    async def dev_outbox(self, address: str, limit: int = 50) -> Sequence[str]: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
