"""A contact's records beside the conversation: the latest status of each text sent (Twilio's
status callbacks) and, in dev mode, the texts the bot would have sent (the dev outbox, which
the web chat also shows). Sealed under the contact's own keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from bot.store.chat_log import ChatLog
from bot.store.crypto import Cipher
from bot.store.keys import KeyBuilder, field_aad
from bot.store.redis_calls import as_bytes, guarded
from bot.store.store_limits import StoreLimits
from bot.store.store_scripts import RECORD_DELIVERY


class ChannelRecords:
    def __init__(
        self,
        redis: Redis,
        cipher: Cipher,
        keys: KeyBuilder,
        limits: StoreLimits,
        chat_log: ChatLog,
    ) -> None:
        self._redis = redis
        self._cipher = cipher
        self._keys = keys
        self._limits = limits
        self.chat_log = chat_log
        self.record_script = redis.register_script(RECORD_DELIVERY)

    async def record_delivery(self, address: str, message_sid: str, status: dict[str, Any]) -> bool:
        """Keep a text's latest status; False (nothing written) when no such contact exists."""
        keys = self._keys.for_address(address)
        sealed = self._cipher.encrypt_json(status, field_aad(keys.deliveries, message_sid))
        # Redis 7.0 has no per-field TTL: the hash lives while texts keep flowing.
        ttl = self._limits.deliveries_ttl_s
        async with guarded("record_delivery", self._limits.call_timeout_s):
            written = await self.record_script(
                keys=[keys.deliveries, keys.session, keys.plan], args=[message_sid, sealed, ttl]
            )
        return bool(written)

    async def deliveries(self, address: str) -> dict[str, dict[str, Any]]:
        key = self._keys.for_address(address).deliveries
        async with guarded("deliveries", self._limits.call_timeout_s):
            raw = await self._redis.hgetall(key)
        result: dict[str, dict[str, Any]] = {}
        for field, value in raw.items():
            sid = as_bytes(field).decode()
            result[sid] = self._cipher.decrypt_json(as_bytes(value), field_aad(key, sid))
        return result

    async def push_dev_outbox(self, address: str, text: str) -> None:
        key = self._keys.for_address(address).dev_outbox
        sealed = self._cipher.encrypt(text.encode("utf-8"), key)
        async with (
            guarded("push_dev_outbox", self._limits.call_timeout_s),
            self._redis.pipeline(transaction=True) as pipe,
        ):
            pipe.lpush(key, sealed)
            pipe.ltrim(key, 0, self._limits.dev_outbox_cap - 1)
            await pipe.execute()
        async with guarded("chat_log", self._limits.call_timeout_s):
            await self.chat_log.append(address, [("outbox", text)])

    async def dev_outbox(self, address: str, limit: int = 50) -> Sequence[str]:
        """The newest `limit` texts, oldest first."""
        if limit <= 0:
            return []
        key = self._keys.for_address(address).dev_outbox
        async with guarded("dev_outbox", self._limits.call_timeout_s):
            raw = await self._redis.lrange(key, 0, limit - 1)
        return [self._cipher.decrypt(as_bytes(item), key).decode() for item in reversed(raw)]
