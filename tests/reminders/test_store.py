"""The reminder store: sealed records, keys on the contact's slot, once-only guards."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from redis.asyncio import Redis

from bot.errors import DecryptionError
from bot.reminders.store import Appointment, Offer, ReminderStore
from bot.store.keys.reminders import ReminderKeys, job_id, parse_job_id

pytestmark = pytest.mark.anyio

CONTACT = "{c:" + "ab" * 16 + "}"


def appointment() -> Appointment:
    return Appointment(
        id="a1",
        contact=CONTACT,
        kind="treatment",
        day=date(2027, 3, 10),
        at=time(10, 30),
        repeat="weekly",
        place="Zanzibar Recovery Center",
        source="care_team",
    )


async def test_appointments_round_trip_and_nothing_is_in_clear(
    store: ReminderStore, redis: Redis, keys: ReminderKeys
) -> None:
    """Kind, time and place are health information: stored sealed, read back whole."""
    item = appointment()
    await store.put(item)
    assert await store.get(CONTACT, "a1") == item
    assert await store.appointments(CONTACT) == [item]
    raw = await redis.hgetall(keys.appointments(CONTACT))
    blob = b"".join(raw.values())
    for secret in (b"Zanzibar", b"treatment", b"2027-03-10", b"10:30"):
        assert secret not in blob


async def test_a_record_moved_to_another_field_does_not_open(
    store: ReminderStore, redis: Redis, keys: ReminderKeys
) -> None:
    """Sealing binds a value to its key and field: copying it elsewhere fails."""
    await store.put(appointment())
    key = keys.appointments(CONTACT)
    await redis.hset(key, "a2", await redis.hget(key, "a1"))  # type: ignore[arg-type]
    with pytest.raises(DecryptionError):
        await store.get(CONTACT, "a2")


def test_keys_keep_a_contact_on_one_slot_and_reminder_keys_on_another() -> None:
    """Per-contact keys carry the contact's hash tag; scheduler keys share {rem}."""
    keys = ReminderKeys("p:")
    for key in (
        keys.appointments(CONTACT),
        keys.offers(CONTACT),
        keys.last_sent(CONTACT),
        keys.failures(CONTACT),
        keys.offered(CONTACT),
        keys.replied(CONTACT),
        *keys.per_contact(CONTACT),
    ):
        assert key.startswith("p:" + CONTACT)
    job = job_id(CONTACT, "a1", "3h")
    for key in (
        keys.jobs,
        keys.run_times,
        keys.due,
        keys.leader,
        keys.fired(job, "t"),
        keys.sent(job, "t"),
    ):
        assert key.startswith("p:{rem}")
    assert parse_job_id(job) == (CONTACT, "a1", "3h")
    with pytest.raises(ValueError, match="not a reminder"):
        parse_job_id("something:else")
    with pytest.raises(ValueError, match="braces"):
        ReminderKeys("{x}")


async def test_a_send_claim_is_once_per_occurrence(store: ReminderStore) -> None:
    """The claim taken before sending: a second for one occurrence finds it in flight."""
    job = job_id(CONTACT, "a1", "3h")
    first = await store.take_send(job, "2027-03-10T15:30:00+00:00", "one", 0, 60_000)
    again = await store.take_send(job, "2027-03-10T15:30:00+00:00", "two", 0, 60_000)
    week = await store.take_send(job, "2027-03-17T15:30:00+00:00", "one", 0, 60_000)
    assert (first.state, again.state, week.state) == ("new", "busy", "new")


async def test_failures_count_texts_once_and_days_apart(store: ReminderStore) -> None:
    """A repeated callback for one text counts once; days are counted as given (local)."""
    monday, tuesday = date(2027, 3, 8), date(2027, 3, 9)
    assert await store.record_failure(CONTACT, "SM1", monday) == (1, 1)
    assert await store.record_failure(CONTACT, "SM1", monday) == (1, 1)  # Twilio's retry
    assert await store.record_failure(CONTACT, "SM2", monday) == (2, 1)
    assert await store.record_failure(CONTACT, "SM3", tuesday) == (3, 2)
    await store.clear_failures(CONTACT)
    assert await store.record_failure(CONTACT, "SM4", tuesday) == (1, 1)


async def test_a_reply_is_claimed_once_per_outbox_entry(store: ReminderStore) -> None:
    """REMINDERS / cancel n answered once, however often its entry is delivered."""
    assert await store.claim_reply(CONTACT, "1-0")
    assert not await store.claim_reply(CONTACT, "1-0")
    assert await store.claim_reply(CONTACT, "2-0")


async def test_offers_and_offered_milestones(
    store: ReminderStore, redis: Redis, keys: ReminderKeys
) -> None:
    """Standard-schedule offers per series; offered milestones remembered, sealed."""
    offer = Offer("baby", "baby-2m", "baby_checkup", date(2027, 5, 1), catch_up=True)
    await store.put_offer(CONTACT, offer)
    assert await store.offers(CONTACT) == {"baby": offer}
    await store.mark_offered(CONTACT, "baby-2m")
    await store.mark_offered(CONTACT, "baby-2m")
    assert await store.offered(CONTACT) == {"baby-2m"}
    assert b"baby" not in (await redis.get(keys.offered(CONTACT)) or b"")
    await store.remove_offer(CONTACT, "baby")
    assert await store.offer(CONTACT, "baby") is None


async def test_last_sent_tells_which_appointment_a_reply_is_about(store: ReminderStore) -> None:
    """C / R / RIDE refer to the newest reminder: its appointment is kept."""
    now = datetime(2027, 3, 8, 15, 0, tzinfo=UTC)
    await store.record_sent(CONTACT, "a1", "2027-03-10T15:30:00+00:00", "SM1", now)
    last = await store.last_sent(CONTACT)
    assert last is not None
    assert last["item"] == "a1"
    assert last["sid"] == "SM1"
