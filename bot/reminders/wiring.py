"""Start and stop the reminders subsystem from the app's lifespan (see start_reminders)."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import timedelta

from bot.channels.outbound import Sender
from bot.engine.texts import Translator
from bot.reminders.dispatcher import GROUP as DISPATCH_GROUP
from bot.reminders.dispatcher import Dispatcher, NoteReminder
from bot.reminders.intake import GROUP as INTAKE_GROUP
from bot.reminders.intake import Intake
from bot.reminders.planner import Clock, Conversations, Planner, utc_now
from bot.reminders.ratelimit import PacedSender, TokenBucket
from bot.reminders.reach import Reach
from bot.reminders.replies import ListReplies
from bot.reminders.rules import Timing
from bot.reminders.sending import SentLookup
from bot.reminders.store import ReminderStore
from bot.scheduling.loops import finish
from bot.scheduling.scheduler import Scheduler
from bot.settings import Settings
from bot.store.crypto import Cipher
from bot.store.keys import KeyBuilder
from bot.store.keys.reminders import ReminderKeys
from bot.store.reminder_redis import RedisReminderStorage, StoreClient

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReminderConfig:
    """The reminders subsystem's knobs: pacing from Settings (`from_settings`), the rest
    fixed here (tests shorten them)."""

    send_rate: float = 1.0
    send_burst: float = 3.0
    lease_ttl: timedelta = timedelta(seconds=10)
    renew_every: timedelta = timedelta(seconds=2)
    prefix: str = ""
    # Under the clients' 1 s socket timeout, so a blocking read never times out the socket.
    block_ms: int = 400
    # A due entry a dead leader read but never acked is taken over after this long.
    claim_idle: timedelta = timedelta(seconds=30)
    # A send claim untouched this long is taken over (bot/reminders/sending.py): longer than
    # a Twilio create request may take (its timeout is 10 s).
    send_stale: timedelta = timedelta(seconds=60)

    @classmethod
    def from_settings(cls, settings: Settings, prefix: str = "") -> ReminderConfig:
        return cls(
            send_rate=settings.reminders_send_rate,
            send_burst=settings.reminders_send_burst,
            prefix=prefix,
        )


@dataclass(slots=True)
class Reminders:
    """The running subsystem; lives on the app's Runtime (`runtime.reminders`). Others use
    `planner` (appointments; `planner.forget(contact)` for DELETE MY DATA), `reach` (delivery
    statuses) and `sender` (out-of-band replies that must go ahead of reminders)."""

    config: ReminderConfig
    planner: Planner
    scheduler: Scheduler
    intake: Intake
    dispatcher: Dispatcher
    sender: PacedSender
    reach: Reach
    storage: RedisReminderStorage
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    dispatch_task: asyncio.Task[None] | None = None
    stopped: bool = False

    @property
    def store(self) -> ReminderStore:
        return self.planner.store

    async def start_dispatch(self) -> None:
        """On election: only the leader dispatches, so one process paces the sender."""
        if self.dispatch_task is None or self.dispatch_task.done():
            self.dispatch_task = asyncio.create_task(self.dispatcher.run(), name="reminders-send")

    async def stop_dispatch(self) -> None:
        task, self.dispatch_task = self.dispatch_task, None
        if task is not None:
            self.dispatcher.request_stop()
            await finish(task)


async def start_reminders(
    *,
    settings: Settings,
    redis: StoreClient,
    cipher: Cipher,
    conversations: Conversations,
    sender: Sender,
    translator: Translator,
    config: ReminderConfig | None = None,
    clock: Clock = utc_now,
    note_reminder: NoteReminder | None = None,
    storage: RedisReminderStorage | None = None,
    scheduler: Scheduler | None = None,
    lookup: SentLookup | None = None,
) -> Reminders:
    """Build scheduler (paused, contending for the lease), intake and dispatcher, and start
    them. Call stop_reminders(reminders) on shutdown.

    `redis` must be a bytes client (decode_responses=False), as the conversation store's.
    `note_reminder`: pass `engine.note_reminder`, so C / R / RIDE answer a reminder just sent.
    `storage` and `scheduler`: the one scheduler app.py builds for every kind of timed work
    (both or neither): the caller starts it once every kind is registered; stop_reminders
    stops it and closes the storage. Without them, reminders build and start their own.
    `lookup`: the Twilio sender, so a takeover can ask Twilio whether a dead process's text
    went (none in dev mode, where no request goes to Twilio).
    """
    config = config or ReminderConfig.from_settings(settings)
    keys = ReminderKeys(config.prefix)
    consumer = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
    start_scheduler = scheduler is None
    if storage is None or scheduler is None:
        storage = RedisReminderStorage.open(redis, cipher, keys)
        scheduler = Scheduler(storage, lease_ttl=config.lease_ttl, renew_every=config.renew_every)
    store = ReminderStore(storage.records)
    bucket = TokenBucket(config.send_rate, config.send_burst)
    planner = Planner(
        store,
        scheduler,
        conversations,
        timing=Timing.from_quiet_hours(settings.quiet_hours),
        default_timezone=settings.default_timezone,
        clock=clock,
    )
    scheduler.on_missed = planner.on_missed
    reach = Reach(store, conversations, settings.default_timezone)
    paced = PacedSender(sender, bucket)
    outbox = KeyBuilder(cipher.id_key, config.prefix).outbox
    intake = Intake(
        group=storage.group(outbox, INTAKE_GROUP, consumer),
        cipher=cipher,
        planner=planner,
        replies=ListReplies(planner, paced, translator, reach),
        block_ms=config.block_ms,
    )
    dispatcher = Dispatcher(
        group=storage.group(keys.due, DISPATCH_GROUP, consumer),
        planner=planner,
        sender=sender,
        bucket=bucket,
        translator=translator,
        block_ms=config.block_ms,
        claim_idle=config.claim_idle,
        note_reminder=note_reminder,
        reach=reach,
        lookup=lookup,
        send_stale=config.send_stale,
    )
    reminders = Reminders(config, planner, scheduler, intake, dispatcher, paced, reach, storage)
    scheduler.on_elected = reminders.start_dispatch
    scheduler.on_demoted = reminders.stop_dispatch
    # The consumer groups are made by intake.run() and dispatcher.run(), which wait for Redis:
    # the app starts while Redis is away.
    if start_scheduler:
        await scheduler.start()
    reminders.tasks.add(asyncio.create_task(intake.run(), name="reminders-intake"))
    log.info(
        "reminders running", extra={"event": "reminders_started", "leader": scheduler.is_leader}
    )
    return reminders


async def stop_reminders(reminders: Reminders) -> None:
    """Stop intake and dispatch, step down, release the lease; safe to call twice."""
    if reminders.stopped:
        return
    reminders.stopped = True
    reminders.intake.request_stop()
    for task in reminders.tasks:
        await finish(task)
    await reminders.scheduler.stop()
    await reminders.stop_dispatch()
    await reminders.sender.close()
    reminders.storage.close()
