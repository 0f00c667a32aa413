"""ConversationStore on Redis: one message = two Lua round trips (one when this process
wrote the contact last), every value sealed."""

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
from bot.store.contact_reads import ContactReads
from bot.store.crypto import Cipher, json_bytes
from bot.store.hot_calls import HotConnections, NotSent
from bot.store.keys import ContactKeys, KeyBuilder, field_aad
from bot.store.outbox import OutboxEntry, open_entry, seal_event
from bot.store.outbox_relay import OutboxRelay, pending_entries
from bot.store.redis_calls import as_bytes, guarded
from bot.store.session_cache import SessionCache, Written, nonce_of
from bot.store.settling import CommitSettler
from bot.store.store_limits import StoreLimits
from bot.store.store_scripts import BEGIN, COMMIT, QUICK, RELAY, SETTLE, message_tag
from bot.store.taking import LockTaker

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
        self._quick = redis.register_script(QUICK)
        self._written = SessionCache(self._limits.session_cache_size, self._limits.session_cache_s)
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
        self._taker = LockTaker(self._begin, self._evalsha, self._limits)
        self._reads = ContactReads(redis, cipher, self._keys, timeout_s, self._cluster)
        self._settler = CommitSettler(self._settle, cipher, self._limits)
        self._channel = ChannelRecords(redis, cipher, self._keys, self._limits, self.chat_log)

    def keys_for(self, address: str) -> ContactKeys:
        return self._keys.for_address(address)

    def contact_of(self, address: str) -> str:
        return self._keys.contact_id(address)

    @property
    def outbox_stream(self) -> str:
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
            self._quick,
            self._settle,
            self._channel.record_script,
            self._relay,
        )
        if self._cluster:
            for script in scripts:  # each in its own time-out: six scripts, every primary
                async with self._call("prepare"):
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
        last = self._written.get(keys.contact, asyncio.get_running_loop().time())
        first = None if last is None else await self._propose(keys, tag, token, last, apply, flood)
        if isinstance(first, Outcome):
            return first
        if first is None:
            reply = await self._taker.acquire(keys, tag, token, flood)
        elif first[0] == b"busy":
            reply = await self._taker.acquire(keys, tag, token, None)  # the flood counted
        else:
            reply = first
        if reply[0] == b"dup":
            replies = self._cipher.decrypt_json(as_bytes(reply[1]), field_aad(keys.seen, tag))
            return Outcome(replies=list(replies), duplicate=True)
        if reply[0] == b"flood":
            session = self._reads.open(keys, reply[2], reply[3]) if reply[2] or reply[3] else None
            return Outcome(replies=[], session=session, over_limit=int(reply[1]))
        try:
            session, stored_plan = self._reads.opened(keys, reply[1], reply[2])
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
        stored = (stored_plan, nonce_of(as_bytes(reply[2])) if reply[2] else b"")
        outcome: Outcome = await self._commit_and_settle(
            keys, tag, token, (new_session, replies, events), new_address, stored
        )
        return outcome

    async def _propose(
        self,
        keys: ContactKeys,
        tag: str,
        token: str,
        last: Written,
        apply: Apply,
        flood: FloodLimit | None,
    ) -> Outcome | list[Any] | None:
        """The text applied to what this process last wrote, sent with the lock's request
        (QUICK): the Outcome when that was still what Redis holds (or a duplicate, or past
        the flood limit); else BEGIN's answer ("ok" or "busy"), the flood counted. None, with
        nothing sent, when apply() raised: it runs again on what Redis holds."""
        try:
            stepped = apply(last.session())
        except Exception:
            self._written.drop(keys.contact)
            return None
        quick = (last, flood)
        outcome = await self._commit_and_settle(
            keys, tag, token, stepped, None, (last.plan_text, last.plan_nonce), quick
        )
        if not isinstance(outcome, Outcome) and outcome[0] in (b"ok", b"busy"):
            self._written.drop(keys.contact)  # another process (or an erasure) wrote since
        return cast(Outcome | list[Any], outcome)

    async def _commit_and_settle(
        self,
        keys: ContactKeys,
        tag: str,
        token: str,
        stepped: tuple[Session, list[str], Sequence[Event]],
        new_address: str | None,
        stored: tuple[bytes | None, bytes],
        quick: tuple[Written, FloodLimit | None] | None = None,
    ) -> Any:
        """COMMIT (or QUICK) what the text changed; an unanswered call is settled first."""
        new_session, replies, events = stepped
        try:
            reply, written = await self._write(
                keys, tag, token, new_session, replies, events, new_address, stored, quick
            )
        except BaseException as error:
            # The commit was sent (or about to be) and no answer came: it may run when Redis
            # resumes. Settle it before saying anything: "not saved" only when it cannot run.
            self._written.drop(keys.contact)
            if quick is not None and isinstance(error.__cause__, NotSent):
                raise  # it never reached Redis: nothing to settle, and it holds nothing
            expected = quick[0].lock if quick is not None else b""
            saved = await self._settler.after(keys, tag, token, replies, error, expected)
            if saved is None:
                raise
            # It ran. Even if we were cancelled meanwhile, the answer is saved: say so.
            log.warning("redis commit answered late; it had run", extra={"event": "late_commit"})
            if self._cluster and events:
                await self._relays.quietly(keys, None)
            return Outcome(replies=saved, events=list(events), session=new_session)
        if quick is not None:
            if not isinstance(reply, list) or reply[0] != b"written":
                return reply  # BEGIN's answer: not written
            reply = reply[1]
        status, relay = (
            (int(reply), []) if not isinstance(reply, list) else (int(reply[0]), reply[1])
        )
        if self._cluster and events and status != 0:
            await self._relays.quietly(keys, pending_entries(relay) if status == 1 else None)
        if status == 0:
            # Only when apply + write outlasted the lock TTL; nothing of ours was written.
            self._written.drop(keys.contact)
            raise StoreUnavailable("the contact lock expired before the write")
        self._written.put(keys.contact, written)
        return Outcome(replies=replies, events=list(events), session=new_session)

    async def _write(
        self,
        keys: ContactKeys,
        tag: str,
        token: str,
        session: Session,
        replies: list[str],
        events: Sequence[Event],
        address: str | None,
        stored: tuple[bytes | None, bytes] = (None, b""),
        quick: tuple[Written, FloodLimit | None] | None = None,
    ) -> tuple[Any, Written]:
        """Round trip 2: everything the message changed, in one atomic script (or, with
        `quick`, round trip 1 with it proposed: QUICK).

        A plan the text left as it was stored (`stored`: its JSON text and the nonce it was
        sealed with) is neither sealed again nor sent (a command, a question asked again, a
        reminder reply...). Returns the script's answer and what this process then knows
        Redis holds, should the answer say it was written.
        """
        cipher = self._cipher
        session_text = json_bytes(session.position_json())
        sealed_session = cipher.seal_json_text(session_text, keys.session)
        plan_text = json_bytes(session.plan.to_json())
        plan = b"" if plan_text == stored[0] else cipher.seal_json_text(plan_text, keys.plan)
        written = Written(
            lock=b"done:" + token.encode(),
            session_text=session_text,
            plan_text=plan_text,
            session_nonce=nonce_of(sealed_session),
            plan_nonce=nonce_of(plan) if plan else stored[1],
            at=asyncio.get_running_loop().time(),
        )
        outbox = keys.pending if self._cluster else self._keys.outbox
        seen = b""
        if tag:
            seen = tag.encode() + b"|" + cipher.encrypt_json(replies, field_aad(keys.seen, tag))
        args: list[Any] = [
            token,
            sealed_session,
            plan,
            b"" if address is None else cipher.encrypt(address.encode(), keys.address),
            self._limits.done_lock_ttl_ms,
            keys.contact,
            self._limits.outbox_maxlen,
            self._limits.reply_ttl_s,
            seen,
            self._limits.seen_cap,
        ]
        for event in events:
            args.extend(seal_event(cipher, self._keys.outbox, keys.contact, event))
        if quick is None:
            script, script_keys = (
                self._commit,
                [*(keys.lock, keys.session, keys.plan, keys.address, outbox, keys.seen)],
            )
        else:
            last, flood = quick
            script, script_keys = self._quick, self._taker.keys(keys, flood)
            script_keys.append(outbox)
            args[:0] = [
                *self._taker.args(token, tag, flood),
                last.lock,
                last.session_nonce,
                last.plan_nonce,
            ]
        if not self._cluster:
            script_keys.append(self._keys.contacts)
        async with self._call("commit"):
            return await self._evalsha(script, script_keys, args), written

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
        self._written.drop(contact)
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
        return await self._reads.load(self._keys.for_address(address))

    async def load_contact(self, contact: str) -> Session | None:
        """The session and plan of a contact id (from the outbox, a URL or contacts())."""
        return await self._reads.load(self._keys.for_contact(contact))

    async def load_contacts(self, contacts: Sequence[str]) -> dict[str, Session]:
        """Many contacts' sessions in one pipelined round trip; missing ones are left out."""
        return await self._reads.load_contacts(contacts)

    async def address_of(self, contact: str) -> str | None:
        """The raw address behind a contact id from the outbox, for workers that must text."""
        return await self._reads.address_of(contact)

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
