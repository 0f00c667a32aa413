"""The care-team records' Lua scripts (bot/store/care_records_redis.py runs them): each
touches one contact's keys, so one Cluster slot."""

from __future__ import annotations

# KEYS: job hash, done hash. ARGV: sealed data, ttl s, webhook id, due token (microseconds).
# The token written (created, or revived: never the old token again), or nil when it already
# existed (or was delivered). A job withheld for want of consent is revived when a later
# consent allows it again.
CREATE_JOB = """
if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 1 then return false end
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HGET', KEYS[1], 'status') ~= 'withheld' then return false end
  local due, old = tonumber(ARGV[4]), tonumber(redis.call('HGET', KEYS[1], 'due') or '')
  if old and due <= old then due = old + 1 end
  local token = string.format('%.0f', due)
  redis.call('HSET', KEYS[1], 'status', 'pending', 'attempts', 0, 'due', token)
  return token
end
redis.call('HSET', KEYS[1], 'status', 'pending', 'attempts', 0, 'data', ARGV[1], 'due', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return ARGV[4]
"""

# A job out of the schedule for good keeps only its final status, in the contact's done hash.
# KEYS: job hash, done hash. ARGV: webhook id, status, ttl s.
FINISH_FOR_GOOD = """
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('DEL', KEYS[1])
return 1
"""

# KEYS: job hash. ARGV: due token. Sets it on a job that exists (never makes a stub hash).
SET_DUE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'due', ARGV[1])
return 1
"""
