"""What only the Redis store promises: round trips, nothing in clear, sealing, failing fast."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis
from redis.asyncio import Redis

from bot.engine.events import (
    AnswerChanged,
    AnswerRecord,
    ConsentChanged,
    CrisisDetected,
    Event,
    HandoffRequested,
    LanguageChanged,
    OptedIn,
    OptedOut,
    ReminderRequested,
    SectionCompleted,
)
from bot.engine.session import Session
from bot.errors import DecryptionError, StoreUnavailable
from bot.store.base import Apply, FloodLimit
from bot.store.client import client_for_url
from bot.store.crypto import Cipher
from bot.store.events_codec import decode_event, encode_event
from bot.store.keys import OUTBOX_STREAM
from bot.store.outbox import ensure_group, trim_done
from bot.store.redis_store import RedisConversationStore
from bot.store.roundtrips import RoundTripCounter, counting_client

from .conftest import REDIS_URL, delete_prefixed

pytestmark = pytest.mark.anyio

# Distinctive enough that finding them in Redis can only mean a leak.
PHONE = "+14155550199"
ANSWER = "Zanzibar cobalt heron"


def answer_apply(message: str = ANSWER) -> Apply:
    """Store `message` as an answer, read it back in the reply, and emit it in an event."""

    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        session.plan.answers["basic_needs"] = {"housing": message, "phone": PHONE}
        record = AnswerRecord("housing", "Where do you live?", "text", message)
        return (
            session,
            [f"You said: {message}. Is this right?"],
            [SectionCompleted("basic_needs", 1, (record,))],
        )

    return apply


@pytest.fixture
async def counted(
    cipher: Cipher, prefix: str
) -> AsyncIterator[tuple[RedisConversationStore, RoundTripCounter]]:
    counter = RoundTripCounter()
    client = counting_client(REDIS_URL, counter)
    store = RedisConversationStore(client, cipher, prefix=prefix)
    yield store, counter
    await delete_prefixed(client, prefix)
    await store.close()


async def test_a_message_costs_two_round_trips(
    counted: tuple[RedisConversationStore, RoundTripCounter],
) -> None:
    """Begin (dedupe+lock+load) and commit (write+outbox+unlock): 2 round trips, at most 3;
    one when this process wrote the contact last (tests/store/test_one_round_trip.py)."""
    store, counter = counted
    await store.prepare()  # loads the scripts and opens the connection
    counter.reset()

    await store.transact(PHONE, "SM1", answer_apply())
    first = counter.reset()
    await store.transact(PHONE, "SM2", answer_apply("changed"))
    second = counter.reset()
    await store.transact(PHONE, "SM2", answer_apply("ignored"))
    duplicate = counter.reset()

    assert max(first, second) <= 3
    assert (first, second, duplicate) == (2, 1, 1)


async def test_the_flood_counter_rides_in_the_first_round_trip(
    counted: tuple[RedisConversationStore, RoundTripCounter], raw_redis: Redis
) -> None:
    """Counting against the contact's limit adds no round trip; past it, one round trip,
    no lock, no write, and the session comes back so the caller can honour STOP."""
    store, counter = counted
    await store.prepare()
    flood = FloodLimit(limit=2, window_s=300, at=1_000_000.0)
    counter.reset()
    first = await store.transact(PHONE, "SM1", answer_apply(), flood=flood)
    second = await store.transact(PHONE, "SM2", answer_apply("two"), flood=flood)
    assert counter.reset() == 3  # 2, then 1: this process wrote the contact last
    assert (first.over_limit, second.over_limit) == (0, 0)
    third = await store.transact(PHONE, "SM3", answer_apply("three"), flood=flood)
    fourth = await store.transact(PHONE, "SM4", answer_apply("four"), flood=flood)
    assert counter.reset() == 2
    assert (third.over_limit, fourth.over_limit, third.replies) == (1, 2, [])
    assert third.session is not None
    assert third.session.plan.answers["basic_needs"]["housing"] == "two"
    retry = await store.transact(PHONE, "SM2", answer_apply("again"), flood=flood)
    assert (retry.duplicate, retry.over_limit) == (True, 0)  # a retry is not counted
    later = FloodLimit(limit=2, window_s=300, at=1_000_300.0)
    assert (await store.transact(PHONE, "SM5", answer_apply(), flood=later)).over_limit == 0
    counter_key = store.keys_for(PHONE).flood(flood.window)
    assert int(await raw_redis.get(counter_key)) == 4
    assert 0 < await raw_redis.ttl(counter_key) <= 301


async def test_dedupe_keeps_a_few_recent_messages_in_one_key(
    redis_store: RedisConversationStore, raw_redis: Redis
) -> None:
    """One bounded list per contact, not one key per text: a recent retry is still answered
    from it; one older than the last `seen_cap` (4) messages is not."""
    for n in range(12):
        await redis_store.transact(PHONE, f"SM{n}", answer_apply(f"answer {n}"))
    seen = redis_store.keys_for(PHONE).seen
    assert await raw_redis.llen(seen) == 4
    recent = await redis_store.transact(PHONE, "SM11", answer_apply("retried"))
    assert (recent.duplicate, recent.replies) == (True, ["You said: answer 11. Is this right?"])
    odd = await redis_store.transact(PHONE, "web|x y", answer_apply("odd id"))
    assert not odd.duplicate
    assert (await redis_store.transact(PHONE, "web|x y", answer_apply("no"))).duplicate
    assert not (await redis_store.transact(PHONE, "SM0", answer_apply("old"))).duplicate
    assert 0 < await raw_redis.ttl(seen) <= 7 * 24 * 3600


async def test_without_prepare_only_the_first_message_pays_for_loading_scripts(
    counted: tuple[RedisConversationStore, RoundTripCounter],
) -> None:
    """NOSCRIPT is answered once per script (load + retry): the first message (BEGIN, COMMIT)
    and the second (QUICK) may pay; later messages are back to 1."""
    store, counter = counted
    await store.transact(PHONE, None, answer_apply())
    await store.transact(PHONE, None, answer_apply())
    counter.reset()

    await store.transact(PHONE, None, answer_apply())

    assert counter.reset() == 1


async def dump(client: Redis, key: bytes) -> list[Any]:
    """Every byte string stored under `key`, whatever its type."""
    kind: Any = await client.type(key)
    raw: Any
    if kind == b"string":
        return [await client.get(key)]
    if kind == b"hash":
        raw = await client.hgetall(key)
        return [part for item in raw.items() for part in item]
    if kind == b"list":
        return list(await client.lrange(key, 0, -1))
    if kind == b"set":
        return list(await client.smembers(key))
    if kind == b"stream":
        raw = await client.xrange(key)
        return [part for _, fields in raw for item in fields.items() for part in item]
    raise AssertionError(f"unexpected type {kind!r} at {key!r}")


async def test_no_phone_number_or_answer_is_stored_in_clear(
    redis_store: RedisConversationStore, raw_redis: Redis, prefix: str
) -> None:
    """SCAN every key the store wrote: names and values hold neither phone nor answer."""
    await redis_store.transact(PHONE, "SM1", answer_apply())
    await redis_store.record_delivery(PHONE, "SM9", {"status": "sent", "To": PHONE})
    await redis_store.push_dev_outbox(PHONE, f"You said: {ANSWER}")

    keys = [key async for key in raw_redis.scan_iter(match=f"{prefix}*")]
    needles = [PHONE, PHONE[1:], PHONE[2:], ANSWER, ANSWER.split()[0]]
    blobs = [key for key in keys]
    for key in keys:
        blobs.extend(await dump(raw_redis, key))

    suffixes = sorted(key.decode().rsplit(":", 1)[-1] for key in keys)
    # "lock" is the released lock's short-lived "done:<token>" marker.
    expected = [
        *("address", "chat", "contacts", "deliveries", "devout", "events", "lock", "plan"),
        *("seen", "session"),
    ]
    assert suffixes == expected
    for blob in blobs:
        for needle in needles:
            assert needle.encode() not in blob, f"{needle!r} found in clear"


async def test_outbox_entries_carry_contact_and_type_and_open_to_the_event(
    redis_store: RedisConversationStore,
) -> None:
    """Workers read the contact id and type in clear, the event only with the key."""
    outcome = await redis_store.transact(PHONE, "SM1", answer_apply())

    entries = await redis_store.read_outbox()

    contact = redis_store.keys_for(PHONE).contact
    assert [(e.contact, e.type, e.event) for e in entries] == [
        (contact, "SectionCompleted", outcome.events[0])
    ]
    assert redis_store.outbox_stream.endswith(OUTBOX_STREAM)
    assert await redis_store.address_of(contact) == PHONE


async def test_a_value_copied_to_another_key_does_not_decrypt(
    redis_store: RedisConversationStore, raw_redis: Redis
) -> None:
    """The key name is the associated data: sealed values cannot be moved around."""
    other = "+14155550100"
    await redis_store.transact(PHONE, None, answer_apply())
    await redis_store.transact(other, None, answer_apply("other answer"))
    mine, theirs = redis_store.keys_for(PHONE), redis_store.keys_for(other)

    await raw_redis.copy(mine.plan, theirs.plan, replace=True)
    with pytest.raises(DecryptionError):
        await redis_store.load(other)

    await raw_redis.copy(mine.session, mine.plan, replace=True)
    with pytest.raises(DecryptionError):
        await redis_store.load(PHONE)


async def test_a_delivery_status_moved_to_another_message_does_not_decrypt(
    redis_store: RedisConversationStore, raw_redis: Redis
) -> None:
    """Hash fields are bound to their field name too."""
    await redis_store.transact(PHONE, None, answer_apply())
    await redis_store.record_delivery(PHONE, "SM1", {"status": "delivered"})
    key = redis_store.keys_for(PHONE).deliveries
    await raw_redis.hset(key, "SM2", await raw_redis.hget(key, "SM1"))

    with pytest.raises(DecryptionError):
        await redis_store.deliveries(PHONE)


async def test_a_plan_a_text_leaves_as_it_was_is_not_sealed_again(
    redis_store: RedisConversationStore, raw_redis: Redis
) -> None:
    """A text that changes nothing in the plan leaves its stored value byte for byte (no new
    nonce: it was neither re-encrypted nor written); one that changes it writes it."""
    await redis_store.transact(PHONE, "SM1", answer_apply())
    keys = redis_store.keys_for(PHONE)
    stored: Any = await raw_redis.get(keys.plan)
    session_before: Any = await raw_redis.get(keys.session)

    def same_plan(session: Session) -> tuple[Session, list[str], list[Event]]:
        session.history.append(["in", "MENU", "2026-12-05T12:00:00+00:00", ""])
        return session, ["Menu"], []

    await redis_store.transact(PHONE, "SM2", same_plan)
    assert await raw_redis.get(keys.plan) == stored
    assert await raw_redis.get(keys.session) != session_before
    await redis_store.transact(PHONE, "SM3", answer_apply("Another answer"))
    assert await raw_redis.get(keys.plan) != stored
    loaded = await redis_store.load(PHONE)
    assert loaded is not None
    assert loaded.plan.answers["basic_needs"]["housing"] == "Another answer"


async def test_a_value_that_does_not_decrypt_frees_the_lock(
    redis_store: RedisConversationStore, raw_redis: Redis
) -> None:
    """DecryptionError while loading inside transact leaves the contact usable."""
    await redis_store.transact(PHONE, None, answer_apply())
    keys = redis_store.keys_for(PHONE)
    good: Any = await raw_redis.get(keys.plan)
    await raw_redis.set(keys.plan, b"\x01" + secrets.token_bytes(40))

    with pytest.raises(DecryptionError):
        await redis_store.transact(PHONE, None, answer_apply())

    assert await raw_redis.get(keys.lock) is None
    await raw_redis.set(keys.plan, good)
    await asyncio.wait_for(redis_store.transact(PHONE, None, answer_apply()), 0.5)


async def test_a_lock_lost_before_the_write_writes_nothing(
    redis_store: RedisConversationStore,
) -> None:
    """If another holder took the lock (ours expired), the commit refuses and nothing changes."""
    await redis_store.transact(PHONE, "SM1", answer_apply("first"))
    before = await redis_store.load(PHONE)
    lock = redis_store.keys_for(PHONE).lock
    outbox_before = len(await redis_store.read_outbox())

    def slow_apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        # Stands in for an apply that outlived the lock TTL while another process took over.
        with redis.Redis.from_url(REDIS_URL) as sync:
            sync.set(lock, "another-process", px=5_000)
        return answer_apply("second")(session)

    with pytest.raises(StoreUnavailable):
        await redis_store.transact(PHONE, "SM2", slow_apply)

    after = await redis_store.load(PHONE)
    assert before is not None
    assert after is not None
    assert after.to_json() == before.to_json()
    assert len(await redis_store.read_outbox()) == outbox_before


async def test_a_holder_that_died_delays_the_next_message_only_until_its_lock_expires(
    redis_store: RedisConversationStore, raw_redis: Redis
) -> None:
    """A crashed process leaves its lock behind; the TTL frees the contact."""
    lock = redis_store.keys_for(PHONE).lock
    await raw_redis.set(lock, "crashed", px=300)
    waiting = asyncio.create_task(redis_store.transact(PHONE, None, answer_apply()))

    # Held back while the dead holder's lock lives (no await between the read and the
    # check: the task cannot move in between)...
    while await raw_redis.get(lock) == b"crashed":
        assert not waiting.done()
        await asyncio.sleep(0.01)
    # ...and served once it expired (the bound only keeps a broken store from hanging).
    outcome = await asyncio.wait_for(waiting, 30)
    assert outcome.replies
    assert await redis_store.load(PHONE) is not None


async def test_repeating_a_commit_whose_reply_was_lost_does_not_write_twice(
    redis_store: RedisConversationStore, raw_redis: Redis
) -> None:
    """redis-py may resend a script after a dropped connection: the second run is a no-op."""
    store = redis_store
    keys = store.keys_for(PHONE)
    token = "t" * 32
    begin_keys = [
        *(keys.lock, keys.session, keys.plan, keys.address, keys.queue, keys.beats),
        *(keys.seen, keys.flood(0)),
    ]
    await store._begin(keys=begin_keys, args=[token, 5000, 1000, "", "", 0])
    commit_keys = [
        *(keys.lock, keys.session, keys.plan, keys.address, store.outbox_stream, keys.seen),
        store._keys.contacts,
    ]
    args: list[Any] = [token, b"s", b"p", b"a", 5000, keys.contact, 1000, 60, b"", 8, "T", b"e"]

    assert await store._commit(keys=commit_keys, args=args) == 1
    assert await store._commit(keys=commit_keys, args=args) == 2
    assert await raw_redis.xlen(store.outbox_stream) == 1


EVENTS: list[Event] = [
    SectionCompleted("health", 3, (AnswerRecord("meds", "Any medicines?", "multi", ["a", "b"]),)),
    AnswerChanged("health", "meds", ["a"], ["a", "b"]),
    ConsentChanged("care_team", (AnswerRecord("ob", "Share with OB?", "yes_no", True, True),)),
    HandoffRequested("talk", "health", "meds"),
    CrisisDetected("suicide"),
    OptedOut("STOP"),
    OptedIn("START"),
    ReminderRequested({"due": dt.date(2027, 3, 1), "at": dt.time(9, 30), "n": 2, "who": None}),
    SectionCompleted("birth", 1, (AnswerRecord("due", "When?", "date", dt.date(2027, 3, 1)),)),
    AnswerChanged("x", "when", dt.datetime(2027, 1, 2, 3, 4, tzinfo=dt.UTC), {"$date": 5}),
    LanguageChanged("es"),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_every_event_type_survives_the_outbox_codec(event: Event) -> None:
    decoded = decode_event(encode_event(event))
    assert decoded == event
    assert repr(decoded) == repr(event)  # same types too: a date stays a date


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens here once the socket is closed


async def silent_server() -> tuple[asyncio.Server, int]:
    """Accepts connections and never answers: a hung Redis."""

    async def ignore(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(ignore, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def operations(store: RedisConversationStore) -> list[Callable[[], Awaitable[object]]]:
    return [
        lambda: store.transact(PHONE, "SM1", answer_apply()),
        lambda: store.load(PHONE),
        lambda: store.record_delivery(PHONE, "SM1", {"status": "sent"}),
        lambda: store.deliveries(PHONE),
        lambda: store.push_dev_outbox(PHONE, "hi"),
        lambda: store.dev_outbox(PHONE),
    ]


async def test_redis_down_fails_fast_with_store_unavailable(cipher: Cipher) -> None:
    """A closed port: every operation raises StoreUnavailable from the refused connection
    itself, not after waiting out a timeout; ping is False."""
    store = RedisConversationStore(client_for_url(f"redis://127.0.0.1:{closed_port()}/0"), cipher)
    for operation in operations(store):
        with pytest.raises(StoreUnavailable) as raised:
            await asyncio.wait_for(operation(), 30)  # a bound against hanging, not a speed
        cause = raised.value.__cause__
        assert isinstance(cause, redis.exceptions.ConnectionError), cause
        assert not isinstance(cause, redis.exceptions.TimeoutError), cause
    assert not await store.ping()
    await store.close()


async def test_hung_redis_fails_within_about_a_second(cipher: Cipher) -> None:
    """A Redis that accepts and never answers trips the socket timeout (no hang)."""
    server, port = await silent_server()
    store = RedisConversationStore(client_for_url(f"redis://127.0.0.1:{port}/0"), cipher)
    try:
        with pytest.raises(StoreUnavailable) as raised:
            await asyncio.wait_for(store.transact(PHONE, "SM1", answer_apply()), 30)
        assert isinstance(raised.value.__cause__, redis.exceptions.TimeoutError)
    finally:
        await store.close()
        server.close()
        await server.wait_closed()


async def test_contacts_lists_every_plan_and_loads_them_by_id(
    redis_store: RedisConversationStore,
) -> None:
    phones = [f"+1415555{n:04d}" for n in range(7)]
    for phone in phones:
        await redis_store.transact(phone, None, answer_apply(phone))
    contacts = [c async for c in redis_store.contacts(batch=2)]
    assert sorted(contacts) == sorted(redis_store.keys_for(p).contact for p in phones)
    loaded = await redis_store.load_contacts([*contacts, "{c:" + "0" * 32 + "}"])
    assert set(loaded) == set(contacts)
    one = await redis_store.load_contact(redis_store.keys_for(phones[0]).contact)
    assert one is not None
    assert one.plan.answers["basic_needs"]["housing"] == phones[0]


async def test_erase_contact_leaves_no_key_of_that_contact_and_spares_others(
    redis_store: RedisConversationStore, raw_redis: Redis, prefix: str
) -> None:
    await redis_store.transact(PHONE, "SM1", answer_apply())
    await redis_store.transact("+14155550100", None, answer_apply("other"))
    contact = redis_store.keys_for(PHONE).contact
    await raw_redis.set(f"{prefix}{contact}:ct:audit-extra", b"x")
    assert await redis_store.erase_contact(contact) >= 4
    left = [k async for k in raw_redis.scan_iter(match=f"{prefix}*")]
    assert not [k for k in left if contact.encode() in k]
    assert await redis_store.load("+14155550100") is not None
    # A late delivery callback does not bring a key of the erased contact back.
    assert await redis_store.record_delivery(PHONE, "SM1", {"status": "delivered"}) is False
    left = [k async for k in raw_redis.scan_iter(match=f"{prefix}*")]
    assert not [k for k in left if contact.encode() in k]
    with pytest.raises(ValueError, match="not a contact id"):
        await redis_store.erase_contact("*")


async def test_erase_outbox_takes_the_contacts_events_up_to_the_erasure_only(
    redis_store: RedisConversationStore,
) -> None:
    """After DELETE MY DATA the parent's sealed events leave the outbox; a fresh start stays."""
    for n in range(5):
        await redis_store.transact(PHONE, None, answer_apply(f"answer {n}"))
        await redis_store.transact("+14155550100", None, answer_apply("other"))
    entries = await redis_store.read_outbox()
    contact = redis_store.keys_for(PHONE).contact
    until = entries[-1].entry_id
    await redis_store.transact(PHONE, None, answer_apply("after the erasure"))
    deleted = await redis_store.erase_outbox(contact, until, batch=3)
    assert deleted == 5
    left = await redis_store.read_outbox()
    mine = [e for e in left if e.contact == contact]
    assert len(mine) == 1
    assert mine[0].entry_id > until
    assert len([e for e in left if e.contact != contact]) == 5


def recording_apply(label: str, applied: list[str]) -> Apply:
    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        applied.append(label)
        return session, [label], []

    return apply


@pytest.mark.parametrize("lock_wait_s", [20.0])
async def test_a_contacts_texts_are_applied_in_arrival_order(
    redis_store: RedisConversationStore, raw_redis: Redis
) -> None:
    """Twenty texts queue behind a held lock, each arriving after the one before; when the
    lock frees they are applied in that order, not in whichever order the polls land."""
    keys = redis_store.keys_for(PHONE)
    await raw_redis.set(keys.lock, "another-message", px=10_000)
    applied: list[str] = []
    labels = [f"text-{i}" for i in range(20)]
    tasks = []
    for arrived, label in enumerate(labels, start=1):
        apply = recording_apply(label, applied)
        tasks.append(asyncio.create_task(redis_store.transact(PHONE, None, apply)))
        for _ in range(500):  # until it has taken its ticket (bounded: fail, never hang)
            if await raw_redis.zcard(keys.queue) >= arrived:
                break
            await asyncio.sleep(0.001)
    await raw_redis.delete(keys.lock)
    outcomes = await asyncio.gather(*tasks)
    assert applied == labels
    assert [o.replies for o in outcomes] == [[label] for label in labels]
    assert await raw_redis.exists(keys.queue, keys.beats) == 0  # nothing left behind


@pytest.mark.parametrize("lock_wait_s", [20.0])
async def test_a_waiter_that_vanished_loses_its_place(
    redis_store: RedisConversationStore, raw_redis: Redis
) -> None:
    """A ticket whose holder stopped asking (its process died) does not block those behind."""
    keys = redis_store.keys_for(PHONE)
    await raw_redis.zadd(keys.queue, {"dead-waiter": 1})
    await raw_redis.hset(keys.beats, mapping={"dead-waiter": 0, "#ticket": 1})
    applied: list[str] = []
    outcome = await redis_store.transact(PHONE, None, recording_apply("alive", applied))
    assert outcome.replies == ["alive"]
    assert applied == ["alive"]


async def test_the_outbox_keeps_only_what_some_consumer_group_still_needs(
    redis_store: RedisConversationStore, raw_redis: Redis
) -> None:
    """trim_done drops entries every group has acknowledged; a pending or unread entry of
    any group stays; nothing goes while an expected group does not exist yet."""
    stream = redis_store.outbox_stream
    groups = ("careteam", "reminders")
    assert await trim_done(raw_redis, stream, groups) == 0  # no stream at all
    for n in range(4):
        await redis_store.transact(PHONE, f"SM{n}", answer_apply(f"answer {n}"))
    await ensure_group(raw_redis, stream, "careteam")
    read = await raw_redis.xreadgroup("careteam", "w", {stream: ">"}, count=10)
    ids = [entry_id for entry_id, _ in read[0][1]]
    await raw_redis.xack(stream, "careteam", *ids)
    assert await trim_done(raw_redis, stream, groups) == 0  # "reminders" is not there yet
    await ensure_group(raw_redis, stream, "reminders")
    assert await trim_done(raw_redis, stream, groups) == 0  # "reminders" has read nothing
    await raw_redis.xreadgroup("reminders", "w", {stream: ">"}, count=10)
    await raw_redis.xack(stream, "reminders", *ids[:3])
    assert await trim_done(raw_redis, stream, groups) == 3  # the fourth is pending there
    assert [e.entry_id for e in await redis_store.read_outbox()] == [ids[3].decode()]
    await raw_redis.xack(stream, "reminders", ids[3])
    assert await trim_done(raw_redis, stream, groups) == 1
    assert await raw_redis.xlen(stream) == 0


async def test_reindex_lists_plans_written_before_the_index_existed(
    redis_store: RedisConversationStore, raw_redis: Redis
) -> None:
    """A plan saved by a version without the index (simulated: taken out of it) is listed
    after reindex, which runs once per keyspace unless forced."""
    store = redis_store
    await store.transact(PHONE, "SM1", answer_apply())
    contact = store.keys_for(PHONE).contact
    await raw_redis.srem(store._keys.contacts, contact)
    assert [c async for c in store.contacts()] == []
    assert await store.reindex() == 1
    assert [c async for c in store.contacts()] == [contact]
    await raw_redis.srem(store._keys.contacts, contact)
    assert await store.reindex() == 0  # done once already
    assert await store.reindex(force=True) == 1
