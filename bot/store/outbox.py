"""The shape of one `outbox:events` entry: contact id and type in clear, the event sealed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.engine.events import Event
from bot.store.crypto import Cipher
from bot.store.events_codec import decode_event, encode_event, event_type
from bot.store.keys import field_aad


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One event read back from the stream, for the workers that act on it."""

    entry_id: str
    contact: str
    type: str
    event: Event


def seal_event(cipher: Cipher, stream: str, contact: str, event: Event) -> tuple[str, bytes]:
    """(type, sealed JSON); bound to stream and contact so it cannot be replayed for another."""
    return event_type(event), cipher.encrypt(encode_event(event), field_aad(stream, contact))


def open_entry(
    cipher: Cipher, stream: str, entry_id: bytes | str, fields: Mapping[bytes, bytes]
) -> OutboxEntry:
    """Decrypt one XRANGE/XREADGROUP entry; DecryptionError if it was tampered with or moved."""
    contact = fields[b"contact"].decode()
    event = decode_event(cipher.decrypt(fields[b"data"], field_aad(stream, contact)))
    ident = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return OutboxEntry(ident, contact, fields[b"type"].decode(), event)


async def ensure_group(redis: Redis, stream: str, group: str) -> None:
    """Create a consumer group reading from the stream's start (events written before the
    consumer first ran count too); an existing group is kept as it is."""
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise
