"""A send attempt's journal: what a text's sender writes down right before a request to
Twilio, so that a process taking over from a dead one knows whether to ask Twilio.

Twilio's Messages create takes no idempotency key. A caller that must text once (a due
reminder) claims the text, then sends inside `journaled(journal)`: the Twilio sender calls
`note_request(to, body)` before each create request, and the journal records it (and may
refuse: the attempt was taken over, so nothing goes). A takeover that finds no request noted
knows nothing reached Twilio and sends; one that finds a request lists Twilio's messages
(`TwilioSender.sent_since`) and sends only if none matches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

import aiohttp
from twilio.base.exceptions import TwilioRestException

from bot.errors import SafeStartError


class Journal(Protocol):
    async def before_request(self, to: str, body: str | None) -> None:
        """Record a create request about to go to `to` (`body` None: a template). Raises
        AttemptLost if the attempt is no longer this one's to make."""
        ...


class AttemptLost(SafeStartError):
    """Another process took the text over: this one sends nothing."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message Twilio holds from us, as its Messages list gives it."""

    sid: str
    to: str
    body: str


_current: ContextVar[Journal | None] = ContextVar("send_journal", default=None)


@contextmanager
def journaled(journal: Journal) -> Iterator[None]:
    """Sends awaited inside this block note their requests in `journal`."""
    token = _current.set(journal)
    try:
        yield
    finally:
        _current.reset(token)


async def note_request(to: str, body: str | None) -> None:
    """Called by the Twilio sender right before a create request (no journal: nothing)."""
    journal = _current.get()
    if journal is not None:
        await journal.before_request(to, body)


def outcome_unknown(exc: BaseException) -> bool:
    """A send that failed this way may still have reached Twilio (no answer, a cut
    connection, Twilio's own 5xx): only a look at its Messages list can tell."""
    if isinstance(exc, TwilioRestException):
        return bool(exc.status >= 500)
    return isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError)
