"""Values that vanish at their deadline on an injected clock: how the memory twins of the
stores (dashboard access, reminder records) stand in for keys with a TTL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass(slots=True)
class Expiring(Generic[V]):
    """Values that vanish at their deadline, like keys with a TTL."""

    clock: Callable[[], float]
    values: dict[str, tuple[V, float | None]] = field(default_factory=dict)

    def get(self, key: str) -> V | None:
        found = self.values.get(key)
        if found is None:
            return None
        value, deadline = found
        if deadline is not None and deadline <= self.clock():
            del self.values[key]
            return None
        return value

    def put(self, key: str, value: V, ttl_s: float | None = None) -> None:
        self.values[key] = (value, None if ttl_s is None else self.clock() + ttl_s)

    def keep(self, key: str, value: V, ttl_s: float) -> None:
        """Set `value`; a new key lives `ttl_s`, a live one keeps its deadline (EXPIRE NX)."""
        if self.get(key) is None:
            self.put(key, value, ttl_s)
        else:
            self.values[key] = (value, self.values[key][1])

    def pop(self, key: str) -> V | None:
        value = self.get(key)
        self.values.pop(key, None)
        return value

    def keys(self) -> list[str]:
        return [key for key in list(self.values) if self.get(key) is not None]
