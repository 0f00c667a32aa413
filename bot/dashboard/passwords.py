"""Dashboard passwords: argon2id hashes (`CareAccess`), one per directory member, never the
password."""

from __future__ import annotations

import asyncio
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from bot.errors import SafeStartError
from bot.store.care_access import CareAccess


class WeakPassword(SafeStartError):
    """A new password that breaks the policy (too short, or only spaces)."""


def check_policy(password: str, min_length: int) -> None:
    """Length is what makes a password hard to guess; no composition rules (NIST SP 800-63B)."""
    if len(password) < min_length:
        raise WeakPassword(f"a password needs at least {min_length} characters")
    if not password.strip():
        raise WeakPassword("a password cannot be only spaces")


@cache
def _decoy_with(
    time_cost: int, memory_cost: int, parallelism: int, hash_len: int, salt_len: int, kind: Type
) -> str:
    hasher = PasswordHasher(time_cost, memory_cost, parallelism, hash_len, salt_len, type=kind)
    return hasher.hash("not a password: timing decoy")


def _decoy(hasher: PasswordHasher) -> str:
    """A hash with the hasher's parameters, made once per process and set of parameters:
    argon2 costs ~0.15 s, which every start of the app (and every test's) would pay again."""
    return _decoy_with(
        hasher.time_cost,
        hasher.memory_cost,
        hasher.parallelism,
        hasher.hash_len,
        hasher.salt_len,
        hasher.type,
    )


class PasswordStore:
    """Sets and checks passwords. argon2 takes tens of milliseconds, so it runs in a thread."""

    def __init__(self, records: CareAccess, hasher: PasswordHasher | None = None) -> None:
        self._records = records
        # argon2-cffi's defaults are RFC 9106's low-memory profile of argon2id.
        self._hasher = hasher or PasswordHasher()
        # Checked against when a member has no password yet, so an unknown id takes as long
        # to refuse as a wrong password does.
        self._decoy = _decoy(self._hasher)

    async def set(self, member: str, password: str) -> None:
        digest = await asyncio.to_thread(self._hasher.hash, password)
        await self._records.set_password_hash(member, digest)

    async def verify(self, member: str | None, password: str) -> bool:
        """True when `member` has a password and this is it. Rehashes on a parameter change."""
        stored = await self._records.password_hash(member) if member else None
        ok = await asyncio.to_thread(self._check, stored or self._decoy, password)
        if not ok or stored is None or member is None:
            return False
        if self._hasher.check_needs_rehash(stored):
            await self.set(member, password)
        return True

    def _check(self, stored: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(stored, password))
        except (VerificationError, InvalidHashError):
            return False
