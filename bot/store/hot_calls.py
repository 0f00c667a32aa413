"""EVALSHA for the two scripts of every text, on a connection kept between calls, without
redis-py's per-command machinery.

redis-py's client wraps each command in a retry helper, observability hooks and response
callbacks, packs it through several layers of argument checks, and sends it inside
`asyncio.wait_for` (a new Task per send in Python 3.11): about 100 us of client CPU per
script call, twice per text. Here: the command packed in one pass (bot/store/resp.py),
written straight to the connection's stream (the write almost always goes out at once; only
a full socket buffer waits, under the socket timeout), and the reply read by the
connection's own parser. Same behaviour where it matters: a script Redis does not have is
loaded and run again; a broken connection (Redis restarted) is retried once on a fresh
one from the pool; any other failure, cancellation included, drops the connection, whose state is
then unknown.

Uses redis-py's asyncio Connection internals (`_writer`), pinned in requirements.txt;
tests/store/test_hot_calls.py checks them against the running Redis.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import ConnectionPool
from redis.asyncio.connection import AbstractConnection
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.errors import StoreUnavailable
from bot.store.resp import packed_command


class NotSent(RedisConnectionError, StoreUnavailable):
    """No connection could be made and nothing of the call was ever written: it cannot run."""


async def _send(conn: AbstractConnection, payload: bytes) -> None:
    writer = conn._writer
    if writer is None:
        raise RedisConnectionError("the connection has no stream")
    try:
        writer.write(payload)
        if writer.transport.get_write_buffer_size():
            async with asyncio.timeout(conn.socket_timeout):
                await writer.drain()
    except TimeoutError:
        raise RedisTimeoutError("Timeout writing to socket") from None
    except OSError as exc:
        raise RedisConnectionError(f"Error writing to socket: {exc}") from exc


async def _connected(pool: ConnectionPool, sent: bool) -> AbstractConnection:
    """A connection from the pool (which connects it); a failure is NotSent unless an
    earlier try of the call may have reached Redis."""
    try:
        conn: AbstractConnection = await pool.get_connection()  # type: ignore[no-untyped-call]
    except RedisConnectionError as exc:  # refused, reset (a timeout stays one: as it was)
        if sent:
            raise
        raise NotSent(f"no connection: {exc}") from exc
    return conn


async def _call(conn: AbstractConnection, payload: bytes) -> Any:
    if not conn.is_connected:
        await conn.connect()  # type: ignore[no-untyped-call]
    await _send(conn, payload)
    return await conn.read_response()


def _source(script: AsyncScript) -> str | bytes:
    source = script.script
    return source if isinstance(source, str | bytes) else bytes(source)


class HotConnections:
    """The hot scripts' connections, kept between calls instead of handed back to the pool.

    redis-py's pool takes a lock, records observability counters, dispatches an event and
    polls the socket for stray data on every get and release: ~20 us per call, twice per
    text. A connection here is kept only after its reply was read in full (or a script
    error, which is an answer), so nothing stray can wait on it; any other outcome drops
    it. After a broken connection (Redis restarted, or killed it), the kept ones are
    dropped too and the retry takes a fresh one from the pool, which checks it.
    """

    def __init__(self, pool: ConnectionPool, keep: int = 64) -> None:
        self._pool = pool
        self._keep = keep
        self._idle: list[AbstractConnection] = []

    async def evalsha(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        payload = packed_command("EVALSHA", script.sha, len(keys), *keys, *args)
        sent = False
        for attempt in range(2):
            if self._idle and not attempt:
                conn = self._idle.pop()
            else:
                conn = await _connected(self._pool, sent)
            try:
                try:
                    sent = True
                    reply = await _call(conn, payload)
                except NoScriptError:
                    await _call(conn, packed_command("SCRIPT", "LOAD", _source(script)))
                    reply = await _call(conn, payload)
            except ResponseError:
                await self._put_back(conn)  # an answer (a script error): the connection is fine
                raise
            except RedisConnectionError:
                await self._drop(conn)
                await self.close(stale=True)  # the kept ones may be as broken as this one
                if attempt:
                    raise
                continue
            except BaseException:
                await self._drop(conn)
                raise
            await self._put_back(conn)
            return reply
        raise AssertionError("unreachable")

    async def _put_back(self, conn: AbstractConnection) -> None:
        if len(self._idle) < self._keep:
            self._idle.append(conn)
        else:
            await self._pool.release(conn)

    async def _drop(self, conn: AbstractConnection) -> None:
        """Its state is unknown: closed, then handed back to the pool (which reconnects)."""
        try:
            await conn.disconnect()
        finally:
            await self._pool.release(conn)

    async def close(self, *, stale: bool = False) -> None:
        """Hand every kept connection back to the pool (closed first if `stale`)."""
        idle, self._idle = self._idle, []
        for conn in idle:
            if stale:
                await self._drop(conn)
            else:
                await self._pool.release(conn)


async def evalsha(
    pool: ConnectionPool, script: AsyncScript, keys: list[str], args: list[Any]
) -> Any:
    """One hot call on a connection of the pool's, handed back afterwards."""
    return await HotConnections(pool, keep=0).evalsha(script, keys, args)
