"""A reminder's send claim as it moves: in flight (with the requests its attempts noted),
then sent or failed. One value under the claim's key, read and written whole by a script
in Redis (`reminder_records_redis.py`) and by the same steps in Python in the memory twin.

    f:<attempt>:<since ms>:<touched ms>[|<request>]...   in flight
    s  sent        x  failed for good        1  claimed by a release before this one

`since` is when the first attempt claimed it; `touched` when the latest attempt last wrote
(its claim or a request). An attempt untouched for `stale` is presumed dead: the next taker
replaces its id (so the old one's next request is refused) and keeps since and requests.
A request is `<a|b><tag>`: `a` to the parent's own address, `b` to its other form (SMS
number <-> WhatsApp chat), and a keyed digest of the body, or `*` for a template.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

ClaimState = Literal["new", "taken", "busy", "done"]

SENT = "s"
FAILED = "x"


@dataclass(frozen=True, slots=True)
class SendClaim:
    """What taking a send claim found: `new` (nothing before: send), `taken` (a presumed
    dead attempt's: ask Twilio about `requests`, made from `since_ms` on, then send if
    none went), `busy` (an attempt alive: leave it), `done` (sent or failed for good)."""

    state: ClaimState
    since_ms: int = 0
    requests: tuple[str, ...] = ()


def send_tag(id_key: bytes, body: str | None) -> str:
    """A request's body as kept in the claim: a keyed digest (a reminder's text names an
    appointment), `*` for a template (Twilio's list shows its rendered text, not ours)."""
    if body is None:
        return "*"
    return hmac.new(id_key, b"send\x1f" + body.encode(), hashlib.sha256).hexdigest()[:16]


def parse_requests(rest: str) -> tuple[str, ...]:
    return tuple(part for part in rest.split("|") if part)


# KEYS: the claim. ARGV: attempt, now ms, stale ms, ttl s. Returns {state, since, requests}.
TAKE = """
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], 'f:' .. ARGV[1] .. ':' .. ARGV[2] .. ':' .. ARGV[2], 'EX', ARGV[4])
  return {'new', ARGV[2], ''}
end
local _, _, old, since, touched, rest = string.find(v, '^f:([^:]*):(%d+):(%d+)(.*)$')
if not old then return {'done', '0', ''} end
if tonumber(ARGV[2]) - tonumber(touched) < tonumber(ARGV[3]) then
  return {'busy', since, rest}
end
redis.call('SET', KEYS[1], 'f:' .. ARGV[1] .. ':' .. since .. ':' .. ARGV[2] .. rest, 'KEEPTTL')
return {'taken', since, rest}
"""

# KEYS: the claim. ARGV: attempt, now ms, request. 1 if noted, 0 if the attempt is not
# (or no longer) the claim's.
NOTE = """
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local _, _, old, since, touched, rest = string.find(v, '^f:([^:]*):(%d+):(%d+)(.*)$')
if old ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'f:' .. old .. ':' .. since .. ':' .. ARGV[2] .. rest .. '|' .. ARGV[3],
           'KEEPTTL')
return 1
"""

# KEYS: the claim. ARGV: attempt. A new claim no replica acknowledged, given back.
GIVE_BACK = """
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[1] + 3) == 'f:' .. ARGV[1] .. ':' then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# KEYS: the claim. ARGV: attempt, outcome (s or x). A text that went is sent whoever holds
# the claim now; a failure is written only by the attempt holding it.
FINISH = """
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local _, _, old = string.find(v, '^f:([^:]*):')
if not old then return 0 end
if ARGV[2] ~= 's' and old ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
"""


def in_flight(value: str) -> tuple[str, int, int, str] | None:
    """(attempt, since ms, touched ms, requests part) of an in-flight value, else None."""
    if not value.startswith("f:"):
        return None
    attempt, since, rest = value[2:].split(":", 2)
    touched, _, requests = rest.partition("|")
    return attempt, int(since), int(touched), ("|" + requests) if requests else ""


def take(
    value: str | None, attempt: str, now_ms: int, stale_ms: int
) -> tuple[SendClaim, str | None]:
    """TAKE in Python: (what was found, the value to write or None)."""
    if value is None:
        return SendClaim("new", now_ms), f"f:{attempt}:{now_ms}:{now_ms}"
    parts = in_flight(value)
    if parts is None:
        return SendClaim("done"), None
    _, since, touched, rest = parts
    found = parse_requests(rest)
    if now_ms - touched < stale_ms:
        return SendClaim("busy", since, found), None
    return SendClaim("taken", since, found), f"f:{attempt}:{since}:{now_ms}{rest}"


def note(value: str | None, attempt: str, now_ms: int, request: str) -> str | None:
    """NOTE in Python: the value to write, or None if the attempt is not the claim's."""
    parts = in_flight(value or "")
    if parts is None or parts[0] != attempt:
        return None
    _, since, _, rest = parts
    return f"f:{attempt}:{since}:{now_ms}{rest}|{request}"


def finish(value: str | None, attempt: str, outcome: str) -> str | None:
    """FINISH in Python: the value to write, or None."""
    parts = in_flight(value or "")
    if parts is None or (outcome != SENT and parts[0] != attempt):
        return None
    return outcome
