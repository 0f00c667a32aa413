"""Sealed documents: one JSON value per key, changed by compare-and-set on a revision.

Some per-contact records are many small values read together (every consent version, every
section's snapshot). Sealed one by one, each pays the seal (29 B), its own deflate and Redis's
per-entry cost; a stream also reserves a whole 4 KB node for its first entry. Kept as one
packed document they share all of it: a plan's consent history went from 4.8 KB to a few
hundred bytes.

Stored as b"<revision>|" + sealed JSON (the AAD is the key). A change reads the document,
computes the next value in Python and writes it only if the revision is still the one read
(one Lua script, one key, so one Cluster slot); on a race it reads again and retries.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio import Redis

from bot.errors import StoreContention
from bot.store.crypto import Cipher

T = TypeVar("T")
JSONDoc = dict[str, Any]
ATTEMPTS = 20

# KEYS: document. ARGV: the revision read ('0': there was none), the new stored value.
_COMPARE_AND_SET = """
local current = redis.call('GET', KEYS[1])
local revision = '0'
if current then revision = string.match(current, '^(%d+)|') or '0' end
if revision ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
"""


class SealedDocuments:
    """Read and change sealed JSON documents (see the module docstring)."""

    def __init__(self, redis: Redis, cipher: Cipher) -> None:
        self.redis = redis
        self._cipher = cipher
        self._compare_and_set = redis.register_script(_COMPARE_AND_SET)

    def open(self, key: str, stored: bytes | str | None) -> tuple[int, JSONDoc | None]:
        """(revision, document) of a stored value; (0, None) when there is none."""
        if stored is None:
            return 0, None
        if not isinstance(stored, bytes):
            raise TypeError("sealed documents need a Redis client with decode_responses=False")
        revision, _, sealed = stored.partition(b"|")
        return int(revision), self._cipher.decrypt_json(sealed, key)

    async def read(self, key: str) -> JSONDoc | None:
        return self.open(key, await self.redis.get(key))[1]

    async def change(
        self,
        key: str,
        change: Callable[[JSONDoc | None], tuple[JSONDoc | None, T]],
        missing: Callable[[], Awaitable[JSONDoc | None]] | None = None,
    ) -> T:
        """Apply `change` (old document -> (new document or None for no write, result)) until
        it lands on the revision it read; returns its result. `missing` gives what stands in
        for a document not written yet (records kept the older way); it is read only then."""
        for _ in range(ATTEMPTS):
            revision, document = self.open(key, await self.redis.get(key))
            if document is None and missing is not None:
                document = await missing()
            new, result = change(document)
            if new is None:
                return result
            stored = f"{revision + 1}|".encode() + self._cipher.encrypt_json(new, key)
            if int(await self._compare_and_set(keys=[key], args=[revision, stored])) == 1:
                return result
        raise StoreContention(f"{ATTEMPTS} writers raced for one record; try again")
