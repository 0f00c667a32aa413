"""The reminders' storage in process memory, built in one place as RedisReminderStorage is
(bot/store/reminder_redis.py): records, job table, due logs, leader lease and consumer
groups, every stream and lease named by the same keys. The scheduler and its consumers run
over it without Redis; tests/store/test_reminder_store_contract.py runs both."""

from __future__ import annotations

from datetime import timedelta

from bot.store.keys.reminders import ReminderKeys
from bot.store.leases import MemoryLease, MemoryLeases
from bot.store.reminder_jobs_memory import MemoryDueLog, MemoryJobTable
from bot.store.reminder_records_memory import MemoryReminderRecords
from bot.store.stream_memory import Clock, MemoryGroupReader, MemoryStreams


class MemoryReminderStorage:
    def __init__(
        self,
        id_key: bytes,
        keys: ReminderKeys,
        clock: Clock,
        *,
        streams: MemoryStreams | None = None,
        leases: MemoryLeases | None = None,
    ) -> None:
        self.keys = keys
        self.streams = streams or MemoryStreams(clock)
        self.leases = leases or MemoryLeases(clock)
        self.records = MemoryReminderRecords(id_key, clock)
        self.jobs = MemoryJobTable()
        self._clock = clock
        self.due = self._log(keys.due)

    def _log(self, stream: str) -> MemoryDueLog:
        return MemoryDueLog(self._clock, self.jobs, self.records, self.streams.stream(stream))

    def due_log(self, kind: str) -> MemoryDueLog:
        """The due log another kind of timed work fires into: its own stream."""
        return self._log(self.keys.due_of(kind))

    def lease(self, ttl: timedelta) -> MemoryLease:
        """The lease naming the one process whose scheduler runs."""
        return self.leases.lease(self.keys.leader, ttl)

    def group(self, stream: str, group: str, consumer: str, batch: int = 100) -> MemoryGroupReader:
        return self.streams.group(stream, group, consumer, batch=batch)

    def close(self) -> None:
        """Nothing to close: kept for the shape RedisReminderStorage has."""
