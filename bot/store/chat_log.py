"""A web chat's conversation in Redis: what a reload shows, and what an open page hears.

Each item is "<seq>|<kind>|<sealed text>" in a list under the contact's hash tag (one slot),
capped at `CAP` items; `seq` counts up per chat, so a page asks only for what it has not
shown (the `id` of a server-sent event). Appending publishes the contact id on one channel;
`ChatFeed` holds the process's one subscription and wakes the pages of that chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.store.client import is_cluster
from bot.store.crypto import Cipher
from bot.store.keys import KeyBuilder

log = logging.getLogger(__name__)

CAP = 200  # items kept per chat: a whole plan is about 180
KINDS = frozenset({"me", "bot", "outbox"})  # the parent's, the bot's replies, texts sent later
CHANNEL = "chat:news"

# KEYS: the chat's list, the chat's session. ARGV: cap, channel, contact, then (kind, sealed
# text) pairs. Returns the first new seq. The list lives as long as the session (an idle web
# chat expires with it, a plan shared with a team does not).
_APPEND = """
local last = redis.call('LINDEX', KEYS[1], -1)
local seq = 0
if last then seq = tonumber(string.match(last, '^(%d+)|')) end
local first = seq + 1
for i = 4, #ARGV, 2 do
  seq = seq + 1
  redis.call('RPUSH', KEYS[1], seq .. '|' .. ARGV[i] .. '|' .. ARGV[i + 1])
end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
local ttl = redis.call('PTTL', KEYS[2])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return first
"""


@dataclass(frozen=True, slots=True)
class ChatItem:
    seq: int
    kind: str
    text: str


class ChatLog:
    """Append to and read one chat's items (see the module docstring)."""

    def __init__(self, redis: Redis, cipher: Cipher, prefix: str = "") -> None:
        self._redis = redis
        self._cipher = cipher
        self._keys = KeyBuilder(cipher.id_key, prefix)
        self.channel = f"{prefix}{CHANNEL}"
        self._append = redis.register_script(_APPEND)

    def contact_of(self, address: str) -> str:
        return self._keys.contact_id(address)

    async def append(self, address: str, items: Sequence[tuple[str, str]]) -> list[ChatItem]:
        """Add (kind, text) items in order; returns them with their seq numbers."""
        keys = self._keys.for_address(address)
        key = keys.chat
        if not items:
            return []
        args: list[Any] = [CAP, self.channel, keys.contact]
        for kind, text in items:
            if kind not in KINDS:
                raise ValueError(f"not a chat item kind: {kind}")
            args += [kind, self._cipher.encrypt(text.encode("utf-8"), key)]
        first = int(await self._append(keys=[key, keys.session], args=args))
        return [ChatItem(first + n, kind, text) for n, (kind, text) in enumerate(items)]

    async def since(self, address: str, after: int = 0) -> list[ChatItem]:
        """The items after seq `after`, oldest first (all that are kept, for 0)."""
        key = self._keys.for_address(address).chat
        found: list[ChatItem] = []
        for raw in await self._redis.lrange(key, 0, -1):
            if not isinstance(raw, bytes):
                raise TypeError("the chat log needs a Redis client with decode_responses=False")
            seq, kind, sealed = raw.split(b"|", 2)
            if int(seq) > after:
                text = self._cipher.decrypt(sealed, key).decode("utf-8")
                found.append(ChatItem(int(seq), kind.decode(), text))
        return found


class ChatFeed:
    """The process's one subscription to chat news; open pages wait on their chat here."""

    def __init__(self, redis: Redis, channel: str, retry_s: float = 1.0) -> None:
        self._redis = redis
        self._channel = channel
        self._retry_s = retry_s
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._task: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()

    @asynccontextmanager
    async def listening(self, contact: str) -> AsyncIterator[asyncio.Event]:
        """An event set whenever the chat gets an item (or the feed had to reconnect, when
        news may have been missed); registered before the caller reads, so none is lost."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name="chat-feed")
        news = asyncio.Event()
        self._waiting.setdefault(contact, set()).add(news)
        try:
            yield news
        finally:
            waiting = self._waiting.get(contact)
            if waiting is not None:
                waiting.discard(news)
                if not waiting:
                    del self._waiting[contact]

    def _wake(self, contact: str | None) -> None:
        groups = self._waiting.values() if contact is None else [self._waiting.get(contact, ())]
        for group in groups:
            for news in group:
                news.set()

    async def _listen(self) -> None:
        while True:
            pubsub = None
            try:
                if is_cluster(self._redis):
                    # A cluster client picks the pubsub node from its slot map: load it
                    # first. A PUBLISH on any node reaches every node's subscribers.
                    await self._redis.initialize()
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(self._channel)
                self.subscribed.set()
                self._wake(None)  # anything sent while we were away is read again
                async for message in pubsub.listen():
                    data = message.get("data")
                    if isinstance(data, bytes):
                        self._wake(data.decode())
            except (RedisError, OSError) as exc:
                self.subscribed.clear()
                log.warning("chat feed lost Redis: %s", type(exc).__name__)
            finally:
                if pubsub is not None:
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(self._retry_s)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
