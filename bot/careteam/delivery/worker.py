"""The delivery worker: one loop over its two halves, reading the outbox and sending what is due.

At least once: an outbox entry is acknowledged only after its jobs exist (outbox.py), a job
leaves the schedule only after a 2xx, and a job's webhook-id is the same on every try
(sender.py), so receivers dedupe. Redis or network trouble pauses the loop, never ends it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import httpx

from bot.careteam.delivery.base import (
    TRANSIENT,
    Clock,
    DeliveryConfig,
    Jitter,
    system_jitter,
)
from bot.careteam.delivery.outbox import OutboxReader
from bot.careteam.delivery.routing import EventRouter
from bot.careteam.delivery.sender import JobPoster, new_client
from bot.careteam.delivery.timer import DeliveryTimer, TimedWork
from bot.careteam.directory import Directory
from bot.careteam.erasure import Eraser, Forget, forget_nothing
from bot.careteam.payload import Names
from bot.careteam.records import CareRecords
from bot.engine.loader import FlowSet
from bot.observability import Metrics
from bot.scheduling.loops import being_cancelled
from bot.store.base import ConversationStore
from bot.store.care_records import CareCoordination
from bot.store.client import until_redis_answers
from bot.store.crypto import Cipher
from bot.store.limits import PageGate
from bot.store.outbox import OutboxEntry

log = logging.getLogger("bot.careteam.delivery")


class DeliveryWorker:
    """Reads the outbox and delivers to the care team; see the module docstring.

    `forget(contact)` is called when a parent's data is erased, before their keys go, for
    whatever keeps program-wide traces of them (reminders' scheduled jobs).
    """

    def __init__(
        self,
        *,
        store: ConversationStore,
        records: CareRecords,
        coordination: CareCoordination,
        timed: TimedWork,
        directory: Directory,
        flows: FlowSet,
        cipher: Cipher,
        config: DeliveryConfig | None = None,
        client: httpx.AsyncClient | None = None,
        clock: Clock = time.time,
        jitter: Jitter = system_jitter,
        names: Names | None = None,
        forget: Forget = forget_nothing,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config or DeliveryConfig()
        self.records = records
        self.directory = directory
        self.flows = flows
        self.names = names or Names(program=directory.program.name)
        self._own_client = client is None
        self._http = client or new_client(self.config)
        self.timer = DeliveryTimer(
            timed,
            records.store,
            consumer=self.config.consumer,
            batch=self.config.concurrency,
            clock=clock,
            lease_s=self.config.lease_s,
        )
        self.reader = OutboxReader(
            records=records,
            coordination=coordination,
            cipher=cipher,
            stream=store.outbox_stream,
            config=self.config,
        )
        eraser = Eraser(
            store=store,
            records=records,
            directory=directory,
            clock=clock,
            notice_delay_s=self.config.lease_s,
            forget=forget,
            timer=self.timer,
        )
        pages = PageGate(coordination.limiter(cipher.id_key), self.config.page_once_s)
        self.router = EventRouter(
            store=store,
            records=records,
            directory=directory,
            flows=flows,
            names=self.names,
            eraser=eraser,
            timer=self.timer,
            clock=clock,
            pages=pages,
            default_timezone=self.config.default_timezone,
        )
        self.sender = JobPoster(
            records=records,
            directory=directory,
            flows=flows,
            names=self.names,
            config=self.config,
            client=self._http,
            clock=clock,
            jitter=jitter,
            timer=self.timer,
            metrics=metrics,
        )

    async def prepare(self) -> None:
        """Create the consumer groups (from the streams' start: earlier entries count too)
        and move the previous release's schedule onto the scheduler."""
        await self.reader.prepare()
        await self.timer.prepare()
        await self.timer.upgrade()

    async def run(self) -> None:
        """Work until cancelled; Redis or network trouble is logged and retried, never fatal."""
        try:
            # The app starts without Redis: wait for it here rather than die.
            await until_redis_answers(self.prepare, "care-team delivery")
            while True:
                if being_cancelled():
                    # A cancel that redis-py turned into an error inside step() was caught
                    # there; the task is still being cancelled, so stop here.
                    raise asyncio.CancelledError
                try:
                    worked = await self.step()
                except TRANSIENT as exc:
                    if being_cancelled():
                        # redis-py can turn a cancelled read into a connection error: the
                        # cancel must still stop the worker, not be retried as an outage.
                        raise asyncio.CancelledError from exc
                    log.warning("care-team delivery paused: %s: %.200s", type(exc).__name__, exc)
                    worked = 0
                except Exception:
                    if being_cancelled():
                        raise asyncio.CancelledError from None
                    # A bug must not stop delivery for every parent: log it, keep going.
                    log.exception("care-team delivery step failed")
                    worked = 0
                if not worked:
                    await asyncio.sleep(self.config.idle_sleep_s)
        finally:
            await self.reader.resign()

    async def step(self) -> int:
        """One pass: read what the outbox holds, then send what is due. Returns work done."""
        return await self.consume() + await self.send_due()

    async def consume(self) -> int:
        """Apply outbox entries in order, if this process holds the reader's lease."""
        # Looked up on each call, so a test may stand in for `apply`.
        return await self.reader.consume(lambda entry: self.apply(entry))

    async def apply(self, entry: OutboxEntry) -> None:
        """Act on one engine event: consent, a section, a need, an alert or an erasure."""
        await self.router.apply(entry)

    async def send_due(self) -> int:
        return await self.sender.send_due()

    async def retry_parked(self, wid: str | None = None) -> int:
        """Put parked jobs (one, or all) back in the schedule with a fresh count of tries."""
        return await self.sender.retry_parked(wid)

    async def close(self) -> None:
        if self._own_client:
            await self._http.aclose()


async def drain(
    worker: DeliveryWorker,
    *,
    until: Callable[[], Awaitable[bool]] | None = None,
    rounds: int = 1000,
) -> int:
    """Step until nothing is left to do now (or `until` holds); for tests, the bench and CLI.
    Each round first fires what the scheduler holds due at the worker's clock (the leader's
    scheduler does that on the machine's time; tests' clocks are their own)."""
    total = 0
    for _ in range(rounds):
        worked = await worker.timer.run_due() + await worker.step()
        total += worked
        if until is not None and await until():
            return total
        if not worked:
            return total
    return total
