"""The store's own EVALSHA path behaves as redis-py's would where it matters."""

from __future__ import annotations

import secrets

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.store.hot_calls import evalsha
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
