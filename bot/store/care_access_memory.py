"""`CareAccess` in process memory: the contract suite's twin of `RedisCareAccess`.

Expiries follow the injected `clock` (seconds), as Redis's TTLs follow its own."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.store.care_access import SessionRecord
from bot.store.expiring import Expiring


class MemoryCareAccess:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._passwords: dict[str, str] = {}
        self._sessions: Expiring[SessionRecord] = Expiring(clock)
        self._member_sessions: Expiring[set[str]] = Expiring(clock)
        self._locks: Expiring[dict[str, str]] = Expiring(clock)
        self._unlocks: Expiring[bool] = Expiring(clock)
        self._attempts: Expiring[list[float]] = Expiring(clock)
        self._failures: Expiring[dict[str, int]] = Expiring(clock)
        self._member_failures: Expiring[int] = Expiring(clock)
        self._links: Expiring[bool] = Expiring(clock)

    async def password_hash(self, member: str) -> str | None:
        return self._passwords.get(member)

    async def set_password_hash(self, member: str, digest: str) -> None:
        self._passwords[member] = digest

    async def save_session(
        self, digest: str, record: SessionRecord, ttl_s: int, index_ttl_s: int
    ) -> None:
        self._sessions.put(digest, record, ttl_s)
        if record.member:
            index = self._member_sessions.get(record.member) or set()
            self._member_sessions.put(record.member, index | {digest}, index_ttl_s)

    async def session(self, digest: str) -> SessionRecord | None:
        return self._sessions.get(digest)

    async def touch_session(self, digest: str, seen: str, ttl_s: int) -> bool:
        record = self._sessions.get(digest)
        if record is None:
            return False
        self._sessions.put(
            digest, SessionRecord(record.member, record.csrf, record.created, seen), ttl_s
        )
        return True

    async def end_session(self, digest: str, member: str | None) -> None:
        self._sessions.pop(digest)
        index = self._member_sessions.get(member) if member else None
        if member and index is not None:
            index.discard(digest)
            if not index:  # Redis drops an emptied set
                self._member_sessions.pop(member)

    async def end_member_sessions(self, member: str) -> int:
        index = self._member_sessions.pop(member) or set()
        return sum(self._sessions.pop(digest) is not None for digest in index)

    async def members_with_sessions(self) -> Sequence[str]:
        return self._member_sessions.keys()

    async def lock_until(self, bucket: str, address_tag: str) -> str | None:
        locks = self._locks.get(bucket)
        return None if locks is None else locks.get(address_tag)

    async def lock(self, bucket: str, address_tag: str, until: str, ttl_s: int) -> None:
        locks = self._locks.get(bucket) or {}
        self._locks.put(bucket, {**locks, address_tag: until}, ttl_s)
        failures = self._failures.get(bucket)
        if failures is not None:
            failures.pop(address_tag, None)

    async def has_unlock(self, bucket: str) -> bool:
        return bool(self._unlocks.get(bucket))

    async def grant_unlock(self, bucket: str, ttl_s: int) -> None:
        for kept in (self._locks, self._failures, self._member_failures):
            kept.pop(bucket)
        self._unlocks.put(bucket, True, ttl_s)

    async def count_attempt(self, address_tag: str, at: float, window_s: float) -> int:
        recent = [t for t in self._attempts.get(address_tag) or [] if t > at - window_s]
        recent.append(at)
        self._attempts.put(address_tag, recent, int(window_s) + 1)
        return len(recent)

    async def add_failure(self, bucket: str, address_tag: str, window_s: int) -> tuple[int, int]:
        failures = self._failures.get(bucket) or {}
        here = failures.get(address_tag, 0) + 1
        self._failures.keep(bucket, {**failures, address_tag: here}, window_s)
        anywhere = (self._member_failures.get(bucket) or 0) + 1
        self._member_failures.keep(bucket, anywhere, window_s)
        return here, anywhere

    async def clear_failures(self, bucket: str, address_tag: str) -> None:
        failures = self._failures.get(bucket)
        if failures is not None:
            failures.pop(address_tag, None)

    async def save_plan_link(self, contact: str, token: str, ttl_s: int) -> None:
        self._links.put(f"{contact}\0{token}", True, ttl_s)

    async def plan_link_exists(self, contact: str, token: str) -> bool:
        return bool(self._links.get(f"{contact}\0{token}"))
