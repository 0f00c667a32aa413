"""A Redis client that counts its round trips, for tests and benchmarks of the store."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from redis.asyncio import Connection, ConnectionPool, Redis

from bot.store.client import client_options


class RoundTripCounter:
    """How many times the client wrote to the server (each write awaits a reply)."""

    def __init__(self) -> None:
        self.count = 0

    def reset(self) -> int:
        """The count so far, then zero."""
        count, self.count = self.count, 0
        return count


class _CountingWriter:
    """The connection's stream writer, counting each write (all else passed through)."""

    def __init__(self, writer: Any, counter: RoundTripCounter) -> None:
        self._writer = writer
        self._counter = counter

    def write(self, data: bytes) -> None:
        self._counter.count += 1
        self._writer.write(data)

    def writelines(self, data: Iterable[bytes]) -> None:
        self._counter.count += 1
        self._writer.writelines(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)


class _CountingConnection(Connection):
    # Counting writes, not commands: a pipeline is one write, and so is one round trip.
    # Handshakes (HELLO, SELECT) and NOSCRIPT reloads are counted too, as they cost the same.
    # Counted at the stream, so the store's hot calls (which skip send_packed_command) count.
    def __init__(self, *, counter: RoundTripCounter, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._counter = counter

    async def _connect(self) -> None:
        await super()._connect()  # type: ignore[no-untyped-call]
        self._writer = _CountingWriter(self._writer, self._counter)  # type: ignore[assignment]


def counting_client(url: str, counter: RoundTripCounter) -> Redis:
    """Like client_for_url (TCP only), but every round trip adds one to `counter`."""
    pool = ConnectionPool.from_url(
        url, connection_class=_CountingConnection, counter=counter, **client_options()
    )
    return Redis.from_pool(pool)  # the client owns the pool: aclose() closes both
