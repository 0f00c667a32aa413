"""The flood limiter's keys. Names never carry a phone number or an IP address: a key is
named by a keyed hash of the contact id or client address it counts.

  <prefix>limit:<name>:<hash>:<window>          counter (INCR)
  <prefix>limit:<name>:<hash>:<window>:set      the first N distinct members, hashed
  <prefix>limit:<name>:<hash>:once              set once per window (SET NX EX)
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

# 24 hex chars = 96 bits of the HMAC: enough to keep limits apart, keys stay short.
_HEX = 24


@dataclass(frozen=True, slots=True)
class LimitKeys:
    id_key: bytes
    prefix: str = ""

    def tag(self, value: str) -> str:
        """The keyed hash that stands for a key or member in names and sets."""
        return hmac.new(self.id_key, value.encode(), hashlib.sha256).hexdigest()[:_HEX]

    def _base(self, name: str, key: str) -> str:
        return f"{self.prefix}limit:{name}:{self.tag(key)}"

    def counter(self, name: str, key: str, window: int) -> str:
        return f"{self._base(name, key)}:{window}"

    def members(self, name: str, key: str, window: int) -> str:
        return f"{self._base(name, key)}:{window}:set"

    def once(self, name: str, key: str) -> str:
        return f"{self._base(name, key)}:once"
