"""Reading contacts' sessions and plans outside a text (workers, the dashboard, tests), and
opening what a script returned: a part RedisConversationStore holds (moved unchanged)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from bot.engine.session import Session
from bot.store.crypto import Cipher, json_value
from bot.store.keys import ContactKeys, KeyBuilder
from bot.store.redis_calls import as_bytes, guarded


class ContactReads:
    def __init__(
        self, redis: Redis, cipher: Cipher, keys: KeyBuilder, timeout_s: float, cluster: bool
    ) -> None:
        self._redis = redis
        self._cipher = cipher
        self._keys = keys
        self._timeout_s = timeout_s
        self._cluster = cluster

    def open(self, keys: ContactKeys, raw_session: Any, raw_plan: Any) -> Session:
        return self.opened(keys, raw_session, raw_plan)[0]

    def opened(
        self, keys: ContactKeys, raw_session: Any, raw_plan: Any
    ) -> tuple[Session, bytes | None]:
        """The session, and its plan's JSON text as stored (None: no plan stored yet)."""
        position = (
            self._cipher.decrypt_json(as_bytes(raw_session), keys.session) if raw_session else {}
        )
        plan_text = self._cipher.open_json_text(as_bytes(raw_plan), keys.plan) if raw_plan else None
        plan = json_value(plan_text) if plan_text is not None else {}
        return Session.from_json(position, plan), plan_text

    async def load(self, keys: ContactKeys) -> Session | None:
        async with guarded("load", self._timeout_s):
            raw_session, raw_plan = await self._redis.mget([keys.session, keys.plan])
        if raw_session is None and raw_plan is None:
            return None
        return self.open(keys, raw_session, raw_plan)

    async def load_contacts(self, contacts: Sequence[str]) -> dict[str, Session]:
        """Many contacts' sessions in one pipelined round trip; missing ones are left out."""
        built = [self._keys.for_contact(c) for c in contacts]
        async with (
            guarded("load_many", self._timeout_s),
            self._redis.pipeline(transaction=False) as pipe,
        ):
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
                found[keys.contact] = self.open(keys, raw_session, raw_plan)
        return found

    async def address_of(self, contact: str) -> str | None:
        """The raw address behind a contact id from the outbox, for workers that must text."""
        key = self._keys.for_contact(contact).address
        async with guarded("address", self._timeout_s):
            raw = await self._redis.get(key)
        return None if raw is None else self._cipher.decrypt(as_bytes(raw), key).decode()
