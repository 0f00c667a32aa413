"""What a worker needs of one consumer group on one stream: kept by `GroupReader` on Redis
(bot/store/stream_group.py) and `MemoryGroupReader` in memory (bot/store/stream_memory.py);
both pass tests/store/test_stream_group.py.

Entries are at-least-once: an entry read stays pending for its consumer until acknowledged,
and another consumer may take it over once it has lain idle long enough.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

# (entry id, fields); fields None: the entry was trimmed while pending (its id is all left).
Entry = tuple[str, Mapping[bytes, bytes] | None]


class StreamGroup(Protocol):
    """One consumer of one consumer group on one stream."""

    @property
    def stream(self) -> str: ...

    @property
    def group(self) -> str: ...

    @property
    def consumer(self) -> str: ...

    @property
    def batch(self) -> int: ...

    async def ensure_group(self) -> None:
        """Create the group at the stream's start (earlier entries count); keep an existing one."""
        ...

    async def claim_idle(self, min_idle_ms: int, *, every_page: bool = False) -> list[Entry]:
        """Take over entries the group's consumers left pending for `min_idle_ms` (0: all of
        them, ours too). One page of `batch`, or `every_page`. Entries trimmed while pending
        are acknowledged and not returned."""
        ...

    async def read_pending(self) -> list[Entry]:
        """This consumer's own entries read before and not yet acknowledged, oldest first,
        at most `batch`."""
        ...

    async def read_new(self, block_ms: int | None = None) -> list[Entry]:
        """At most `batch` entries no consumer of the group has read yet, waiting up to
        `block_ms` for one (None: not at all)."""
        ...

    async def ack(self, entry_ids: Iterable[str], *, trim_for: Sequence[str] = ()) -> None:
        """Acknowledge; with `trim_for` (the groups that must all exist), drop from the
        stream what every group is done with."""
        ...

    async def confirm(self, entry_ids: Sequence[str]) -> bool:
        """Whether entries this consumer took are held as its own by a replica that could
        take over (or none could): False leaves them to be taken over after the lease,
        rather than worked on by two after a failover."""
        ...
