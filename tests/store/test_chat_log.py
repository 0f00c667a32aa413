"""A web chat's conversation: kept in order and capped, as long-lived as the chat's session,
sealed, and heard by open pages the moment an item is added."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from bot.store.chat_log import CAP, ChatFeed, ChatLog
from bot.store.crypto import Cipher
from bot.store.keys import KeyBuilder

pytestmark = pytest.mark.anyio
ADDRESS = "web:" + "A" * 32


async def test_items_keep_their_order_and_seq_and_only_the_newest_cap_stay(
    raw_redis: Redis, cipher: Cipher, prefix: str
) -> None:
    log = ChatLog(raw_redis, cipher, prefix)
    first = await log.append(ADDRESS, [("me", "hi"), ("bot", "Hi! This is Safe Start.")])
    assert [(i.seq, i.kind) for i in first] == [(1, "me"), (2, "bot")]
    later = await log.append(ADDRESS, [("outbox", "Ana: I can call you today.")])
    assert later[0].seq == 3
    assert [i.text for i in await log.since(ADDRESS, 2)] == ["Ana: I can call you today."]
    for n in range(CAP):
        await log.append(ADDRESS, [("me", f"text {n}")])
    kept = await log.since(ADDRESS)
    assert len(kept) == CAP
    assert kept[-1].seq == 3 + CAP
    assert kept[0].text == "text 0"  # the three before went
    key = KeyBuilder(cipher.id_key, prefix).for_address(ADDRESS).chat
    assert b"Ana" not in b"".join(await raw_redis.lrange(key, 0, -1))  # sealed
    with pytest.raises(ValueError, match="kind"):
        await log.append(ADDRESS, [("system", "x")])


async def test_the_log_lives_as_long_as_the_session(
    raw_redis: Redis, cipher: Cipher, prefix: str
) -> None:
    keys = KeyBuilder(cipher.id_key, prefix).for_address(ADDRESS)
    log = ChatLog(raw_redis, cipher, prefix)
    await raw_redis.set(keys.session, b"x", ex=3600)
    await log.append(ADDRESS, [("me", "hi")])
    assert 3500 < await raw_redis.ttl(keys.chat) <= 3600
    await raw_redis.persist(keys.session)  # the plan is shared with a team now: kept
    await log.append(ADDRESS, [("me", "yes")])
    assert await raw_redis.ttl(keys.chat) == -1


async def test_an_open_page_hears_its_chat_and_not_another(
    raw_redis: Redis, cipher: Cipher, prefix: str
) -> None:
    log = ChatLog(raw_redis, cipher, prefix)
    feed = ChatFeed(raw_redis, log.channel)
    try:
        async with (
            feed.listening(log.contact_of(ADDRESS)) as mine,
            feed.listening(log.contact_of("web:" + "B" * 32)) as theirs,
        ):
            await asyncio.wait_for(feed.subscribed.wait(), 5)
            mine.clear()
            theirs.clear()
            await log.append(ADDRESS, [("outbox", "Ana: hello")])
            await asyncio.wait_for(mine.wait(), 5)
            assert not theirs.is_set()
    finally:
        await feed.close()
