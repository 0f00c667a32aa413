"""What the dashboard needs from storage: care-team members' passwords, sessions, sign-in
counters and parents' private plan links. Kept by `RedisCareAccess` and its memory twin
`MemoryCareAccess`; both pass tests/store/test_care_access_contract.py.

Times are the caller's; a store's expiries (`ttl_s`) only clean up after them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A dashboard session as stored: never the cookie, only its digest names it."""

    member: str | None
    csrf: str
    created: str  # ISO times
    seen: str


class CareAccess(Protocol):
    # Passwords: an argon2 hash per member.
    async def password_hash(self, member: str) -> str | None: ...

    async def set_password_hash(self, member: str, digest: str) -> None: ...

    # Sessions, by the SHA-256 of their cookie; signed-in ones indexed per member.
    async def save_session(
        self, digest: str, record: SessionRecord, ttl_s: int, index_ttl_s: int
    ) -> None: ...

    async def session(self, digest: str) -> SessionRecord | None: ...

    async def touch_session(self, digest: str, seen: str, ttl_s: int) -> bool:
        """Set `seen` and renew the expiry only if the session still exists."""
        ...

    async def end_session(self, digest: str, member: str | None) -> None: ...

    async def end_member_sessions(self, member: str) -> int:
        """End every session in the member's index; how many still existed."""
        ...

    async def members_with_sessions(self) -> Sequence[str]: ...

    # Sign-in counters, per bucket (a member id or one shared bucket) and hashed address.
    async def lock_until(self, bucket: str, address_tag: str) -> str | None: ...

    async def lock(self, bucket: str, address_tag: str, until: str, ttl_s: int) -> None:
        """Lock the bucket for this address until `until`, and forget its failures."""
        ...

    async def has_unlock(self, bucket: str) -> bool: ...

    async def grant_unlock(self, bucket: str, ttl_s: int) -> None:
        """Clear the bucket's locks and failures and hold an unlock for `ttl_s`."""
        ...

    async def count_attempt(self, address_tag: str, at: float, window_s: float) -> int:
        """Add an attempt at `at`; how many fall in the sliding window ending there."""
        ...

    async def add_failure(self, bucket: str, address_tag: str, window_s: int) -> tuple[int, int]:
        """Count a failure; (failures from this address, failures from anywhere) in the
        window that began with the first of them."""
        ...

    async def clear_failures(self, bucket: str, address_tag: str) -> None: ...

    # A parent's private link to their plan, under the contact's own keys.
    async def save_plan_link(self, contact: str, token: str, ttl_s: int) -> None: ...

    async def plan_link_exists(self, contact: str, token: str) -> bool: ...
