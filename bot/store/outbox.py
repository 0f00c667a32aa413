"""The shape of one `outbox:events` entry: contact id and type in clear, the event sealed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.engine.events import Event
from bot.store.crypto import Cipher
from bot.store.events_codec import decode_event, encode_event, event_type
from bot.store.keys import field_aad

# Drop the entries every consumer group is done with. KEYS: stream. ARGV: the groups that
# must exist first. Returns how many went. A group is done with every entry before its
# oldest pending one, or, with none pending, every entry up to its last delivered one.
_TRIM_DONE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
local named = {}
local infos = {}
for _, g in ipairs(groups) do
  local info = {}
  for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
  named[info['name']] = true
  infos[#infos + 1] = info
end
for _, name in ipairs(ARGV) do
  if not named[name] then return 0 end
end
if #infos == 0 then return 0 end
local floor_ms, floor_seq = nil, nil
for _, info in ipairs(infos) do
  local ms, seq
  if tonumber(info['pending']) > 0 then
    local oldest = redis.call('XPENDING', KEYS[1], info['name'])[2]
    ms, seq = string.match(oldest, '(%d+)-(%d+)')
    ms, seq = tonumber(ms), tonumber(seq)
  else
    ms, seq = string.match(info['last-delivered-id'], '(%d+)-(%d+)')
    ms, seq = tonumber(ms), tonumber(seq) + 1
  end
  if floor_ms == nil or ms < floor_ms or (ms == floor_ms and seq < floor_seq) then
    floor_ms, floor_seq = ms, seq
  end
end
return redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d-%d', floor_ms, floor_seq))
"""


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


async def trim_done(redis: Redis, stream: str, expected: Sequence[str]) -> int:
    """Trim the entries every consumer group has acknowledged: a delivered event keeps no
    bytes in the stream. Nothing goes until every `expected` group exists (a consumer that
    starts late, e.g. after Redis came back, still finds every event it has not read).
    Returns how many went."""
    return int(await redis.eval(_TRIM_DONE, 1, stream, *expected))
