"""Flood limits behind one interface: counters per fixed window, distinct members per
window, once per window. The Redis `Limiter` (limiter.py) and the in-memory twin
(limits_memory.py) run through the same contract suite (tests/store/test_limiter_contract.py).

Windows are fixed (`now // window_s`); limits only need to hold "about N per window"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Count:
    """How many hits the window holds, this one included."""

    count: int

    def over(self, limit: int) -> bool:
        return self.count > limit


class Limits(Protocol):
    async def hit(self, name: str, key: str, window_s: int, now: float) -> Count:
        """Count one hit for `key` in the current window of `window_s` seconds."""
        ...

    async def admit(
        self, name: str, key: str, member: str, limit: int, window_s: int, now: float
    ) -> bool:
        """Whether `member` is among the first `limit` distinct members of `key` this window
        (one already admitted stays admitted for the window)."""
        ...

    async def once(self, name: str, key: str, window_s: float, holder: str = "") -> bool:
        """True the first time in `window_s` seconds (from this call on) for `key`.

        With a `holder`, the slot remembers who took it: that holder gets True again within
        the window (a retry of the same work), anyone else False. Without one, only the first
        call gets True, and the slot is held by no one who could ask again."""
        ...


class PageGate:
    """On-call is paged once per parent, kind of alert (crisis, handoff) and reason per
    window: the delivery router asks before it makes the alert's jobs; the flood guard takes
    the slot itself for a handoff request over its client's limit, so that one is not paged.
    The reason keeps each promise: a RIDE after a TALK (or a suicide text after a relapse
    one) is a new request the bot said the team would hear of, never swallowed."""

    def __init__(self, limiter: Limits, window_s: float) -> None:
        self._limiter = limiter
        self.window_s = window_s

    async def first(self, contact: str, kind: str, reason: str = "", holder: str = "") -> bool:
        """True for the first alert of this kind and reason for this parent in the window.

        `holder` (the outbox entry id) is who asks: that entry read again after a crash
        between this call and its alert's jobs gets True again, so its page is not lost."""
        if self.window_s <= 0:
            return True
        key = f"{contact}|{kind}|{reason}" if reason else f"{contact}|{kind}"
        return await self._limiter.once("page", key, self.window_s, holder)
