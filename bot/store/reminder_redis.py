"""The reminders subsystem's storage on one Redis (or cluster), built in one place: its
records, job table, due log, leader lease and consumer groups, over the client the app
hands in plus a blocking client for APScheduler's thread (closed by `close`)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis as sync_redis
from redis.asyncio import Redis

from bot.store.client import is_cluster, sync_cluster_client
from bot.store.crypto import Cipher
from bot.store.keys.reminders import ReminderKeys
from bot.store.lease import Lease
from bot.store.reminder_jobs_redis import RedisDueLog, RedisJobTable
from bot.store.reminder_records_redis import RedisReminderRecords
from bot.store.stream_group import GroupReader

# The client type the app passes through to this module (callers outside bot/store/ only
# hand it on).
StoreClient = Redis


def sync_client_for(redis: Redis) -> sync_redis.Redis:
    """A blocking client to the same server (TCP or unix socket) for APScheduler's store."""
    if is_cluster(redis):
        # The job store's keys share the {rem} tag: one slot, so its transactions work.
        return sync_cluster_client(redis)
    kwargs = redis.connection_pool.connection_kwargs
    wanted = ("db", "username", "password", "socket_timeout", "socket_connect_timeout")
    options: dict[str, Any] = {k: kwargs[k] for k in wanted if kwargs.get(k) is not None}
    if kwargs.get("path"):
        options["unix_socket_path"] = kwargs["path"]
    else:
        options["host"] = kwargs.get("host", "localhost")
        options["port"] = kwargs.get("port", 6379)
    return sync_redis.Redis(**options)


@dataclass(slots=True)
class RedisReminderStorage:
    redis: Redis
    keys: ReminderKeys
    records: RedisReminderRecords
    jobs: RedisJobTable
    due: RedisDueLog
    sync_client: sync_redis.Redis

    @classmethod
    def open(cls, redis: Redis, cipher: Cipher, keys: ReminderKeys) -> RedisReminderStorage:
        sync_client = sync_client_for(redis)
        return cls(
            redis,
            keys,
            RedisReminderRecords(redis, cipher, keys),
            RedisJobTable(sync_client, keys),
            RedisDueLog(redis, keys, sync_client),
            sync_client,
        )

    def due_log(self, kind: str) -> RedisDueLog:
        """The due log another kind of timed work fires into: its own stream, {rem} slot."""
        return RedisDueLog(self.redis, self.keys, self.sync_client, stream=self.keys.due_of(kind))

    def lease(self, ttl: timedelta) -> Lease:
        """The lease naming the one process whose scheduler runs."""
        return Lease(self.redis, self.keys.leader, ttl)

    def group(self, stream: str, group: str, consumer: str, batch: int = 100) -> GroupReader:
        return GroupReader(self.redis, stream, group, consumer, batch=batch)

    def close(self) -> None:
        """Close the blocking client (the app's client is the app's)."""
        with contextlib.suppress(Exception):
            self.sync_client.close()
