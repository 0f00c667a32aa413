"""Cluster only: a contact's commit writes its events to the contact's own pending stream (its
slot); this moves them into the outbox stream exactly once (the relay script remembers, per
contact, the last pending id it relayed), now for the message just committed, or later in a
sweep, under a lease, for what a process that died in between left behind.

Every relay goes to the one node of the outbox's slot, so the relays of texts answered at
the same time share a call (group commit): one call is out at a time, and the contacts that
came meanwhile go together in the next. A busy process pays one round trip for many texts
with events instead of one each; a lone text waits for no one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis

from bot.errors import StoreUnavailable
from bot.store.cluster_calls import ClusterHotCalls
from bot.store.contact_index import ContactIndex
from bot.store.keys import ContactKeys, KeyBuilder
from bot.store.lease import Held, Lease
from bot.store.redis_calls import as_bytes, guarded
from bot.store.store_scripts import TRIM_PENDING

log = logging.getLogger("bot.store.redis_store")

# A contact's pending stream is trimmed after a relay once it holds this many entries
# (relayed ones included); fewer stay until then, or until the sweep.
TRIM_PENDING_AT = 4
# Contacts in one relay call at most; more wait for the next.
MAX_CONTACTS_PER_CALL = 64

RunRelay = Callable[[list[str], list[Any]], Awaitable[Any]]
Entry = tuple[str, bytes, bytes]  # a pending entry: id, type, sealed event
# A contact's relay waiting for the next call: contact, its entries, (last id, how many went).
Waiting = tuple[str, list[Entry], "asyncio.Future[tuple[str, int]]"]


def _fail(waiting: list[Waiting], error: BaseException) -> None:
    for *_, future in waiting:
        if not future.done():
            future.set_exception(error)


def pending_entries(raw: Any) -> list[Entry]:
    """(id, type, sealed event) of each entry of a raw XRANGE reply on a pending stream."""
    entries: list[Entry] = []
    for entry_id, flat in raw:
        # XRANGE through redis-py gives a dict; inside a script's reply, a flat list.
        fields = flat if isinstance(flat, dict) else dict(zip(flat[::2], flat[1::2], strict=True))
        entries.append((as_bytes(entry_id).decode(), fields[b"type"], fields[b"data"]))
    return entries


class OutboxRelay:
    def __init__(
        self,
        redis: Redis,
        keys: KeyBuilder,
        index: ContactIndex,
        run_relay: RunRelay,
        *,
        outbox_maxlen: int,
        timeout_s: float,
        cluster: bool,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._index = index
        self._run_relay = run_relay
        self._outbox_maxlen = outbox_maxlen
        self._timeout_s = timeout_s
        self._cluster = cluster
        self._waiting: list[Waiting] = []
        self._sender: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._trim = redis.register_script(TRIM_PENDING)
        self._trims = ClusterHotCalls(redis, keep=0)

    async def quietly(self, keys: ContactKeys, entries: list[Any] | None) -> None:
        """Cluster: move the contact's pending entries into the outbox stream (all of them
        when `entries` is None: an earlier try's ids are unknown). A failure leaves them
        pending, for relay_pending(); the message itself is saved either way."""
        try:
            await self.contact(keys, entries)
        except StoreUnavailable:
            log.warning("outbox relay deferred", extra={"event": "relay_deferred"})

    async def contact(self, keys: ContactKeys, entries: list[Any] | None) -> int:
        """Relay the pending entries (all of them, read here, when `entries` is None);
        returns how many went now. The pending stream is trimmed up to the last relayed
        entry once a few have gathered (or when everything was read here): relayed ones
        left there are skipped by the next relay, so the trim need not cost every text a
        round trip."""
        sweep = entries is None
        if entries is None:
            async with guarded("relay", self._timeout_s):
                raw = await self._redis.xrange(keys.pending, count=200)
            entries = pending_entries(raw)
        if not entries:
            return 0
        last, moved = await self._together(keys.contact, entries)
        if last and (sweep or len(entries) >= TRIM_PENDING_AT):
            ms, _, seq = last.partition("-")
            async with guarded("relay", self._timeout_s):
                await self._trims.evalsha(self._trim, [keys.pending], [f"{ms}-{int(seq) + 1}"])
        return moved

    async def _together(self, contact: str, entries: list[Entry]) -> tuple[str, int]:
        """(last relayed id, how many went now) for the contact, in the next relay call."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests): the old one's callers are gone
            self._loop, self._waiting, self._sender = loop, [], None
        reply: asyncio.Future[tuple[str, int]] = loop.create_future()
        self._waiting.append((contact, entries, reply))
        if self._sender is None or self._sender.done():
            # A task of its own: a caller cancelled (its webhook gave up) stops no one else's.
            self._sender = asyncio.create_task(self._send_waiting())
        return await reply

    async def _send_waiting(self) -> None:
        batch: list[Waiting] = []
        try:
            while self._waiting:
                batch = self._waiting[:MAX_CONTACTS_PER_CALL]
                del self._waiting[:MAX_CONTACTS_PER_CALL]
                args: list[Any] = [self._outbox_maxlen]
                for contact, entries, _ in batch:
                    args += [contact, len(entries)]
                    for entry in entries:
                        args.extend(entry)
                try:
                    async with guarded("relay", self._timeout_s):
                        reply = await self._run_relay([self._keys.outbox, self._keys.relayed], args)
                except Exception as error:  # StoreUnavailable: each caller defers its own
                    _fail(batch, error)
                    continue
                for n, (*_, future) in enumerate(batch):
                    if not future.done():
                        future.set_result((as_bytes(reply[2 * n]).decode(), int(reply[2 * n + 1])))
                batch = []
        finally:  # cancelled (the loop is closing): no caller waits for ever
            stopped = StoreUnavailable("the outbox relay stopped")
            _fail(batch + self._waiting, stopped)
            self._waiting = []

    async def pending(self, batch: int = 500) -> int:
        """Cluster: relay what a process left pending when it died between a commit and its
        relay. Walks the contacts index (not the keyspace); returns how many contacts had
        entries waiting. Off the hot path: the app runs it now and then."""
        if not self._cluster:
            return 0
        found = 0
        async for keys, length in self._index.each("relay", batch, "pending", "xlen"):
            if length and await self.contact(keys, None):
                found += 1
        return found

    async def keep_relaying(self, sweep: Callable[[], Awaitable[int]], every_s: float) -> None:
        """`sweep` (the store's relay_pending) now and every `every_s` (a no-op off a
        Cluster), by one process at a time (a lease: the sweep walks every contact); until
        cancelled."""
        if not self._cluster:
            return
        lease = Lease(self._redis, self._keys.relay_lease, timedelta(seconds=2 * every_s))
        while True:
            try:
                async with guarded("relay", self._timeout_s):
                    mine = await lease.hold() != Held.BY_ANOTHER
                found = await sweep() if mine else 0
            except StoreUnavailable:
                found = 0
            if found:
                log.warning("relayed %d contacts' stranded outbox entries", found)
            await asyncio.sleep(every_s)
