"""Streams and their consumer groups in process memory: the twin of Redis streams that
`GroupReader` reads (bot/store/stream_group.py), run through the same contract
(tests/store/test_stream_group.py).

An entry id is "<ms>-<seq>" as Redis makes them, from the injected clock; a group keeps the
last id it handed out and its pending entries (owner, when last delivered, how often).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.store.streams import Entry

log = logging.getLogger(__name__)

Clock = Callable[[], float]  # seconds since the epoch
StreamId = tuple[int, int]
Fields = Mapping[bytes, bytes]

# How many pending entries one page of claim_idle looks at per entry it may take, as Redis's
# XAUTOCLAIM does (its scan stops after COUNT * 10 tries).
_CLAIM_TRIES = 10


def stream_id(text: str) -> StreamId:
    """An entry id ("<ms>-<seq>" or "<ms>") as a pair that orders as Redis orders them."""
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def id_text(ident: StreamId) -> str:
    return f"{ident[0]}-{ident[1]}"


def in_range(ident: StreamId, start: str, end: str) -> bool:
    """XRANGE's bounds: "-" and "+" open, "(id" exclusive, an id inclusive."""
    if start != "-":
        low = stream_id(start.removeprefix("("))
        if ident < low or (start.startswith("(") and ident == low):
            return False
    return end == "+" or ident <= stream_id(end)


@dataclass(slots=True)
class _Pending:
    consumer: str
    delivered_s: float
    count: int = 1


@dataclass(slots=True)
class _Group:
    last: StreamId = (0, 0)
    pending: dict[StreamId, _Pending] = field(default_factory=dict)

    def oldest_pending(self) -> StreamId | None:
        return min(self.pending, default=None)


class MemoryStream:
    """One stream: entries in id order and the consumer groups on it."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.entries: dict[StreamId, Fields] = {}  # insertion order is id order
        self.groups: dict[str, _Group] = {}
        self._last: StreamId = (0, 0)
        self._arrived = asyncio.Event()
        self._waiting: asyncio.AbstractEventLoop | None = None  # the loop a reader waits on

    def add(self, fields: Mapping[str, bytes | str] | Fields, *, maxlen: int | None = None) -> str:
        """Append an entry (XADD *), the oldest going past `maxlen` entries; its id."""
        ms = max(int(self._clock() * 1000), self._last[0])
        ident = (ms, self._last[1] + 1 if ms == self._last[0] else 0)
        self._last = ident
        self.entries[ident] = {_bytes(k): _bytes(v) for k, v in fields.items()}
        while maxlen is not None and len(self.entries) > maxlen:
            del self.entries[next(iter(self.entries))]
        self._wake()
        return id_text(ident)

    def range(
        self, start: str = "-", end: str = "+", count: int | None = None
    ) -> list[tuple[str, Fields]]:
        """Entries from `start` to `end` (XRANGE), oldest first, at most `count`."""
        found = [(id_text(i), f) for i, f in self.entries.items() if in_range(i, start, end)]
        return found if count is None else found[:count]

    def delete(self, entry_ids: Iterable[str]) -> int:
        """Remove entries (XDEL), pending or not; how many were there."""
        return sum(self.entries.pop(stream_id(i), None) is not None for i in entry_ids)

    def trim_done(self, expected: Sequence[str]) -> int:
        """Drop what every group is done with, once every `expected` group exists (see
        bot/store/outbox.py's trim_done)."""
        if not self.groups or any(name not in self.groups for name in expected):
            return 0
        floors = []
        for group in self.groups.values():
            oldest = group.oldest_pending()
            floors.append(oldest if oldest is not None else (group.last[0], group.last[1] + 1))
        floor = min(floors)
        doomed = [ident for ident in self.entries if ident < floor]
        for ident in doomed:
            del self.entries[ident]
        return len(doomed)

    def _wake(self) -> None:
        """Wake every reader blocked in wait(), from the loop's thread or another (the
        scheduler's thread fires due jobs)."""
        loop = self._waiting
        if loop is None or loop.is_closed():
            return
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is loop:
            self._arrived.set()
        else:
            loop.call_soon_threadsafe(self._arrived.set)

    async def wait(self, timeout_s: float | None) -> None:
        """Until an entry is added or `timeout_s` passes (None: until one is)."""
        self._waiting = asyncio.get_running_loop()
        self._arrived.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._arrived.wait(), timeout_s)


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


class MemoryStreams:
    """Every stream of one memory store, by name; a stream exists once named."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._streams: dict[str, MemoryStream] = {}

    def stream(self, name: str) -> MemoryStream:
        found = self._streams.get(name)
        if found is None:
            found = self._streams[name] = MemoryStream(self.clock)
        return found

    def group(
        self, stream: str, group: str, consumer: str, *, batch: int = 100
    ) -> MemoryGroupReader:
        return MemoryGroupReader(self, stream, group, consumer, batch=batch)


class MemoryGroupReader:
    """StreamGroup (bot/store/streams.py) on a MemoryStream."""

    def __init__(
        self, streams: MemoryStreams, stream: str, group: str, consumer: str, *, batch: int = 100
    ) -> None:
        if batch < 1:
            raise ValueError("a batch must be positive")
        self._streams = streams
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.batch = batch

    def _on(self) -> tuple[MemoryStream, _Group]:
        stream = self._streams.stream(self.stream)
        group = stream.groups.get(self.group)
        if group is None:
            raise LookupError(f"no consumer group {self.group!r} on {self.stream!r}")
        return stream, group

    async def ensure_group(self) -> None:
        self._streams.stream(self.stream).groups.setdefault(self.group, _Group())

    async def claim_idle(self, min_idle_ms: int, *, every_page: bool = False) -> list[Entry]:
        stream, group = self._on()
        now = self._streams.clock()
        taken: list[Entry] = []
        cursor: StreamId = (0, 0)
        while True:
            claimed, gone, after = 0, 0, (0, 0)
            page = sorted(i for i in group.pending if i >= cursor)
            for tries, ident in enumerate(page):
                if claimed == self.batch or tries == self.batch * _CLAIM_TRIES:
                    after = ident  # where the next page starts
                    break
                pending = group.pending[ident]
                if ident not in stream.entries:
                    del group.pending[ident]  # as XAUTOCLAIM drops what was trimmed
                    gone += 1
                elif (now - pending.delivered_s) * 1000 >= min_idle_ms:
                    group.pending[ident] = _Pending(self.consumer, now, pending.count + 1)
                    taken.append((id_text(ident), stream.entries[ident]))
                    claimed += 1
            if gone:
                log.error(
                    "%d %s entries were trimmed before %s read them", gone, self.stream, self.group
                )
            cursor = after
            if cursor == (0, 0) or not every_page:
                return taken

    async def read_pending(self) -> list[Entry]:
        stream, group = self._on()
        now = self._streams.clock()
        own = sorted(i for i, p in group.pending.items() if p.consumer == self.consumer)
        read: list[Entry] = []
        for ident in own[: self.batch]:
            pending = group.pending[ident]
            group.pending[ident] = _Pending(self.consumer, now, pending.count + 1)
            read.append((id_text(ident), stream.entries.get(ident)))
        return read

    async def read_new(self, block_ms: int | None = None) -> list[Entry]:
        stream, _ = self._on()
        read = self._take_new()
        if read or block_ms is None:
            return read
        await stream.wait(block_ms / 1000 if block_ms > 0 else None)
        return self._take_new()

    def _take_new(self) -> list[Entry]:
        stream, group = self._on()
        now = self._streams.clock()
        fresh = [i for i in stream.entries if i > group.last][: self.batch]
        for ident in fresh:
            group.pending[ident] = _Pending(self.consumer, now)
        if fresh:
            group.last = fresh[-1]
        return [(id_text(i), stream.entries[i]) for i in fresh]

    async def confirm(self, entry_ids: Sequence[str]) -> bool:
        return True  # one process's memory: nothing to fail over to

    async def ack(self, entry_ids: Iterable[str], *, trim_for: Sequence[str] = ()) -> None:
        ids = [stream_id(i) for i in entry_ids]
        if not ids:
            return
        stream, group = self._on()
        for ident in ids:
            group.pending.pop(ident, None)
        if trim_for:
            stream.trim_done(trim_for)
