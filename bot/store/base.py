"""What the service needs from storage: one contract, kept by the Redis and the memory store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.engine.events import Event
from bot.engine.session import Session
from bot.store.outbox import OutboxEntry

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

    # A contact is named by its contact id wherever its address must not go: outbox entries,
    # links, the care team's records, logs. Stable for one store; reveals nothing.
    def contact_of(self, address: str) -> str: ...

    async def address_of(self, contact: str) -> str | None:
        """The address behind a contact id, for those who must text it; None once erased."""
        ...

    async def load_contact(self, contact: str) -> Session | None: ...

    async def load_contacts(self, contacts: Sequence[str]) -> dict[str, Session]:
        """Many contacts' sessions at once; the ones with nothing saved are left out."""
        ...

    def contacts(self, batch: int = 500) -> AsyncIterator[str]:
        """Every contact id with a saved plan, `batch` at a time."""
        ...

    @property
    def outbox_stream(self) -> str:
        """The name of the stream the events of every commit go to, in order: what the
        workers' consumer groups read and what an entry's sealed event is bound to."""
        ...

    async def read_outbox(self, start: str = "-", count: int = 100) -> list[OutboxEntry]:
        """The outbox's entries from entry id `start` on ("-": the first), opened."""
        ...

    async def erase_contact(self, contact: str, batch: int = 500) -> int:
        """DELETE MY DATA: everything kept for the contact goes (session, plan, address,
        deliveries, dev outbox, dedupe); how many records went. ValueError for what is not
        a contact id. A later text starts afresh."""
        ...

    async def erase_outbox(self, contact: str, until: str, batch: int = 2000) -> int:
        """Delete the contact's outbox entries up to entry id `until` (included); later ones
        (a fresh start) stay. How many went."""
        ...

    async def record_delivery(self, address: str, message_sid: str, status: dict[str, Any]) -> bool:
        """Keep a text's latest status; False, writing nothing, for a contact that does not
        exist (never seen, or erased: a late callback must not bring its keys back)."""
        ...

    async def deliveries(self, address: str) -> dict[str, dict[str, Any]]: ...

    async def push_dev_outbox(self, address: str, text: str) -> None: ...

    async def dev_outbox(self, address: str, limit: int = 50) -> Sequence[str]: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
