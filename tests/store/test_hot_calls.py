"""The store's own EVALSHA path behaves as redis-py's would where it matters."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ResponseError

from bot.store.hot_calls import HotConnections, evalsha
from tests.store.conftest import REDIS_URL

pytestmark = pytest.mark.anyio


def fresh_script(redis: Redis, body: str) -> object:
    """A script Redis cannot have cached yet: its text is new."""
    return redis.register_script(f"-- {secrets.token_hex(8)}\n{body}")


async def test_a_script_redis_does_not_have_is_loaded_and_run(raw_redis: Redis) -> None:
    script = fresh_script(raw_redis, "return {KEYS[1], ARGV[1], ARGV[2]}")
    assert not (await raw_redis.script_exists(script.sha))[0]  # type: ignore[attr-defined]
    reply = await evalsha(raw_redis.connection_pool, script, ["k"], ["é", 7])  # type: ignore[arg-type]
    assert reply == [b"k", "é".encode(), b"7"]
    assert (await raw_redis.script_exists(script.sha))[0]  # type: ignore[attr-defined]


async def pooled_id(redis: Redis) -> int:
    """The server's id of the connection the pool hands out next (it is handed back)."""
    pool = redis.connection_pool
    conn = await pool.get_connection()  # type: ignore[no-untyped-call]
    try:
        await conn.send_command("CLIENT", "ID")
        return int(await conn.read_response())
    finally:
        await pool.release(conn)


async def test_a_connection_killed_under_it_is_replaced_once(raw_redis: Redis) -> None:
    script = fresh_script(raw_redis, "return ARGV[1]")
    pool = raw_redis.connection_pool
    first = await pooled_id(raw_redis)
    async with Redis.from_url(str(REDIS_URL)) as other:
        await other.client_kill_filter(_id=first)
    assert await evalsha(pool, script, [], ["still here"]) == b"still here"  # type: ignore[arg-type]
    assert await pooled_id(raw_redis) != first


async def test_a_script_error_is_raised_and_the_connection_kept(raw_redis: Redis) -> None:
    broken = fresh_script(raw_redis, "return redis.call('NOPE')")
    before = await pooled_id(raw_redis)
    with pytest.raises(ResponseError):
        await evalsha(raw_redis.connection_pool, broken, [], [])  # type: ignore[arg-type]
    assert await pooled_id(raw_redis) == before


class CountingGets:
    """How many connections a pool handed out (its get_connection, wrapped)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, pool: ConnectionPool) -> None:
        self.count = 0
        original = pool.get_connection

        async def counted() -> AbstractConnection:
            self.count += 1
            return await original()  # type: ignore[no-any-return]

        monkeypatch.setattr(pool, "get_connection", counted)


async def test_the_hot_calls_keep_their_connection_between_calls(
    raw_redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool's get and release (a lock, counters, an event, a socket poll) are paid once,
    not on each of a text's two calls; a script error is an answer and keeps it too."""
    script = fresh_script(raw_redis, "return ARGV[1]")
    broken = fresh_script(raw_redis, "return redis.call('NOPE')")
    gets = CountingGets(monkeypatch, raw_redis.connection_pool)
    hot = HotConnections(raw_redis.connection_pool)
    try:
        for n in range(5):
            assert await hot.evalsha(script, [], [n]) == str(n).encode()  # type: ignore[arg-type]
        with pytest.raises(ResponseError):
            await hot.evalsha(broken, [], [])  # type: ignore[arg-type]
        assert await hot.evalsha(script, [], ["after"]) == b"after"  # type: ignore[arg-type]
        assert gets.count == 1
    finally:
        await hot.close()


async def test_a_kept_connection_killed_under_it_is_replaced_once(raw_redis: Redis) -> None:
    script = fresh_script(raw_redis, "return ARGV[1]")
    pool = raw_redis.connection_pool
    hot = HotConnections(pool)
    try:
        # Two calls at once: two connections kept.
        await asyncio.gather(*(hot.evalsha(script, [], ["x"]) for _ in range(2)))  # type: ignore[arg-type]
        kept = list(hot._idle)
        assert len(kept) == 2
        ids = []
        for conn in kept:
            await conn.send_command("CLIENT", "ID")
            ids.append(int(await conn.read_response()))
        async with Redis.from_url(str(REDIS_URL)) as other:
            for ident in ids:
                await other.client_kill_filter(_id=ident)
        # The first kept one fails; the other kept one is as dead: the retry takes the pool's.
        assert await hot.evalsha(script, [], ["still here"]) == b"still here"  # type: ignore[arg-type]
        assert await hot.evalsha(script, [], ["and here"]) == b"and here"  # type: ignore[arg-type]
    finally:
        await hot.close()
