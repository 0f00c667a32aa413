"""Every Redis key of the dashboard's records (`bot/store/care_access_redis.py`); `prefix`
is the conversation store's.

Program-wide keys (no contact hash tag): accounts, sessions and sign-in counters are about
care-team members, not parents, and hold no parent data.
  dash:pw:<member>            argon2 hash of the member's password
  dash:sess:<sha256(cookie)>  hash: member ("" before sign-in), csrf, created, seen
  dash:msess:<member>         set: the digests of a member's signed-in sessions (ended all
                              at once by a password change or a removal from the directory)
  dash:fail:<member>          hash: per client address (hashed), failed sign-ins in the window
  dash:mfail:<member>         failed sign-ins from any address in the window (counter, TTL)
  dash:lock:<member>          hash: per client address (hashed), locked until this ISO time
  dash:unlock:<member>        an operator's time-limited unlock (TTL)
  dash:addr:<address>:<n>     sign-in attempts from one client address in window n
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DashKeys:
    prefix: str = ""

    def password(self, member: str) -> str:
        return f"{self.prefix}dash:pw:{member}"

    def session(self, digest: str) -> str:
        return f"{self.prefix}dash:sess:{digest}"

    def member_sessions(self, member: str) -> str:
        return f"{self.prefix}dash:msess:{member}"

    def member_sessions_pattern(self) -> str:
        return f"{self.prefix}dash:msess:*"

    def failures(self, member: str) -> str:
        return f"{self.prefix}dash:fail:{member}"

    def member_failures(self, member: str) -> str:
        return f"{self.prefix}dash:mfail:{member}"

    def locked(self, member: str) -> str:
        return f"{self.prefix}dash:lock:{member}"

    def unlock(self, member: str) -> str:
        return f"{self.prefix}dash:unlock:{member}"

    @staticmethod
    def address_tag(address: str) -> str:
        """A client address as it appears in keys and fields: hashed, never the IP."""
        return hashlib.sha256(address.encode()).hexdigest()[:24]

    def attempts(self, address_tag: str) -> str:
        """Sign-in attempt times from one client address (its `address_tag`)."""
        return f"{self.prefix}dash:addr:{address_tag}"

    def plan_link(self, contact: str, token: str) -> str:
        """A parent's private link to their printable plan; under the contact's hash tag, so
        DELETE MY DATA removes it with everything else. Only the token's hash is in the name."""
        digest = hashlib.sha256(token.encode()).hexdigest()[:32]
        return f"{self.prefix}{contact}:planlink:{digest}"
