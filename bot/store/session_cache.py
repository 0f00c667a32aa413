"""What this process last wrote for a contact, so its next text can be applied before asking
Redis anything and written in one round trip (the QUICK script, bot/store/store_scripts.py).

Nothing here is trusted: the script writes only when the contact's lock, session and plan
in Redis are still exactly what this entry says this process left (the lock "done:<our
token>", the nonces of the two sealed values). Anything else (another process's text, an
erasure, an entry gone stale) makes the call take the lock as BEGIN does, and the text is
applied again to what Redis holds. A wrong entry costs time, never a wrong answer.

Plaintext stays in memory only as long as the session would anyway in a busy process: a
few thousand contacts at most, each for minutes (`StoreLimits.session_cache_*`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from bot.engine.session import Session
from bot.store.crypto import NONCE_BYTES, json_value


def nonce_of(sealed: bytes) -> bytes:
    """A sealed value's nonce (after its key-version byte): new each time it is sealed."""
    return sealed[1 : 1 + NONCE_BYTES]


@dataclass(frozen=True, slots=True)
class Written:
    """One contact's state as this process's last commit left it."""

    lock: bytes  # "done:<token>"
    session_text: bytes  # the session's position JSON, as sealed
    plan_text: bytes  # the plan's JSON, as sealed (or as it was stored, when unchanged)
    session_nonce: bytes
    plan_nonce: bytes
    at: float  # the event loop's clock

    def session(self) -> Session:
        """A fresh Session (apply may change it in place: the entry stays as written)."""
        return Session.from_json(json_value(self.session_text), json_value(self.plan_text))


class SessionCache:
    """The last `size` contacts this process wrote, each kept at most `max_age_s`."""

    def __init__(self, size: int, max_age_s: float) -> None:
        self._size = size
        self._max_age_s = max_age_s
        self._entries: OrderedDict[str, Written] = OrderedDict()

    def get(self, contact: str, now: float) -> Written | None:
        entry = self._entries.get(contact)
        if entry is None:
            return None
        if now - entry.at > self._max_age_s:
            del self._entries[contact]
            return None
        return entry

    def put(self, contact: str, entry: Written) -> None:
        if self._size <= 0:
            return
        self._entries[contact] = entry
        self._entries.move_to_end(contact)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def drop(self, contact: str) -> None:
        self._entries.pop(contact, None)

    def clear(self) -> None:
        self._entries.clear()
