"""Values a contact's keys hold in an older packed form (zlib against v1.bin, before
Zstandard) keep opening, and the next text writes them in the current form."""

from __future__ import annotations

import zlib

import pytest
from redis.asyncio import Redis

from bot.engine.events import Event
from bot.engine.session import Session
from bot.store import packing
from bot.store.crypto import Cipher
from bot.store.redis_store import RedisConversationStore

pytestmark = pytest.mark.anyio

PHONE = "+14155550123"
V1 = 0x19B925D7


def zlib_v1(plain: bytes) -> bytes:
    """What pack() wrote before Zstandard: zlib level 1 against the v1 dictionary."""
    packer = zlib.compressobj(
        1, zlib.DEFLATED, zlib.MAX_WBITS, 8, zlib.Z_DEFAULT_STRATEGY, packing.dictionaries()[V1]
    )
    return packer.compress(plain) + packer.flush()


async def test_a_contact_stored_the_zlib_way_opens_and_is_rewritten_as_zstandard(
    redis_store: RedisConversationStore, raw_redis: Redis, cipher: Cipher
) -> None:
    def first(session: Session) -> tuple[Session, list[str], list[Event]]:
        session.plan.answers["onboarding"] = {"name": "Rosa " * 20, "zip": "06103"}
        session.history.extend([["out", "What is your ZIP code? " * 3, "x"]] * 4)
        return session, ["ok"], []

    await redis_store.transact(PHONE, "SM1", first)
    keys = redis_store.keys_for(PHONE)
    for key in (keys.session, keys.plan):
        plain = packing.unpack(cipher.decrypt(await raw_redis.get(key), key))
        old = zlib_v1(plain)
        assert old[0] == packing.ZLIB_HEAD
        assert len(old) < len(plain)
        await raw_redis.set(key, cipher.encrypt(old, key))
    before = await redis_store.load(PHONE)
    assert before is not None
    assert before.plan.answers["onboarding"]["zip"] == "06103"

    seen: list[str] = []

    def second(session: Session) -> tuple[Session, list[str], list[Event]]:
        seen.append(session.plan.answers["onboarding"]["name"])
        session.plan.answers["onboarding"]["zip"] = "06106"
        return session, ["ok"], []

    await redis_store.transact(PHONE, "SM2", second)
    assert seen[-1] == "Rosa " * 20  # the last apply read the zlib values
    for key in (keys.session, keys.plan):
        assert cipher.decrypt(await raw_redis.get(key), key)[0] == packing.CURRENT_FORM
    after = await redis_store.load(PHONE)
    assert after is not None
    assert after.plan.answers["onboarding"] == {"name": "Rosa " * 20, "zip": "06106"}
    assert after.to_json()["history"] == before.to_json()["history"]
