"""Store maintenance from the command line (`python -m bot store ...`)."""

from __future__ import annotations

from bot.settings import Settings
from bot.store.crypto import cipher_from_settings
from bot.store.embedded import connect_redis
from bot.store.redis_store import RedisConversationStore


async def reindex(settings: Settings | None = None, prefix: str = "") -> int:
    """Every saved plan into the contacts index, whatever the marker says."""
    settings = settings or Settings()
    redis, embedded, _ = await connect_redis(settings)
    store = RedisConversationStore(redis, cipher_from_settings(settings), prefix=prefix)
    try:
        return await store.reindex(force=True)
    finally:
        await store.close()
        if embedded is not None:
            embedded.stop()
