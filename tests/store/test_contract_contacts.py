"""The conversation store's contract, continued: contacts by id, the outbox and erasure (what
the care team, the dashboard and reminders use), over memory, Redis and a cluster alike."""

from __future__ import annotations

import pytest

from bot.engine.events import Event, OptedOut, SectionCompleted

from .conftest import Harness
from .test_contract import OTHER, PHONE, append, seen

pytestmark = pytest.mark.anyio


async def test_a_contact_id_names_one_address_and_reveals_nothing(harness: Harness) -> None:
    store = harness.store
    contact = store.contact_of(PHONE)
    assert contact == store.contact_of(PHONE)
    assert contact != store.contact_of(OTHER)
    assert PHONE.lstrip("+") not in contact
    assert await store.address_of(contact) is None  # nothing saved yet
    assert await store.load_contact(contact) is None

    await store.transact(PHONE, None, append(1))

    assert await store.address_of(contact) == PHONE
    assert seen(await store.load_contact(contact)) == [1]


async def test_many_contacts_load_at_once_and_are_listed(harness: Harness) -> None:
    store = harness.store
    await store.transact(PHONE, None, append(1))
    await store.transact(OTHER, None, append(2))
    mine, theirs = store.contact_of(PHONE), store.contact_of(OTHER)
    nobody = store.contact_of("+18605550199")

    loaded = await store.load_contacts([mine, nobody, theirs])

    assert sorted(loaded) == sorted([mine, theirs])
    assert seen(loaded[theirs]) == [2]
    assert sorted([c async for c in store.contacts(batch=1)]) == sorted([mine, theirs])


async def test_events_reach_the_outbox_in_order_named_by_contact(harness: Harness) -> None:
    store = harness.store
    done = SectionCompleted("basic_needs", 1, ())
    await store.transact(PHONE, None, append(1, [done]))
    await store.transact(OTHER, None, append(2, [OptedOut("STOP")]))
    await store.transact(PHONE, None, append(3, [OptedOut("STOP")]))

    entries = await store.read_outbox()

    assert [(e.contact, e.event) for e in entries] == [
        (store.contact_of(PHONE), done),
        (store.contact_of(OTHER), OptedOut("STOP")),
        (store.contact_of(PHONE), OptedOut("STOP")),
    ]
    assert [e.type for e in entries] == ["SectionCompleted", "OptedOut", "OptedOut"]
    later = await store.read_outbox(start="(" + entries[0].entry_id, count=1)
    assert [e.entry_id for e in later] == [entries[1].entry_id]
    assert store.outbox_stream  # the name the workers' groups read it by


async def test_erasing_a_contact_leaves_nothing_of_it_and_others_alone(harness: Harness) -> None:
    store = harness.store
    await store.transact(PHONE, "SM1", append(1))
    await store.record_delivery(PHONE, "SM1", {"status": "delivered"})
    await store.push_dev_outbox(PHONE, "a reminder")
    await store.transact(OTHER, None, append(2))
    contact = store.contact_of(PHONE)

    assert await store.erase_contact(contact) > 0

    assert await store.load(PHONE) is None
    assert await store.address_of(contact) is None
    assert await store.deliveries(PHONE) == {}
    assert await store.dev_outbox(PHONE) == []
    assert not await store.record_delivery(PHONE, "SM1", {"status": "read"})  # not brought back
    assert [c async for c in store.contacts()] == [store.contact_of(OTHER)]
    assert seen(await store.load(OTHER)) == [2]
    assert await store.erase_contact(contact) == 0  # nothing left

    # The same message id after erasure is a new text: a fresh start, not a replay.
    again = await store.transact(PHONE, "SM1", append(5))
    assert not again.duplicate
    assert seen(await store.load(PHONE)) == [5]


async def test_erasure_takes_only_a_contact_id(harness: Harness) -> None:
    with pytest.raises(ValueError, match="contact id"):
        await harness.store.erase_contact("*")


async def test_erasing_the_outbox_takes_the_contacts_entries_up_to_the_request(
    harness: Harness,
) -> None:
    store = harness.store
    stop: list[Event] = [OptedOut("STOP")]
    await store.transact(PHONE, None, append(1, stop))
    await store.transact(OTHER, None, append(2, stop))
    await store.transact(PHONE, None, append(3, stop))
    until = (await store.read_outbox())[-1].entry_id
    await store.transact(PHONE, None, append(4, stop))  # after the request: a fresh start

    assert await store.erase_outbox(store.contact_of(PHONE), until) == 2

    left = await store.read_outbox()
    assert [e.contact for e in left] == [store.contact_of(OTHER), store.contact_of(PHONE)]
    assert left[1].entry_id != until
    assert await store.erase_outbox(store.contact_of(PHONE), until) == 0
