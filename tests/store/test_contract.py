"""One behaviour contract, run against the memory store and the Redis store alike."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.engine.events import AnswerRecord, Event, OptedOut, ReminderRequested, SectionCompleted
from bot.engine.session import Session
from bot.errors import StoreUnavailable
from bot.store.base import Apply

from .conftest import Harness

pytestmark = pytest.mark.anyio

PHONE = "+18605550142"
OTHER = "+18605550143"


def append(value: int, events: list[Event] | None = None) -> Apply:
    """An apply that adds `value` to a list in the plan and answers with it."""

    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        seen = session.plan.answers.setdefault("test", {}).setdefault("seen", [])
        seen.append(value)
        return session, [f"got {value}"], list(events or [])

    return apply


def seen(session: Session | None) -> list[int]:
    assert session is not None
    return list(session.plan.answers["test"]["seen"])


async def test_transact_saves_what_load_returns(harness: Harness) -> None:
    """A transaction's session and plan come back from load, equal field by field."""
    assert await harness.store.load(PHONE) is None

    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        session.locale, session.mode, session.flow, session.step = "es", "ask", "basic", "home"
        session.trail.append(["onboarding", "name"])
        session.plan.answers["onboarding"] = {"name": "Rosa", "zip": "06103"}
        session.plan.versions["onboarding"] = 2
        return session, ["hola", "¿dónde vives?"], []

    outcome = await harness.store.transact(PHONE, "SM1", apply)

    assert outcome.replies == ["hola", "¿dónde vives?"]
    assert not outcome.duplicate
    assert outcome.session is not None
    loaded = await harness.store.load(PHONE)
    assert loaded is not None
    assert loaded.to_json() == outcome.session.to_json()
    assert loaded.plan.answers["onboarding"]["name"] == "Rosa"


async def test_first_message_starts_from_an_empty_session(harness: Harness) -> None:
    """A new contact's apply sees a default Session."""
    given: list[Session] = []

    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        given.append(session)
        return session, [], []

    await harness.store.transact(PHONE, None, apply)

    assert given[0].to_json() == Session().to_json()


async def test_events_come_back_in_the_outcome(harness: Harness) -> None:
    """The events apply returned are handed back for the service's hooks."""
    # Typed answers hold dates and times, which the Redis outbox must carry too.
    record = AnswerRecord("due", "When is the baby due?", "date", dt.date(2027, 3, 1))
    events: list[Event] = [
        SectionCompleted("basic_needs", 1, (record,)),
        ReminderRequested({"visit": dt.date(2027, 1, 5), "at": dt.time(9, 30)}),
        OptedOut("STOP"),
    ]

    outcome = await harness.store.transact(PHONE, "SM1", append(1, events))

    assert outcome.events == events


async def test_duplicate_message_id_replays_replies_and_applies_once(harness: Harness) -> None:
    """A retried message id returns the first replies, duplicate=True, and changes nothing."""
    first = await harness.store.transact(PHONE, "SM1", append(1))
    again = await harness.store.transact(PHONE, "SM1", append(2))

    assert again.duplicate
    assert again.replies == first.replies == ["got 1"]
    assert again.events == []
    assert seen(await harness.store.load(PHONE)) == [1]


async def test_message_ids_are_scoped_per_contact(harness: Harness) -> None:
    """The same id from two contacts is two messages (web chat ids are not global)."""
    await harness.store.transact(PHONE, "m1", append(1))
    other = await harness.store.transact(OTHER, "m1", append(2))

    assert not other.duplicate
    assert seen(await harness.store.load(OTHER)) == [2]


async def test_without_message_id_every_call_applies(harness: Harness) -> None:
    """message_id=None means no dedupe: the terminal and tests rely on it."""
    await harness.store.transact(PHONE, None, append(1))
    await harness.store.transact(PHONE, None, append(2))

    assert seen(await harness.store.load(PHONE)) == [1, 2]


async def test_twenty_concurrent_messages_from_one_phone_lose_nothing(harness: Harness) -> None:
    """Messages from one contact run one at a time: every append survives."""
    outcomes = await asyncio.gather(
        *(harness.store.transact(PHONE, f"SM{i}", append(i)) for i in range(20))
    )

    assert sorted(seen(await harness.store.load(PHONE))) == list(range(20))
    assert [o.replies for o in outcomes] == [[f"got {i}"] for i in range(20)]


async def test_a_busy_contact_does_not_block_another(harness: Harness) -> None:
    """While one contact is held, another is served at once; the held one waits its turn."""
    async with harness.hold(PHONE):
        waiting = asyncio.create_task(harness.store.transact(PHONE, "SM1", append(1)))
        # Served while PHONE is still held: a blocked call would wait out the lock.
        await harness.store.transact(OTHER, "SM2", append(2))
        assert not waiting.done()  # OTHER was served in full while PHONE's text waits

    outcome = await asyncio.wait_for(waiting, 2)
    assert outcome.replies == ["got 1"]
    assert seen(await harness.store.load(OTHER)) == [2]


@pytest.mark.parametrize("lock_wait_s", [0.3])
async def test_waiting_for_a_held_contact_is_bounded(harness: Harness) -> None:
    """A contact held past the wait limit gives StoreUnavailable, not an endless wait."""
    async with harness.hold(PHONE):
        with pytest.raises(StoreUnavailable):
            await harness.store.transact(PHONE, "SM1", append(1))

    assert await harness.store.load(PHONE) is None


async def test_failing_apply_changes_nothing_and_frees_the_contact(harness: Harness) -> None:
    """An exception in apply propagates; session, plan and dedupe stay as they were."""
    await harness.store.transact(PHONE, "SM1", append(1))

    def broken(session: Session) -> tuple[Session, list[str], list[Event]]:
        session.plan.answers["test"]["seen"].append(99)
        session.locale = "es"
        raise RuntimeError("engine bug")

    with pytest.raises(RuntimeError, match="engine bug"):
        await harness.store.transact(PHONE, "SM2", broken)

    loaded = await harness.store.load(PHONE)
    assert seen(loaded) == [1]
    assert loaded is not None
    assert loaded.locale == "en"
    # The lock was freed (no wait for its TTL) and SM2 was not marked as handled.
    retried = await asyncio.wait_for(harness.store.transact(PHONE, "SM2", append(2)), 0.5)
    assert not retried.duplicate
    assert seen(await harness.store.load(PHONE)) == [1, 2]


async def test_dev_outbox_returns_the_newest_texts_oldest_first(harness: Harness) -> None:
    """The dev outbox reads like a chat log; `limit` keeps the most recent ones."""
    assert list(await harness.store.dev_outbox(PHONE)) == []
    for text in ["one", "two", "three", "cuatro ñ"]:
        await harness.store.push_dev_outbox(PHONE, text)

    assert list(await harness.store.dev_outbox(PHONE)) == ["one", "two", "three", "cuatro ñ"]
    assert list(await harness.store.dev_outbox(PHONE, limit=2)) == ["three", "cuatro ñ"]
    assert list(await harness.store.dev_outbox(OTHER)) == []


async def test_dev_outbox_is_capped(harness: Harness) -> None:
    """Old dev texts fall off: a long session does not grow the outbox without end."""
    for i in range(205):
        await harness.store.push_dev_outbox(PHONE, f"t{i}")

    kept = list(await harness.store.dev_outbox(PHONE, limit=1000))
    assert len(kept) == 200
    assert kept[-1] == "t204"


async def test_deliveries_keep_the_latest_status_per_message(harness: Harness) -> None:
    """Each MessageSid maps to its last reported status."""
    await harness.store.transact(PHONE, None, append(1))
    assert await harness.store.deliveries(PHONE) == {}
    await harness.store.record_delivery(PHONE, "SM1", {"status": "queued"})
    await harness.store.record_delivery(PHONE, "SM1", {"status": "delivered"})
    await harness.store.record_delivery(PHONE, "SM2", {"status": "failed", "error_code": 30003})

    assert await harness.store.deliveries(PHONE) == {
        "SM1": {"status": "delivered"},
        "SM2": {"status": "failed", "error_code": 30003},
    }
    assert await harness.store.deliveries(OTHER) == {}


async def test_a_status_for_no_contact_writes_nothing(harness: Harness) -> None:
    """A callback for a number that is no contact (never seen, or erased) leaves no trace."""
    assert await harness.store.record_delivery(OTHER, "SM1", {"status": "delivered"}) is False
    assert await harness.store.deliveries(OTHER) == {}
    assert await harness.store.load(OTHER) is None


async def test_ping_answers(harness: Harness) -> None:
    assert await harness.store.ping()
