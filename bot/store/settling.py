"""After a commit that went unanswered (a timeout, a dropped connection): ask Redis, with
the settle script, whether it ran, so a saved text is never answered "not saved" and an
unsaved one is never answered as if it were."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.commands.core import AsyncScript

from bot.errors import OutcomeUnknown, StoreUnavailable
from bot.store.crypto import Cipher
from bot.store.keys import ContactKeys, field_aad
from bot.store.redis_calls import as_bytes, guarded
from bot.store.store_limits import StoreLimits


class CommitSettler:
    def __init__(self, settle: AsyncScript, cipher: Cipher, limits: StoreLimits) -> None:
        self._settle = settle
        self._cipher = cipher
        self._limits = limits

    async def after(
        self,
        keys: ContactKeys,
        tag: str,
        token: str,
        replies: list[str],
        error: BaseException,
        expected: bytes = b"",
    ) -> list[str] | None:
        """After an unanswered commit: its saved replies, None if it cannot have run.
        `expected`: for a QUICK call, the lock it would write under (it is moved on).

        Raises OutcomeUnknown when Redis still does not say within settle_wait_s (or we
        are cancelled while asking): the caller fails so the sender retries this message id.
        """
        script_keys = [keys.lock, keys.seen]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._limits.settle_wait_s
        while True:
            try:
                async with guarded("settle", self._limits.call_timeout_s):
                    reply: list[Any] = await self._settle(
                        keys=script_keys, args=[token, tag, expected]
                    )
                break
            except StoreUnavailable:
                if loop.time() >= deadline:
                    raise OutcomeUnknown("the commit's outcome is unknown") from error
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                raise OutcomeUnknown("cancelled while settling the commit") from error
        if reply[0] == b"fenced":
            return None
        if reply[0] == b"unknown":
            raise OutcomeUnknown("the lock moved on; the commit may have run") from error
        if len(reply) > 1:
            stored = self._cipher.decrypt_json(as_bytes(reply[1]), field_aad(keys.seen, tag))
            return list(stored)
        return replies
