"""The flood limits in memory, on an injected clock: the twin of the Redis `Limiter` for
tests and single-process runs. Same fixed windows; a window's counts vanish when it ends,
a once-slot `window_s` after it was taken (as the Redis keys' TTLs do)."""

from __future__ import annotations

from collections.abc import Callable
from math import ceil

from bot.store.expiring import Expiring
from bot.store.keys.limits import LimitKeys
from bot.store.limits import Count


class MemoryLimits:
    def __init__(self, clock: Callable[[], float], id_key: bytes = b"", prefix: str = "") -> None:
        self._keys = LimitKeys(id_key, prefix)
        self._counts: Expiring[int] = Expiring(clock)
        self._members: Expiring[frozenset[str]] = Expiring(clock)
        self._slots: Expiring[str] = Expiring(clock)

    async def hit(self, name: str, key: str, window_s: int, now: float) -> Count:
        counter = self._keys.counter(name, key, int(now // window_s))
        count = (self._counts.get(counter) or 0) + 1
        self._counts.keep(counter, count, window_s + 1)
        return Count(count)

    async def admit(
        self, name: str, key: str, member: str, limit: int, window_s: int, now: float
    ) -> bool:
        members = self._keys.members(name, key, int(now // window_s))
        tag = self._keys.tag(member)
        admitted = self._members.get(members) or frozenset()
        if tag in admitted:
            return True
        if len(admitted) >= limit:
            return False
        self._members.put(members, admitted | {tag}, window_s + 1)
        return True

    async def once(self, name: str, key: str, window_s: float, holder: str = "") -> bool:
        marker = self._keys.once(name, key)
        taken = self._slots.get(marker)
        if taken is None:
            self._slots.put(marker, holder or "1", max(1, ceil(window_s)))
            return True
        return bool(holder) and taken == holder

    def names(self) -> list[str]:
        """The live key names, as Redis would list them."""
        return self._counts.keys() + self._members.keys() + self._slots.keys()
