"""One consumer of one consumer group on a Redis stream: the stream half every worker shares
(the StreamGroup of bot/store/streams.py; its memory twin is bot/store/stream_memory.py).

Group creation (from the stream's start), taking over entries another consumer left idle,
reading this consumer's own pending entries and then new ones, acknowledging, and trimming
what every group is done with. What an entry means, and whether a failure buries it or
leaves it pending, stays with each worker (the care-team reader, reminder intake).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, cast

from redis.asyncio import Redis

from bot.store.outbox import ensure_group, trim_done
from bot.store.replicated import replicated
from bot.store.streams import Entry

log = logging.getLogger(__name__)

__all__ = ["Entry", "GroupReader"]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class GroupReader:
    """StreamGroup (bot/store/streams.py) on a Redis stream."""

    def __init__(
        self, redis: Redis, stream: str, group: str, consumer: str, *, batch: int = 100
    ) -> None:
        if batch < 1:
            raise ValueError("a batch must be positive")
        self._redis = redis
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.batch = batch

    async def ensure_group(self) -> None:
        """Create the group at the stream's start (earlier entries count); keep an existing one."""
        await ensure_group(self._redis, self.stream, self.group)

    async def claim_idle(self, min_idle_ms: int, *, every_page: bool = False) -> list[Entry]:
        """Take over entries other consumers of the group left pending for `min_idle_ms`
        (0: all of them, as a new leader does). One page of `batch`, or `every_page`.
        Entries trimmed while pending are acknowledged here and not returned."""
        cursor, taken = "0-0", []
        while True:
            reply = await self._redis.xautoclaim(
                self.stream,
                self.group,
                self.consumer,
                min_idle_time=min_idle_ms,
                start_id=cursor,
                count=self.batch,
            )  # not justid: redis-py then drops the cursor from the reply
            cursor = _text(reply[0])
            taken += [(_text(i), f) for i, f in cast(Sequence[Any], reply[1]) if f is not None]
            deleted = reply[2] if len(reply) > 2 else []
            if deleted:
                log.error(
                    "%d %s entries were trimmed before %s read them",
                    len(deleted),
                    self.stream,
                    self.group,
                )
                await self.ack(_text(d) for d in deleted)
            if cursor == "0-0" or not every_page:
                return taken

    async def read_pending(self) -> list[Entry]:
        """This consumer's own entries read before and not yet acknowledged, oldest first."""
        return await self._read("0", None)

    async def read_new(self, block_ms: int | None = None) -> list[Entry]:
        """Entries no consumer of the group has read yet, waiting up to `block_ms` for one."""
        return await self._read(">", block_ms)

    async def ack(self, entry_ids: Iterable[str], *, trim_for: Sequence[str] = ()) -> None:
        """Acknowledge; with `trim_for` (the groups that must all exist), drop from the
        stream what every group is done with."""
        ids = list(entry_ids)
        if not ids:
            return
        await self._redis.xack(self.stream, self.group, *ids)
        if trim_for:
            await trim_done(self._redis, self.stream, trim_for)

    async def confirm(self, entry_ids: Sequence[str]) -> bool:
        """Claim the entries again for this consumer (XCLAIM JUSTID, idle 0: ours already)
        and WAIT for a replica on that connection: replication keeps order, so once it holds
        this write it holds the read or takeover that gave them to us (bot/store/replicated.py)."""
        if not entry_ids:
            return True
        command = ("XCLAIM", self.stream, self.group, self.consumer, 0, *entry_ids, "JUSTID")
        _, durable = await replicated(self._redis, self.stream, command)
        return durable

    async def _read(self, start: str, block_ms: int | None) -> list[Entry]:
        reply = await self._redis.xreadgroup(
            self.group, self.consumer, {self.stream: start}, count=self.batch, block=block_ms
        )
        batches = reply.values() if isinstance(reply, dict) else [b[1] for b in reply or []]
        # A pending entry trimmed meanwhile comes back with no fields: say so with None.
        return [
            (_text(entry_id), fields or None)
            for batch in batches
            for entry_id, fields in cast(Sequence[Any], batch)
        ]
