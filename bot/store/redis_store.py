"""ConversationStore on Redis: one message = two Lua round trips, every value sealed."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, suppress
from typing import Any, cast

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from bot.engine.events import Event
from bot.engine.session import Session
from bot.errors import StoreUnavailable
from bot.store.base import Apply, FloodLimit, Outcome
from bot.store.channel_records import ChannelRecords
from bot.store.chat_log import ChatLog
from bot.store.client import is_cluster
from bot.store.cluster_calls import ClusterHotCalls
from bot.store.contact_erasure import ContactEraser
from bot.store.contact_index import ContactIndex
from bot.store.crypto import Cipher, json_bytes, json_value
from bot.store.hot_calls import HotConnections
from bot.store.keys import ContactKeys, KeyBuilder, field_aad
from bot.store.outbox import OutboxEntry, open_entry, seal_event
from bot.store.outbox_relay import OutboxRelay, pending_entries
from bot.store.redis_calls import as_bytes, guarded
from bot.store.settling import CommitSettler
from bot.store.store_limits import StoreLimits
from bot.store.store_scripts import BEGIN, COMMIT, RELAY, SETTLE, message_tag

log = logging.getLogger(__name__)


class RedisConversationStore:
    """Sessions, plans, dedupe, locks and the event outbox in Redis (see DESIGN.md)."""

    def __init__(
        self,
        redis: Redis,
        cipher: Cipher,
        *,
        prefix: str = "",
        limits: StoreLimits | None = None,
    ) -> None:
        self._redis = redis
        self._cipher = cipher
        self._keys = KeyBuilder(cipher.id_key, prefix)
        self._limits = limits or StoreLimits()
        self._begin = redis.register_script(BEGIN)
        self._commit = redis.register_script(COMMIT)
        self._settle = redis.register_script(SETTLE)
        self._relay = redis.register_script(RELAY)
        self.chat_log = ChatLog(redis, cipher, prefix)
        self._cluster = is_cluster(redis)
        self._hot: HotConnections | ClusterHotCalls = (
            ClusterHotCalls(redis) if self._cluster else HotConnections(redis.connection_pool)
        )
        timeout_s = self._limits.call_timeout_s
        self._index = ContactIndex(redis, self._keys, timeout_s)
        self._relays = OutboxRelay(
            redis,
            self._keys,
            self._index,
            lambda keys, args: self._evalsha(self._relay, keys, args),
            outbox_maxlen=self._limits.outbox_maxlen,
            timeout_s=timeout_s,
            cluster=self._cluster,
        )
        self._eraser = ContactEraser(redis, self._keys, timeout_s)
        self._settler = CommitSettler(self._settle, cipher, self._limits)
        self._channel = ChannelRecords(redis, cipher, self._keys, self._limits, self.chat_log)

    def keys_for(self, address: str) -> ContactKeys:
        return self._keys.for_address(address)

    @property
    def outbox_key(self) -> str:
        return self._keys.outbox

    async def prepare(self) -> None:
        """Load the scripts in one round trip, so the first message pays no NOSCRIPT retry.

        A cluster client sends SCRIPT LOAD to every primary, one script at a time (it
        refuses it in a pipeline); a node that loses them (restart, failover) gets them
        again on its first NOSCRIPT.
        """
        scripts = (
            self._begin,
            self._commit,
            self._settle,
            self._channel.record_script,
            self._relay,
        )
        if self._cluster:
            async with self._call("prepare"):
                for script in scripts:
                    await self._redis.script_load(script.script)
            return
        async with self._call("prepare"), self._redis.pipeline(transaction=False) as pipe:
            for script in scripts:
                pipe.script_load(script.script)
            await pipe.execute()

    async def transact(
        self,
        address: str,
        message_id: str | None,
        apply: Apply,
        *,
        flood: FloodLimit | None = None,
    ) -> Outcome:
        keys = self._keys.for_address(address)
        token = secrets.token_hex(16)
        tag = message_tag(message_id)
        reply = await self._acquire(keys, tag, token, flood)
        if reply[0] == b"dup":
            replies = self._cipher.decrypt_json(as_bytes(reply[1]), field_aad(keys.seen, tag))
            return Outcome(replies=list(replies), duplicate=True)
        if reply[0] == b"flood":
            session = self._open(keys, reply[2], reply[3]) if reply[2] or reply[3] else None
            return Outcome(replies=[], session=session, over_limit=int(reply[1]))
        try:
            session, stored_plan = self._opened(keys, reply[1], reply[2])
            new_session, replies, events = apply(session)
            # The address is sealed and sent only the first time this contact writes.
            new_address = None if reply[3] else address
        except BaseException:
            # apply() raised or a value did not decrypt: free the lock now rather than
            # making the next message wait out its TTL.
            await self._release_quietly(keys, token)
            raise
        try:
            if self._cluster and new_address is not None:
                # The contacts index sits in another slot than the commit: list the contact
                # first, so a saved plan is never missing from it (an entry whose commit then
                # failed is skipped by contacts()).
                async with self._call("index"):
                    await self._redis.sadd(self._keys.contacts, keys.contact)
        except BaseException:
            await self._release_quietly(keys, token)
            raise
        try:
            written, relay = await self._write(
                keys, tag, token, new_session, replies, events, new_address, stored_plan
            )
        except BaseException as error:
            # The commit was sent (or about to be) and no answer came: it may run when Redis
            # resumes. Settle it before saying anything: "not saved" only when it cannot run.
            saved = await self._settler.after(keys, tag, token, replies, error)
            if saved is None:
                raise
            # It ran. Even if we were cancelled meanwhile, the answer is saved: say so.
            log.warning("redis commit answered late; it had run", extra={"event": "late_commit"})
            if self._cluster and events:
                await self._relays.quietly(keys, None)
            return Outcome(replies=saved, events=list(events), session=new_session)
        if self._cluster and events and written != 0:
            await self._relays.quietly(keys, relay if written == 1 else None)
        if written == 0:
            # Only when apply + write outlasted the lock TTL; nothing of ours was written.
            raise StoreUnavailable("the contact lock expired before the write")
        return Outcome(replies=replies, events=list(events), session=new_session)

    async def _acquire(
        self, keys: ContactKeys, tag: str, token: str, flood: FloodLimit | None
    ) -> list[Any]:
        """Round trip 1, repeated with short sleeps while another message holds the lock.
        The flood counter counts the first try only."""
        script_keys = [
            keys.lock,
            keys.session,
            keys.plan,
            keys.address,
            keys.queue,
            keys.beats,
            keys.seen,
            keys.flood(flood.window if flood is not None else 0),
        ]
        limits = self._limits
        args: list[str | int] = [token, limits.lock_ttl_ms, limits.queue_beat_ms, tag, "", 0]
        if flood is not None:
            args[4:] = [flood.limit, flood.window_s + 1]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._limits.lock_wait_s
        delay = 0.002
        while True:
            async with self._call("begin"):
                reply: list[Any] = await self._evalsha(self._begin, script_keys, args)
            if reply[0] != b"busy":
                return reply
            args[4:] = ["", 0]
            left = deadline - loop.time()
            if left <= 0:
                raise StoreUnavailable("another message for this contact held the lock too long")
            # The queue keeps the order; jitter only spreads the polls. Never sleep past the
            # holder's TTL (reply[1] > 0: the lock's PTTL) or our deadline.
            jitter = 0.5 + secrets.randbelow(1000) / 1000
            wait = min(delay * jitter, left)
            if int(reply[1]) > 0:
                wait = min(wait, int(reply[1]) / 1000)
            await asyncio.sleep(wait)
            delay = min(delay * 2, 0.05)

    def _open(self, keys: ContactKeys, raw_session: Any, raw_plan: Any) -> Session:
        return self._opened(keys, raw_session, raw_plan)[0]

    def _opened(
        self, keys: ContactKeys, raw_session: Any, raw_plan: Any
    ) -> tuple[Session, bytes | None]:
        """The session, and its plan's JSON text as stored (None: no plan stored yet)."""
        position = (
            self._cipher.decrypt_json(as_bytes(raw_session), keys.session) if raw_session else {}
        )
        plan_text = self._cipher.open_json_text(as_bytes(raw_plan), keys.plan) if raw_plan else None
        plan = json_value(plan_text) if plan_text is not None else {}
        return Session.from_json(position, plan), plan_text

    async def _write(
        self,
        keys: ContactKeys,
        tag: str,
        token: str,
        session: Session,
        replies: list[str],
        events: Sequence[Event],
        address: str | None,
        stored_plan: bytes | None = None,
    ) -> tuple[int, list[Any]]:
        """Round trip 2: everything the message changed, in one atomic script.

        A plan the text left as it was stored (`stored_plan`, its JSON text) is neither
        sealed again nor sent (a command, a question asked again, a reminder reply...).
        Returns the script's status and, on a Cluster, what is pending in the contact's
        pending stream, for the relay.
        """
        seal = self._cipher.encrypt_json
        plan_text = json_bytes(session.plan.to_json())
        plan = (
            b"" if plan_text == stored_plan else self._cipher.seal_json_text(plan_text, keys.plan)
        )
        script_keys = [
            keys.lock,
            keys.session,
            keys.plan,
            keys.address,
            keys.pending if self._cluster else self._keys.outbox,
            keys.seen,
        ]
        if not self._cluster:
            script_keys.append(self._keys.contacts)
        seen = b""
        if tag:
            seen = tag.encode() + b"|" + seal(replies, field_aad(keys.seen, tag))
        args: list[Any] = [
            token,
            seal(session.position_json(), keys.session),
            plan,
            b"" if address is None else self._cipher.encrypt(address.encode(), keys.address),
            self._limits.lock_ttl_ms,
            keys.contact,
            self._limits.outbox_maxlen,
            self._limits.reply_ttl_s,
            seen,
            self._limits.seen_cap,
        ]
        for event in events:
            args.extend(seal_event(self._cipher, self._keys.outbox, keys.contact, event))
        async with self._call("commit"):
            reply = await self._evalsha(self._commit, script_keys, args)
        if not isinstance(reply, list):
            return int(reply), []
        return int(reply[0]), pending_entries(reply[1])

    def contacts(self, batch: int = 500) -> AsyncIterator[str]:
        """Every contact id with a saved plan, from the contacts index (no keyspace SCAN)."""
        return self._index.contacts(batch)

    async def reindex(self, batch: int = 500, *, force: bool = False) -> int:
        """Index every plan older than the index, once per keyspace (see ContactIndex)."""
        return await self._index.reindex(batch, force=force)

    async def relay_pending(self, batch: int = 500) -> int:
        """Cluster: relay what a process left pending (see OutboxRelay); else nothing."""
        return await self._relays.pending(batch)

    async def keep_relaying(self, every_s: float = 30.0) -> None:
        """relay_pending() now and every `every_s`, by one process at a time; a no-op off
        a Cluster. Until cancelled."""
        await self._relays.keep_relaying(self.relay_pending, every_s)

    async def erase_contact(self, contact: str, batch: int = 500) -> int:
        """Delete every key of one contact (all share its hash tag); returns how many."""
        return await self._eraser.contact(contact, batch)

    async def erase_outbox(self, contact: str, until: str, batch: int = 2000) -> int:
        """Delete the contact's outbox entries up to `until` (see ContactEraser)."""
        return await self._eraser.outbox(contact, until, batch)

    def _call(self, what: str) -> AbstractAsyncContextManager[None]:
        return guarded(what, self._limits.call_timeout_s)

    async def _evalsha(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        return await self._hot.evalsha(script, keys, args)

    async def _release_quietly(self, keys: ContactKeys, token: str) -> None:
        with suppress(StoreUnavailable):
            async with self._call("release"):
                await self._settle(keys=[keys.lock, keys.seen], args=[token, ""])

    async def load(self, address: str) -> Session | None:
        keys = self._keys.for_address(address)
        async with self._call("load"):
            raw_session, raw_plan = await self._redis.mget([keys.session, keys.plan])
        if raw_session is None and raw_plan is None:
            return None
        return self._open(keys, raw_session, raw_plan)

    async def load_contact(self, contact: str) -> Session | None:
        """The session and plan of a contact id (from the outbox, a URL or contacts())."""
        keys = self._keys.for_contact(contact)
        async with self._call("load"):
            raw_session, raw_plan = await self._redis.mget([keys.session, keys.plan])
        if raw_session is None and raw_plan is None:
            return None
        return self._open(keys, raw_session, raw_plan)

    async def load_contacts(self, contacts: Sequence[str]) -> dict[str, Session]:
        """Many contacts' sessions in one pipelined round trip; missing ones are left out."""
        built = [self._keys.for_contact(c) for c in contacts]
        async with self._call("load_many"), self._redis.pipeline(transaction=False) as pipe:
            for keys in built:
                if self._cluster:
                    # A cluster pipeline refuses MGET; its GETs still go one batch per node.
                    pipe.get(keys.session)
                    pipe.get(keys.plan)
                else:
                    pipe.mget([keys.session, keys.plan])
            flat = await pipe.execute()
        raw = list(zip(flat[::2], flat[1::2], strict=True)) if self._cluster else flat
        found: dict[str, Session] = {}
        for keys, (raw_session, raw_plan) in zip(built, raw, strict=True):
            if raw_session is not None or raw_plan is not None:
                found[keys.contact] = self._open(keys, raw_session, raw_plan)
        return found

    async def address_of(self, contact: str) -> str | None:
        """The raw address behind a contact id from the outbox, for workers that must text."""
        key = self._keys.for_contact(contact).address
        async with self._call("address"):
            raw = await self._redis.get(key)
        return None if raw is None else self._cipher.decrypt(as_bytes(raw), key).decode()

    async def record_delivery(self, address: str, message_sid: str, status: dict[str, Any]) -> bool:
        """Keep a text's latest status; False (nothing written) when no such contact exists."""
        return await self._channel.record_delivery(address, message_sid, status)

    async def deliveries(self, address: str) -> dict[str, dict[str, Any]]:
        return await self._channel.deliveries(address)

    async def push_dev_outbox(self, address: str, text: str) -> None:
        await self._channel.push_dev_outbox(address, text)

    async def dev_outbox(self, address: str, limit: int = 50) -> Sequence[str]:
        """The newest `limit` texts, oldest first."""
        return await self._channel.dev_outbox(address, limit)

    async def read_outbox(self, start: str = "-", count: int = 100) -> list[OutboxEntry]:
        """Entries of the event stream from `start` on, decrypted (for workers and tests)."""
        stream = self._keys.outbox
        async with self._call("read_outbox"):
            raw = cast(list[Any], await self._redis.xrange(stream, min=start, max="+", count=count))
        return [open_entry(self._cipher, stream, entry_id, fields) for entry_id, fields in raw]

    async def ping(self) -> bool:
        try:
            async with self._call("ping"):
                await self._redis.ping()
        except StoreUnavailable:
            return False
        return True

    async def close(self) -> None:
        await self._hot.close()
        await self._redis.aclose()
