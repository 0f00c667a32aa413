"""What every "exactly one process does this" needs of a lease: kept by `Lease` on Redis
(bot/store/lease.py) and `MemoryLease` in memory (below); both pass
tests/store/test_lease_contract.py.

A lease is taken only when free (or already ours), extended and given back only by its
holder (named by its token), and runs out on its own when its holder stops extending it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.store.lease import Held

__all__ = ["Held", "LeaseHandle", "MemoryLease", "MemoryLeases"]


class LeaseHandle(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def token(self) -> str: ...

    async def acquire(self) -> bool:
        """Take the lease if it is free (or ours already)."""
        ...

    async def renew(self) -> bool:
        """Extend the lease if it is still ours."""
        ...

    async def hold(self) -> Held:
        """Take the lease if free or extend it if ours, in one step."""
        ...

    async def release(self) -> None:
        """Give the lease back if it is still ours (else it is another's: leave it)."""
        ...


@dataclass(slots=True)
class _Holder:
    token: str
    until_s: float


class MemoryLeases:
    """Every lease of one memory store, by key, on an injected clock (seconds)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._held: dict[str, _Holder] = {}
        self._tokens = 0

    def lease(self, key: str, ttl: timedelta, token: str | None = None) -> MemoryLease:
        if token is None:
            self._tokens += 1
            token = f"memory-{self._tokens}"
        return MemoryLease(self, key, ttl, token)

    def holder(self, key: str) -> str | None:
        """The token holding `key` now (None: free, or run out)."""
        held = self._held.get(key)
        if held is None or held.until_s <= self.clock():
            self._held.pop(key, None)
            return None
        return held.token

    def take(self, key: str, token: str, ttl_s: float) -> None:
        self._held[key] = _Holder(token, self.clock() + ttl_s)

    def free(self, key: str) -> None:
        self._held.pop(key, None)


class MemoryLease:
    """LeaseHandle over MemoryLeases: one process's leases, as one Redis would keep them."""

    def __init__(self, leases: MemoryLeases, key: str, ttl: timedelta, token: str) -> None:
        self._ttl_s = ttl.total_seconds()
        if int(self._ttl_s * 1000) < 1:
            raise ValueError("a lease must last")
        self._leases = leases
        self.key = key
        self.token = token

    async def acquire(self) -> bool:
        return await self.hold() is not Held.BY_ANOTHER

    async def renew(self) -> bool:
        if self._leases.holder(self.key) != self.token:
            return False
        self._leases.take(self.key, self.token, self._ttl_s)
        return True

    async def hold(self) -> Held:
        holder = self._leases.holder(self.key)
        if holder is not None and holder != self.token:
            return Held.BY_ANOTHER
        self._leases.take(self.key, self.token, self._ttl_s)
        return Held.NEWLY if holder is None else Held.STILL

    async def release(self) -> None:
        if self._leases.holder(self.key) == self.token:
            self._leases.free(self.key)
