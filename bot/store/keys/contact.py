"""A contact's own keys (session, plan, address, dedupe, chat...) under its `{c:<hex>}` tag,
the program's outbox stream, and the associated data every sealed value is bound to."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

# One stream for the whole program; consumers (care-team delivery, reminders) read it.
# On a Redis Cluster a contact's commit cannot write it (another slot): the commit writes the
# contact's own pending stream and the store relays those entries here (DESIGN in README).
OUTBOX_STREAM = "outbox:events"

# 32 hex chars = 128 bits of the HMAC: collisions are out of reach, keys stay short.
_CONTACT_HEX = 32


@dataclass(frozen=True, slots=True)
class ContactKeys:
    """The keys of one contact. All share the hash tag `{c:<hex>}`, so one Cluster slot."""

    contact: str
    prefix: str = ""

    def _key(self, suffix: str) -> str:
        return f"{self.prefix}{self.contact}:{suffix}"

    @property
    def session(self) -> str:
        return self._key("session")

    @property
    def plan(self) -> str:
        return self._key("plan")

    @property
    def address(self) -> str:
        """The raw address, encrypted: how reminders and workers find the phone again."""
        return self._key("address")

    @property
    def lock(self) -> str:
        return self._key("lock")

    @property
    def queue(self) -> str:
        """Messages waiting for the lock, in arrival order (zset: token -> ticket)."""
        return self._key("queue")

    @property
    def beats(self) -> str:
        """Each waiter's "still here until" (ms), and the ticket counter (hash)."""
        return self._key("beats")

    @property
    def deliveries(self) -> str:
        return self._key("deliveries")

    @property
    def dev_outbox(self) -> str:
        return self._key("devout")

    @property
    def chat(self) -> str:
        """A web chat's conversation, for reloads and open pages (bot/store/chat_log.py)."""
        return self._key("chat")

    @property
    def seen(self) -> str:
        """The replies of the last few inbound messages, for dedupe (list, newest first)."""
        return self._key("seen")

    @property
    def pending(self) -> str:
        """Cluster only: outbox entries committed here, not yet relayed to the outbox stream."""
        return self._key("pending")

    def flood(self, window: int) -> str:
        """Texts counted in one flood window (counter)."""
        return self._key(f"flood:{window}")


class KeyBuilder:
    """Turns an address into its contact id and keys; `prefix` namespaces tests and tenants."""

    def __init__(self, id_key: bytes, prefix: str = "") -> None:
        if "{" in prefix or "}" in prefix:
            # A brace in the prefix would become the hash tag and split a contact's keys.
            raise ValueError("a key prefix must not contain braces")
        self._id_key = id_key
        self.prefix = prefix

    @staticmethod
    def is_contact_id(text: str) -> bool:
        """Whether `text` has a contact id's form (erasure globs on it: nothing else may pass)."""
        return text.startswith("{c:") and text.endswith("}") and text[3:-1].isalnum()

    def contact_id(self, address: str) -> str:
        """`{c:<hex>}`: stable for one data key, reveals nothing about the address."""
        digest = hmac.new(self._id_key, address.encode("utf-8"), hashlib.sha256).hexdigest()
        return "{c:" + digest[:_CONTACT_HEX] + "}"

    def for_address(self, address: str) -> ContactKeys:
        return ContactKeys(self.contact_id(address), self.prefix)

    def for_contact(self, contact: str) -> ContactKeys:
        """Keys of a contact id read back from the outbox stream."""
        return ContactKeys(contact, self.prefix)

    @property
    def outbox(self) -> str:
        return f"{self.prefix}{OUTBOX_STREAM}"

    # The outbox's companions carry the stream's full name as their hash tag, so on a
    # Cluster they sit in the stream's slot (a key without braces hashes on all of it);
    # they start with the prefix like every other key.

    def _beside_outbox(self, suffix: str) -> str:
        return f"{self.prefix}{{{self.outbox}}}:{suffix}"

    @property
    def contacts(self) -> str:
        """Set of every contact id that has written a plan: what contacts() lists."""
        return self._beside_outbox("contacts")

    @property
    def relayed(self) -> str:
        """Cluster only: hash contact id -> the last of its pending entries relayed."""
        return self._beside_outbox("relayed")

    @property
    def relay_lease(self) -> str:
        """Cluster only: the lease of the one process that sweeps for unrelayed entries."""
        return self._beside_outbox("relay-lease")

    @property
    def indexed(self) -> str:
        """Set once every contact written before the index existed is in it (reindex)."""
        return self._beside_outbox("indexed")


def field_aad(key: str, field: str) -> str:
    """Associated data for one field of a hash or stream: a value moved between fields fails."""
    return f"{key}#{field}"
