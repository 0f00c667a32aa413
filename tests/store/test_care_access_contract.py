"""One contract for the dashboard's records, run against the memory twin and real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.store.care_access import CareAccess, SessionRecord
from bot.store.care_access_memory import MemoryCareAccess
from bot.store.care_access_redis import RedisCareAccess
from bot.store.client import client_for_url
from bot.store.keys.dashboard import DashKeys

from .conftest import REDIS_URL, delete_prefixed

pytestmark = pytest.mark.anyio

T0 = 1_776_277_800.0  # tests.clock.NOW as a timestamp
SESSION = SessionRecord(
    "hope_sw", "csrf-1", "2026-04-15T18:30:00+00:00", "2026-04-15T18:30:00+00:00"
)
ANONYMOUS = SessionRecord(None, "csrf-2", "2026-04-15T18:30:00+00:00", "2026-04-15T18:30:00+00:00")


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> float:
        return self.at


@pytest.fixture(params=["memory", "redis"])
async def access(request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[CareAccess]:
    if request.param == "memory":
        yield MemoryCareAccess(Clock())
        return
    client = client_for_url(REDIS_URL)
    yield RedisCareAccess(client, DashKeys(prefix))
    await delete_prefixed(client, prefix)
    await client.aclose()


async def test_a_password_hash_is_kept_per_member(access: CareAccess) -> None:
    assert await access.password_hash("hope_sw") is None
    await access.set_password_hash("hope_sw", "$argon2id$one")
    await access.set_password_hash("hope_sw", "$argon2id$two")
    assert await access.password_hash("hope_sw") == "$argon2id$two"
    assert await access.password_hash("hope_nurse") is None


async def test_a_session_comes_back_as_saved_and_is_touched_only_while_it_exists(
    access: CareAccess,
) -> None:
    await access.save_session("d1", SESSION, 600, 3600)
    await access.save_session("d2", ANONYMOUS, 600, 3600)
    assert await access.session("d1") == SESSION
    assert await access.session("d2") == ANONYMOUS
    assert await access.touch_session("d1", "2026-04-15T18:40:00+00:00", 600)
    touched = await access.session("d1")
    assert touched is not None
    assert touched.seen == "2026-04-15T18:40:00+00:00"
    assert touched.created == SESSION.created
    await access.end_session("d1", "hope_sw")
    assert await access.session("d1") is None
    assert not await access.touch_session("d1", "2026-04-15T18:50:00+00:00", 600)
    assert await access.session("d1") is None  # a touch never brings an ended one back


async def test_ending_a_members_sessions_ends_only_theirs(access: CareAccess) -> None:
    await access.save_session("a1", SESSION, 600, 3600)
    await access.save_session("a2", SESSION, 600, 3600)
    other = SessionRecord("hope_tx", "c", SESSION.created, SESSION.seen)
    await access.save_session("b1", other, 600, 3600)
    await access.save_session("n1", ANONYMOUS, 600, 3600)
    assert sorted(await access.members_with_sessions()) == ["hope_sw", "hope_tx"]
    await access.end_session("a2", "hope_sw")
    await access.end_session("n1", None)
    await access.end_session("b1", "hope_tx")
    assert await access.members_with_sessions() == ["hope_sw"]  # an emptied index is gone
    await access.save_session("b1", other, 600, 3600)

    assert await access.end_member_sessions("hope_sw") == 1
    assert await access.session("a1") is None
    assert await access.session("b1") == other
    assert await access.session("n1") is None
    assert await access.members_with_sessions() == ["hope_tx"]
    assert await access.end_member_sessions("hope_sw") == 0


async def test_failures_count_per_address_and_across_addresses(access: CareAccess) -> None:
    assert await access.add_failure("hope_sw", "addr-a", 900) == (1, 1)
    assert await access.add_failure("hope_sw", "addr-a", 900) == (2, 2)
    assert await access.add_failure("hope_sw", "addr-b", 900) == (1, 3)
    assert await access.add_failure("hope_tx", "addr-a", 900) == (1, 1)
    await access.clear_failures("hope_sw", "addr-a")
    assert await access.add_failure("hope_sw", "addr-a", 900) == (1, 4)


async def test_a_lock_holds_per_address_and_forgets_that_addresss_failures(
    access: CareAccess,
) -> None:
    await access.add_failure("hope_sw", "addr-a", 900)
    await access.add_failure("hope_sw", "addr-b", 900)
    await access.lock("hope_sw", "addr-a", "2026-04-15T18:45:00+00:00", 900)
    assert await access.lock_until("hope_sw", "addr-a") == "2026-04-15T18:45:00+00:00"
    assert await access.lock_until("hope_sw", "addr-b") is None
    assert await access.lock_until("hope_tx", "addr-a") is None
    here, _ = await access.add_failure("hope_sw", "addr-a", 900)
    assert here == 1
    assert (await access.add_failure("hope_sw", "addr-b", 900))[0] == 2


async def test_an_unlock_clears_locks_and_failures(access: CareAccess) -> None:
    await access.add_failure("hope_sw", "addr-a", 900)
    await access.lock("hope_sw", "addr-a", "2026-04-15T18:45:00+00:00", 900)
    assert not await access.has_unlock("hope_sw")
    await access.grant_unlock("hope_sw", 1800)
    assert await access.has_unlock("hope_sw")
    assert not await access.has_unlock("hope_tx")
    assert await access.lock_until("hope_sw", "addr-a") is None
    assert await access.add_failure("hope_sw", "addr-a", 900) == (1, 1)


async def test_attempts_count_in_a_sliding_window(access: CareAccess) -> None:
    counts = [await access.count_attempt("addr-a", T0 + i * 10, 60) for i in range(8)]
    assert counts == [1, 2, 3, 4, 5, 6, 6, 6]
    assert await access.count_attempt("addr-b", T0 + 70, 60) == 1
    assert await access.count_attempt("addr-a", T0 + 200, 60) == 1


async def test_a_plan_link_is_found_only_with_its_contact_and_token(access: CareAccess) -> None:
    await access.save_plan_link("{c:abc}", "token-1", 86_400)
    assert await access.plan_link_exists("{c:abc}", "token-1")
    assert not await access.plan_link_exists("{c:abc}", "token-2")
    assert not await access.plan_link_exists("{c:def}", "token-1")


async def test_the_memory_twin_forgets_at_its_deadlines_as_redis_does() -> None:
    clock = Clock()
    access = MemoryCareAccess(clock)
    await access.save_session("d1", SESSION, 600, 3600)
    await access.add_failure("hope_sw", "addr-a", 900)
    await access.save_plan_link("{c:abc}", "token-1", 86_400)
    await access.grant_unlock("hope_tx", 1800)
    clock.at += 601
    assert await access.session("d1") is None
    assert await access.members_with_sessions() == ["hope_sw"]  # the index outlives it
    clock.at += 300
    # The failure window began with the first failure and has passed: counting starts again.
    assert await access.add_failure("hope_sw", "addr-a", 900) == (1, 1)
    clock.at += 900
    assert not await access.has_unlock("hope_tx")
    clock.at += 86_400
    assert not await access.plan_link_exists("{c:abc}", "token-1")


async def test_every_redis_key_expires(prefix: str) -> None:
    """Redis cleans up after the caller's clock: no dashboard key lives for ever but the
    password hashes."""
    client = client_for_url(REDIS_URL)
    try:
        access = RedisCareAccess(client, DashKeys(prefix))
        await access.set_password_hash("hope_sw", "$argon2id$x")
        await access.save_session("d1", SESSION, 600, 3600)
        await access.add_failure("hope_sw", "addr-a", 900)
        await access.lock("hope_sw", "addr-b", "2026-04-15T18:45:00+00:00", 900)
        await access.grant_unlock("hope_tx", 1800)
        await access.count_attempt("addr-a", T0, 60)
        await access.save_plan_link("{c:abc}", "token-1", 86_400)
        keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
        forever = sorted([k.decode() for k in keys if await client.ttl(k) == -1])
        assert forever == [DashKeys(prefix).password("hope_sw")]
        assert len(keys) >= 7
    finally:
        await delete_prefixed(client, prefix)
        await client.aclose()
