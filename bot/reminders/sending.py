"""A due reminder texted once, even when the process sending it dies mid-send.

Twilio's Messages create takes no idempotency key, so "once" is kept around it. The
dispatcher claims the text for one attempt (a random id) before sending; the Twilio sender
notes each create request in the claim just before making it (bot/channels/attempts.py);
the claim is marked sent once Twilio answered. A process that finds the claim in flight
and untouched for `stale` presumes its attempt dead and takes it over:

- no request noted: nothing reached Twilio, so it sends;
- a request noted: it lists Twilio's messages to that number since the claim
  (`SentLookup.sent_since`) and sends only if none has the noted body; otherwise the text
  went, and it is marked sent.

A send that failed with no answer (a timeout, a cut connection, Twilio's 5xx) is left in
flight the same way, to be settled by the next taker. An attempt taken over while it was
only slow finds its next request refused (AttemptLost) and sends nothing.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.channels.attempts import AttemptLost, Outgoing
from bot.reminders.store import ReminderStore
from bot.store.send_claims import SendClaim

# Outcomes of Dispatcher.handle that leave the due entry pending (not acknowledged).
IN_FLIGHT = "in_flight"  # another attempt holds the claim and may still be sending
UNSURE = "unsure"  # whether the text reached Twilio is not known yet


class SentLookup(Protocol):
    async def sent_since(self, to: str, since: datetime) -> list[Outgoing]: ...


def other_form(address: str) -> str:
    """The same phone on the other channel: SMS number <-> WhatsApp chat."""
    if address.startswith("whatsapp:"):
        return address.removeprefix("whatsapp:")
    return f"whatsapp:{address}"


@dataclass(slots=True)
class ClaimJournal:
    """Notes an attempt's create requests in its claim (a `Journal`)."""

    store: ReminderStore
    job_id: str
    occurrence: str
    attempt: str
    address: str
    wall_ms: Callable[[], int]

    async def before_request(self, to: str, body: str | None) -> None:
        where = "a" if to == self.address else "b"
        request = where + self.store.send_tag(body)
        noted = await self.store.note_request(
            self.job_id, self.occurrence, self.attempt, self.wall_ms(), request
        )
        if not noted:
            raise AttemptLost("the reminder was taken over by another process")


def _wall_ms() -> int:
    return int(time.time() * 1000)


class SendOnce:
    """Claims, takeovers and the look at Twilio for one dispatcher. `wall_ms` is the
    machine's clock (claims age by it and Twilio dates by it), not the planner's."""

    def __init__(
        self,
        store: ReminderStore,
        lookup: SentLookup | None,
        stale: timedelta,
        wall_ms: Callable[[], int] = _wall_ms,
    ) -> None:
        self.store = store
        self.lookup = lookup
        self.stale_ms = int(stale.total_seconds() * 1000)
        self.wall_ms = wall_ms

    async def take(self, job_id: str, occurrence: str) -> tuple[SendClaim, str]:
        attempt = secrets.token_hex(8)
        claim = await self.store.take_send(
            job_id, occurrence, attempt, self.wall_ms(), self.stale_ms
        )
        return claim, attempt

    def journal(self, job_id: str, occurrence: str, attempt: str, address: str) -> ClaimJournal:
        return ClaimJournal(self.store, job_id, occurrence, attempt, address, self.wall_ms)

    async def went_out(self, claim: SendClaim, address: str) -> str | None:
        """The sid of a message a dead attempt's noted request made, if Twilio has one.
        None when no request was noted (nothing reached Twilio), or none matches."""
        wanted = set(claim.requests)
        if not wanted or self.lookup is None:
            return None
        since = datetime.fromtimestamp(claim.since_ms / 1000, UTC)
        for where, to in (("a", address), ("b", other_form(address))):
            if not any(request.startswith(where) for request in wanted):
                continue
            for message in await self.lookup.sent_since(to, since):
                if f"{where}*" in wanted or where + self.store.send_tag(message.body) in wanted:
                    return message.sid
        return None
