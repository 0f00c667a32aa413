"""The care-team records of the running app, for a command run beside it
(`python -m bot careteam retry`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from bot.settings import Settings
from bot.store.care_records_redis import RedisCareRecords
from bot.store.crypto import cipher_from_settings
from bot.store.embedded import EmbeddedServer, connect_redis
from bot.store.redis_store import RedisConversationStore

# (client, embedded server or None, description): how a command finds the app's Redis.
Connect = Callable[[Settings], Awaitable[tuple[Redis, EmbeddedServer | None, str]]]


@asynccontextmanager
async def care_records_for(
    settings: Settings, connect: Connect | None = None
) -> AsyncIterator[tuple[RedisConversationStore, RedisCareRecords, str]]:
    """The app's conversations and care-team records, for a command run beside it, and which
    Redis holds them: found as the app finds it (REDIS_URL, 127.0.0.1:6379, or the embedded
    server `make run` started, from var/redis.url), never a second one on the same data."""
    cipher = cipher_from_settings(settings)
    redis, embedded, description = await (connect or connect_redis)(settings)
    store = RedisConversationStore(redis, cipher)
    try:
        yield store, RedisCareRecords(redis, cipher), description
    finally:
        await store.close()
        if embedded is not None:
            embedded.stop()
