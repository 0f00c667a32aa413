"""The conversation store's Lua scripts (bot/store/redis_store.py runs them): what one
message does in Redis, two round trips, each script touching one contact's slot (or, for the
cluster relay, the outbox's)."""

from __future__ import annotations

import hashlib
import re

# Dedupe: the replies of a contact's last few inbound messages, in one list (newest first)
# of "<message tag>|<sealed replies>"; the tag never holds "|" (message_tag, below).
SEEN = """
local function seen(key, tag)
  if tag == '' then return nil end
  local head = tag .. '|'
  local n = string.len(head)
  for _, entry in ipairs(redis.call('LRANGE', key, 0, -1)) do
    if string.sub(entry, 1, n) == head then return string.sub(entry, n + 1) end
  end
  return nil
end
"""

# Taking a contact's lock, the first part of round trip 1, repeated while others are ahead.
# KEYS: lock, session, plan, address, queue, beats, seen, flood counter. ARGV: token, lock
# ttl ms, beat ttl ms, message tag ('' none), flood limit ('' none: not counted, as on every
# repeat), flood ttl s. take(held), held the lock's value as read at the script's start
# (nothing before take() writes it), answers {'dup', replies}, {'flood', ...} or
# {'busy', ms}, or nil when the lock is ours to take now.
# A lock still holding our own token is ours: the client may have retried this very call.
# "done:<token>" is a released lock that remembers its last holder (see WRITE).
# Texts of one contact are applied in arrival order: the first call takes a ticket (the
# queue); the lock goes only to the head of the queue. Each call renews the caller's beat;
# a waiter ahead whose beat ran out (its process died, or it gave up) is dropped.
# A message past the contact's flood limit is counted and answered {'flood', how far past,
# session, plan} without touching the lock: the caller decides what, if anything, to say.
TAKE = """
local function leave()
  redis.call('ZREM', KEYS[5], ARGV[1])
  redis.call('HDEL', KEYS[6], ARGV[1])
  if redis.call('ZCARD', KEYS[5]) == 0 then redis.call('DEL', KEYS[5], KEYS[6]) end
end
local function take(held)
  local cached = seen(KEYS[7], ARGV[4])
  if cached then
    leave()
    return {'dup', cached}
  end
  if ARGV[5] ~= '' then
    local count = redis.call('INCR', KEYS[8])
    if count == 1 then redis.call('EXPIRE', KEYS[8], ARGV[6]) end
    local past = count - tonumber(ARGV[5])
    if past > 0 then
      return {'flood', past, redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3])}
    end
  end
  local free = not held or string.sub(held, 1, 5) == 'done:'
  if held ~= ARGV[1] and not (free and redis.call('EXISTS', KEYS[5]) == 0) then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    local beat = tonumber(ARGV[3])
    if not redis.call('ZSCORE', KEYS[5], ARGV[1]) then
      redis.call('ZADD', KEYS[5], redis.call('HINCRBY', KEYS[6], '#ticket', 1), ARGV[1])
    end
    redis.call('HSET', KEYS[6], ARGV[1], now + beat)
    redis.call('PEXPIRE', KEYS[5], beat * 4)
    redis.call('PEXPIRE', KEYS[6], beat * 4)
    while true do
      local head = redis.call('ZRANGE', KEYS[5], 0, 0)[1]
      if head == ARGV[1] then break end
      if tonumber(redis.call('HGET', KEYS[6], head) or '0') >= now then return {'busy', 0} end
      redis.call('ZREM', KEYS[5], head)
      redis.call('HDEL', KEYS[6], head)
    end
    if not free then return {'busy', redis.call('PTTL', KEYS[1])} end
    leave()
  end
  return nil
end
local function granted()
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {'ok', redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3]),
          redis.call('EXISTS', KEYS[4])}
end
"""

# Round trip 1: take the lock and answer {'ok', session, plan, address exists}.
BEGIN = (
    SEEN
    + TAKE
    + """
return take(redis.call('GET', KEYS[1])) or granted()
"""
)

# What a message changed, written at once: write(o, outbox, seen, contacts) with the
# message's ARGV from o + 1 on: token, session, plan ('' = unchanged), address ('' = keep),
# done ttl ms (0: the released lock stays, naming its holder, until the next message),
# contact, outbox maxlen, reply ttl s, seen entry ('' none), seen cap, then (type, sealed
# event) pairs. KEYS[1-4]: lock, session, plan, address. On a Cluster (no contacts key: it
# sits in another slot) "outbox" is the contact's own pending stream, and everything pending
# there comes back for the relay (usually just these entries; an earlier message's relay
# may still be on its way): {1, pending entries}; else 1.
# The lock becomes "done:<token>" instead of vanishing, so a client-level retry of a call
# whose reply was lost learns that it succeeded rather than writing twice, and a process
# that remembers what it wrote knows nobody wrote since (QUICK).
WRITE = """
local function write(o, outbox, seen_key, contacts)
  redis.call('SET', KEYS[2], ARGV[o + 2])
  if ARGV[o + 3] ~= '' then redis.call('SET', KEYS[3], ARGV[o + 3]) end
  if ARGV[o + 4] ~= '' then
    redis.call('SET', KEYS[4], ARGV[o + 4], 'NX')
    if contacts then redis.call('SADD', contacts, ARGV[o + 6]) end
  end
  if ARGV[o + 9] ~= '' then
    local cap = tonumber(ARGV[o + 10])
    if redis.call('LPUSH', seen_key, ARGV[o + 9]) > cap then
      redis.call('LTRIM', seen_key, 0, cap - 1)
    end
    redis.call('EXPIRE', seen_key, ARGV[o + 8])
  end
  for i = o + 11, #ARGV, 2 do
    redis.call('XADD', outbox, 'MAXLEN', '~', ARGV[o + 7], '*',
               'contact', ARGV[o + 6], 'type', ARGV[i], 'data', ARGV[i + 1])
  end
  if tonumber(ARGV[o + 5]) > 0 then
    redis.call('SET', KEYS[1], 'done:' .. ARGV[o + 1], 'PX', ARGV[o + 5])
  else
    redis.call('SET', KEYS[1], 'done:' .. ARGV[o + 1])
  end
  if contacts or #ARGV < o + 11 then return 1 end
  return {1, redis.call('XRANGE', outbox, '-', '+', 'COUNT', 200)}
end
"""

# Round trip 2, under the lock. KEYS: lock, session, plan, address, outbox, seen, then on
# one server the contacts index. ARGV: as write() reads them (o = 0).
# Returns write()'s answer, 2 already written by an earlier try of this call, 0 lock lost.
COMMIT = (
    WRITE
    + """
local held = redis.call('GET', KEYS[1])
if held == 'done:' .. ARGV[1] then return 2 end
if held ~= ARGV[1] then return 0 end
return write(0, KEYS[5], KEYS[6], KEYS[7])
"""
)

# One round trip for a message applied to the session this process last wrote: BEGIN with
# the message's writes proposed. KEYS: BEGIN's, then outbox (as COMMIT's), then on one
# server the contacts index. ARGV: BEGIN's six, then the lock this process left
# ("done:<its token>"), the nonces of the session and plan it wrote (a sealed value's bytes
# 2-13, fresh each time it is sealed), then write()'s (o = 9).
# When the lock is ours to take and lock, session and plan are still exactly what this
# process left, nobody wrote since: the proposal is written as COMMIT would have, and the
# answer is {'written', write()'s answer} ({'written', 2}: an earlier try of this call did).
# Else the lock is taken as BEGIN takes it (or dup, flood, busy): the caller opens what is
# stored, applies again and commits. A lock that has moved past what the caller left never
# comes back to it (tokens are never reused), so an unanswered call is fenced by moving it
# (SETTLE).
QUICK = (
    SEEN
    + TAKE
    + WRITE
    + """
local held = redis.call('GET', KEYS[1])
if held == 'done:' .. ARGV[1] then return {'written', 2} end
local busy = take(held)
if busy then return busy end
if held == ARGV[7]
    and redis.call('GETRANGE', KEYS[2], 1, 12) == ARGV[8]
    and redis.call('GETRANGE', KEYS[3], 1, 12) == ARGV[9] then
  return {'written', write(9, KEYS[9], KEYS[7], KEYS[10])}
end
return granted()
"""
)

# Cluster only: contacts' pending entries into the outbox stream, each exactly once; the
# contacts whose relays wait while one is on its way go together in the next call.
# KEYS: outbox, relayed. ARGV: outbox maxlen, then per contact: contact, how many entries,
# then its (pending id, type, sealed event) triples in id order. Entries at or before the
# contact's last relayed id were relayed already (by this process or another, before a
# crash, or earlier in this very call) and are skipped.
# Returns, per contact in turn, the last relayed id ('' none) and how many went now: the
# pending stream can be trimmed up to that id.
RELAY = """
local function after(a, b)
  if not b then return true end
  local am, as = string.match(a, '(%d+)-(%d+)')
  local bm, bs = string.match(b, '(%d+)-(%d+)')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am > bm or (am == bm and as > bs)
end
local replies = {}
local i = 2
while i <= #ARGV do
  local contact, count = ARGV[i], tonumber(ARGV[i + 1])
  local last = redis.call('HGET', KEYS[2], contact)
  local moved = 0
  for j = i + 2, i + 1 + 3 * count, 3 do
    if after(ARGV[j], last) then
      redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
                 'contact', contact, 'type', ARGV[j + 1], 'data', ARGV[j + 2])
      last = ARGV[j]
      moved = moved + 1
    end
  end
  if moved > 0 then redis.call('HSET', KEYS[2], contact, last) end
  replies[#replies + 1] = last or ''
  replies[#replies + 1] = moved
  i = i + 2 + 3 * count
end
return replies
"""

# Cluster only: a contact's pending stream trimmed up to (not including) an id, after a
# relay. KEYS: pending. ARGV: the first id to keep. A script so that it takes the store's
# hot path to the slot's node (bot/store/cluster_calls.py), not redis-py's cluster client.
TRIM_PENDING = "return redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])"

# After apply() raised, or after a commit whose answer never came. KEYS: lock, seen.
# ARGV: token, message tag ('' none), for a QUICK call the lock it expects ('' none).
# Settles what happened to our commit, atomically:
#   'saved'  the commit ran (its lock says done:<token>, or the message's replies exist);
#   'fenced' it did not, and now cannot: a lock still ours is deleted, so a commit still in
#            flight finds the lock gone and writes nothing (it returns 0); a lock a QUICK
#            call still expects is moved on (to a released lock naming no one), so the call
#            writes nothing when it runs;
#   'unknown' no message id, and the lock has moved on: the commit may have run.
SETTLE = (
    SEEN
    + """
local cached = seen(KEYS[2], ARGV[2])
if cached then return {'saved', cached} end
local held = redis.call('GET', KEYS[1])
if held == 'done:' .. ARGV[1] then return {'saved'} end
if held == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return {'fenced'}
end
if ARGV[3] and ARGV[3] ~= '' and held == ARGV[3] then
  redis.call('SET', KEYS[1], 'done:fence:' .. ARGV[1])
  return {'fenced'}
end
if ARGV[2] ~= '' then return {'fenced'} end
return {'unknown'}
"""
)

# A delivery status, kept only for a contact that still exists. KEYS: deliveries, session,
# plan. ARGV: message sid, sealed status, ttl s. A late callback after DELETE MY DATA (or for
# a number that never texted) writes nothing, so an erasure stays an erasure.
RECORD_DELIVERY = """
if redis.call('EXISTS', KEYS[2], KEYS[3]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


PLAIN_TAG = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def message_tag(message_id: str | None) -> str:
    """How a message id is named in the contact's dedupe list: as is when it is plain (a
    Twilio SID), else a hash of it (so it never holds the list's "|" separator)."""
    if message_id is None:
        return ""
    if PLAIN_TAG.fullmatch(message_id):
        return message_id
    return "h:" + hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:32]
