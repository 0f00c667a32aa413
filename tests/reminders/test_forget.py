"""DELETE MY DATA: after forget + erase_contact no Redis key or member mentions the contact."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from redis.asyncio import Redis

from bot.engine.events import ErasureRequested, Event, ReminderRequested
from bot.engine.session import Session
from bot.i18n import Catalogs
from bot.reminders.dispatcher import Dispatcher
from bot.reminders.planner import Planner
from bot.reminders.store import Appointment
from bot.scheduling.scheduler import JobSpec
from bot.store.crypto import Cipher
from bot.store.keys.reminders import job_prefix
from bot.store.redis_store import RedisConversationStore

from .conftest import FakeClock, RecordingSender, make_intake, make_parent

pytestmark = pytest.mark.anyio

ADDRESS, OTHER = "+12035550142", "+12035550199"


async def everything(redis: Redis, prefix: str) -> dict[bytes, bytes]:
    """Every key under the test's prefix with all it holds, as bytes to search."""
    found: dict[bytes, bytes] = {}
    async for key in redis.scan_iter(match=f"{prefix}*", count=1000):
        kind = (await redis.type(key)).decode()
        parts: list[bytes] = []
        if kind == "string":
            parts = [await redis.get(key) or b""]
        elif kind == "hash":
            for field, value in (await redis.hgetall(key)).items():
                parts += [field, value]
        elif kind == "zset":
            parts = list(await redis.zrange(key, 0, -1))
        elif kind == "set":
            parts = list(await redis.smembers(key))
        elif kind == "list":
            parts = list(await redis.lrange(key, 0, -1))
        elif kind == "stream":
            for _, fields in await redis.xrange(key):
                for field, value in fields.items():
                    parts += [field, value]
        found[key] = b"\x00".join(parts)
    return found


async def mentions(redis: Redis, prefix: str, contact: str) -> list[bytes]:
    needle = contact.strip("{}").encode()
    return [
        key
        for key, held in (await everything(redis, prefix)).items()
        if needle in key or needle in held
    ]


async def busy_parent(
    redis: Redis,
    planner: Planner,
    dispatcher: Dispatcher,
    conversations: RedisConversationStore,
    clock: FakeClock,
    address: str,
) -> str:
    """A parent with every kind of reminder entry: appointments and offers with their jobs,
    a fired due entry, a sent reminder, a failed one, a claimed reply."""
    onboarding = {"stage": "pregnant", "due_date": "2027-08-01", "best_time": "morning"}
    contact = await make_parent(conversations, address, onboarding=onboarding)
    weekly = Appointment(
        "a1", contact, "recovery_meeting", date(2027, 3, 10), time(18, 0), repeat="weekly"
    )
    specs = await planner.add(weekly)
    await planner.add(Appointment("a2", contact, "wic", date(2027, 4, 2), time(11, 0)))
    await planner.sync_offers(contact)
    firer = planner.scheduler.firer
    for spec in specs:
        await firer.fire(spec.job_id, spec.occurrence.isoformat(), spec.send_at.isoformat())
    clock.now = specs[0].send_at
    await dispatcher.step(block=False)  # sends one (sent guard, last sent), one not yet due
    await planner.store.record_failure(contact, "SM-failed", date(2027, 3, 9))
    await planner.store.claim_reply(contact, "1-0")
    await redis.set(planner.scheduler.keys.synced(contact), b"1")
    return contact


async def test_forget_and_erase_leave_nothing_that_names_the_contact(
    redis: Redis,
    prefix: str,
    planner: Planner,
    dispatcher: Dispatcher,
    conversations: RedisConversationStore,
    clock: FakeClock,
) -> None:
    """Jobs, run times, due entries, fired and sent guards (program-wide, under {rem}) and
    the contact's own keys: gone. Another parent's reminders are untouched; twice is fine."""
    contact = await busy_parent(redis, planner, dispatcher, conversations, clock, ADDRESS)
    other = await busy_parent(redis, planner, dispatcher, conversations, clock, OTHER)
    keys = planner.scheduler.keys
    before = await mentions(redis, prefix, contact)
    for program_wide in (keys.jobs, keys.run_times, keys.due):
        assert program_wide.encode() in before
    assert any(b":fired:" in k for k in before)
    assert any(b":sent:" in k for k in before)
    other_jobs = [f async for f in redis.hscan_iter(keys.jobs, match=keys.job_match(other))]
    assert other_jobs

    await planner.forget(contact)
    await conversations.erase_contact(contact)
    assert await mentions(redis, prefix, contact) == []
    await planner.forget(contact)  # idempotent
    assert await mentions(redis, prefix, contact) == []

    assert await redis.hlen(keys.jobs) == len(other_jobs)
    assert await planner.store.appointments(other) != []
    left = await mentions(redis, prefix, other)
    assert {keys.jobs.encode(), keys.run_times.encode(), keys.due.encode()} <= set(left)


async def test_erasure_requested_in_the_outbox_forgets_and_later_events_are_ignored(
    redis: Redis,
    cipher: Cipher,
    planner: Planner,
    conversations: RedisConversationStore,
    translator: Catalogs,
) -> None:
    """Intake forgets on ErasureRequested; an event of the erased contact read afterwards
    (intake lagging behind the eraser) writes nothing back."""
    request = ReminderRequested({"kind": "other", "date": date(2027, 3, 16), "time": time(9, 0)})
    contact = await make_parent(conversations, events=[request])
    intake = make_intake(redis, cipher, conversations, planner, RecordingSender(), translator)
    await intake.ensure_group()
    await intake.step(block=False)
    assert await planner.store.appointments(contact) != []

    def erase_me(session: Session) -> tuple[Session, list[str], list[Event]]:
        return session, [], [ErasureRequested()]

    await conversations.transact(ADDRESS, None, erase_me)
    await intake.step(block=False)
    match = planner.scheduler.keys.job_match(contact)
    assert [f async for f in redis.hscan_iter(planner.scheduler.keys.jobs, match=match)] == []
    await conversations.erase_contact(contact)
    late = ReminderRequested({"kind": "other", "date": date(2027, 3, 23), "time": time(9, 0)})
    [entry] = [e for e in await conversations.read_outbox() if e.type == "ReminderRequested"]
    await intake.handle(type(entry)(entry_id="9-9", contact=contact, type=entry.type, event=late))
    assert [k async for k in redis.scan_iter(match=f"*{contact}*")] == []


async def test_a_due_entry_of_an_erased_contact_is_taken_away_not_sent(
    redis: Redis,
    prefix: str,
    planner: Planner,
    dispatcher: Dispatcher,
    conversations: RedisConversationStore,
    clock: FakeClock,
) -> None:
    """A job the leader fired while the erasure ran: the dispatcher finds no contact, sends
    nothing and forgets, so the entry and its guard do not outlive the contact."""
    contact = await make_parent(conversations)
    specs = await planner.add(Appointment("a1", contact, "other", date(2027, 3, 10), time(9, 0)))
    await planner.forget(contact)
    await conversations.erase_contact(contact)
    spec = JobSpec(specs[0].job_id, specs[0].send_at, specs[0].occurrence, timedelta(hours=1))
    await planner.scheduler.firer.fire(
        spec.job_id, spec.occurrence.isoformat(), spec.send_at.isoformat()
    )
    clock.now = spec.send_at
    await dispatcher.step(block=False)
    assert await mentions(redis, prefix, contact) == []
    due = await redis.xrange(planner.scheduler.keys.due)
    assert not any(f[b"job"].decode().startswith(job_prefix(contact)) for _, f in due)
