"""What the service needs from storage: one contract, kept by the Redis and the memory store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.engine.events import Event
from bot.engine.session import Session

# The pure step the store runs inside its lock: old session -> (new session, replies, events).
# It may run more than once for one message (first on what this process last wrote, then on
# what is stored, when they differ): only the result that was saved is kept and answered.
Apply = Callable[[Session], tuple[Session, list[str], list[Event]]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What handling one inbound message produced. `duplicate`: a retried message id, replayed."""

    replies: list[str]
    events: list[Event] = field(default_factory=list)
    duplicate: bool = False
    session: Session | None = None
    # Past the contact's flood limit: how many texts past it this one is (1: the first, to
    # be told kindly; more: silence). The engine did not run and nothing was saved.
    over_limit: int = 0


@dataclass(frozen=True, slots=True)
class FloodLimit:
    """At most `limit` texts per contact in each fixed window of `window_s` seconds; `at` is
    the message's time (the window it counts in)."""

    limit: int
    window_s: int
    at: float

    @property
    def window(self) -> int:
        return int(self.at // self.window_s)


class ConversationStore(Protocol):
    """Sessions and plans per contact, handled one message at a time per contact."""

    async def transact(
        self,
        address: str,
        message_id: str | None,
        apply: Apply,
        *,
        flood: FloodLimit | None = None,
    ) -> Outcome:
        """Dedupe message_id, lock the contact, load, apply, save session+plan+events, unlock.

        With `flood`, the message is counted against the contact's limit in the same round
        trip as the dedupe; past it, nothing runs and Outcome.over_limit says by how much.

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
