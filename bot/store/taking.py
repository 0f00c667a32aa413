"""Taking a contact's lock (BEGIN, bot/store/store_scripts.py): its keys and arguments, and
the polls while others are ahead. A part RedisConversationStore holds."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from redis.commands.core import AsyncScript

from bot.errors import StoreUnavailable
from bot.store.base import FloodLimit
from bot.store.keys import ContactKeys
from bot.store.redis_calls import guarded
from bot.store.store_limits import StoreLimits

EvalSha = Callable[[AsyncScript, list[str], list[Any]], Awaitable[Any]]


class LockTaker:
    def __init__(self, begin: AsyncScript, evalsha: EvalSha, limits: StoreLimits) -> None:
        self._begin = begin
        self._evalsha = evalsha
        self._limits = limits

    @staticmethod
    def keys(keys: ContactKeys, flood: FloodLimit | None) -> list[str]:
        return [
            *(keys.lock, keys.session, keys.plan, keys.address, keys.queue, keys.beats),
            keys.seen,
            keys.flood(flood.window if flood is not None else 0),
        ]

    def args(self, token: str, tag: str, flood: FloodLimit | None) -> list[str | int]:
        limits = self._limits
        args: list[str | int] = [token, limits.lock_ttl_ms, limits.queue_beat_ms, tag, "", 0]
        if flood is not None:
            args[4:] = [flood.limit, flood.window_s + 1]
        return args

    async def acquire(
        self, keys: ContactKeys, tag: str, token: str, flood: FloodLimit | None
    ) -> list[Any]:
        """Round trip 1, repeated with short sleeps while another message holds the lock.
        The flood counter counts the first try only."""
        script_keys = self.keys(keys, flood)
        args = self.args(token, tag, flood)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._limits.lock_wait_s
        delay = 0.002
        while True:
            async with guarded("begin", self._limits.call_timeout_s):
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
