"""One app process for the two-process test: the reminders subsystem and a recording sender.

Run as `python -m tests.reminders._worker`; reads REM_REDIS_URL, REM_PREFIX, REM_KEY (hex);
prints "ready <lease token>" and runs until killed or its stdin closes.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

from bot.i18n import Catalogs
from bot.reminders.wiring import ReminderConfig, start_reminders, stop_reminders
from bot.settings import Settings
from bot.store.client import client_for_url
from bot.store.crypto import Cipher
from bot.store.redis_store import RedisConversationStore


class ListSender:
    """Records each text in a Redis list the test reads: what a parent would receive."""

    def __init__(self, redis: object, key: str) -> None:
        self._redis = redis
        self._key = key

    async def send(self, address: str, text: str) -> str:
        await self._redis.rpush(self._key, f"{address}|{os.getpid()}|{text}")  # type: ignore[attr-defined]
        return "SM" + os.urandom(8).hex()

    async def close(self) -> None:
        return None


async def main() -> None:
    prefix = os.environ["REM_PREFIX"]
    redis = client_for_url(os.environ["REM_REDIS_URL"])
    cipher = Cipher(bytes.fromhex(os.environ["REM_KEY"]))
    conversations = RedisConversationStore(redis, cipher, prefix=prefix)
    config = ReminderConfig(
        send_rate=1000,
        send_burst=1000,
        prefix=prefix,
        lease_ttl=timedelta(seconds=1),
        renew_every=timedelta(milliseconds=200),
        block_ms=50,
        claim_idle=timedelta(seconds=1),
    )
    reminders = await start_reminders(
        settings=Settings(_env_file=None, quiet_hours="00:00-00:00"),  # type: ignore[call-arg]
        redis=redis,
        cipher=cipher,
        conversations=conversations,
        sender=ListSender(redis, f"{prefix}sent"),
        translator=Catalogs(("en",)),
        config=config,
    )
    print("ready", reminders.scheduler.lease.token, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # returns when the test closes stdin
    await stop_reminders(reminders)
    await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main())
