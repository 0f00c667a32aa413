"""Care-team records in Redis: consent versions, section snapshots, audit log, delivery jobs.

Per contact (hash tag `{c:<hex>}`, so one Cluster slot), every value sealed with the Cipher:
  {c}:ct:consents   sealed document (bot/store/documents.py): every consent version, in order
  {c}:ct:log        list, append-only: every disclosure, withholding and read, one sealed line each
  {c}:ct:snapshots  sealed document: the newest confirmed snapshot of each section
  {c}:ct:job:<id>   hash: one delivery (status and attempts in clear, the rest sealed)
  {c}:ct:done       hash: webhook id -> final status of each delivered or superseded job,
                    which then keeps no hash of its own (the audit log holds the details)
Program-wide: careteam:due (zset, member "<contact>|<webhook-id>", score = due time in ms),
careteam:parked (zset, same members), careteam:access (stream: reads of unknown plans),
careteam:leader (the lease of the one process that reads the outbox), careteam:dead (outbox
entries that failed again and again, kept sealed for a person to look at), careteam:erasures
(stream: the fact of each erasure, time and key count, never whose).
The `plan.deleted` notices outlive the contact's own keys, so they live under the hash tag
`{erased}` (jobs keyed by webhook id, and their audit), never under the contact's.
Before these, consent was a stream ({c}:ct:consent), snapshots a hash ({c}:ct:sections) and the
log a stream ({c}:ct:audit): a stream reserves a 4 KB node for its first entry and a hash of
long values its own table, so a plan's records took 12 KB where they now take about 2. Records
written that way are still read; the first change of a document folds them in.
Job steps touch a contact key and a program-wide zset; each step is idempotent, so they are
pipelined rather than made atomic (which a Cluster could not do across slots anyway).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from redis.asyncio import Redis

from bot.careteam.consent import NOTHING, ConsentState
from bot.careteam.entries import AuditEntry, Job
from bot.careteam.payload import SectionSnapshot
from bot.store.crypto import Cipher
from bot.store.documents import JSONDoc, SealedDocuments
from bot.store.keys import field_aad
from bot.store.keys.care import CareKeys

JOB_TTL_S = 400 * 24 * 3600  # outlives a plan's one-year consent: a job id is its dedupe key
# A plan.deleted notice is kept only while it is being delivered (or parked, for a retry).
ERASED_JOB_TTL_S = 30 * 24 * 3600
# Where plan.deleted notices live: not a contact (no "{c:" prefix), one Cluster slot.
ERASED = "{erased}"
AUDIT_MAXLEN = 100_000  # per contact; far beyond any real plan, a guard against a runaway loop

# KEYS: job hash, done hash. ARGV: sealed data, ttl s, webhook id. 1 created, 2 revived,
# 0 it already existed (or was delivered). A job withheld for want of consent is revived
# when a later consent allows it again.
_CREATE_JOB = """
if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HGET', KEYS[1], 'status') ~= 'withheld' then return 0 end
  redis.call('HSET', KEYS[1], 'status', 'pending', 'attempts', 0)
  return 2
end
redis.call('HSET', KEYS[1], 'status', 'pending', 'attempts', 0, 'data', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""

# A job out of the schedule for good keeps only its final status, in the contact's done hash.
# KEYS: job hash, done hash. ARGV: webhook id, status, ttl s.
_FINISH_FOR_GOOD = """
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('DEL', KEYS[1])
return 1
"""
# Final statuses that need nothing more of the job (a withheld one may be revived).
FOR_GOOD = frozenset({"delivered", "superseded"})

# KEYS: due zset. ARGV: now ms, lease-until ms, limit. Due members, now leased to the caller.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], member) end
return due
"""


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    raise TypeError("care-team records need a Redis client with decode_responses=False")


def _glob_escape(text: str) -> str:
    """`text` matched literally by SCAN's MATCH (its glob treats * ? [ ] \\ as special)."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def _text(value: Any) -> str:
    return _bytes(value).decode() if not isinstance(value, str) else value


class CareRecords:
    """Reads and appends the care-team records of one program (see the module docstring)."""

    def __init__(self, redis: Redis, cipher: Cipher, prefix: str = "") -> None:
        self.redis = redis
        self.keys = CareKeys(prefix)
        self._cipher = cipher
        self._documents = SealedDocuments(redis, cipher)
        self._create_job = redis.register_script(_CREATE_JOB)
        self._finish_for_good = redis.register_script(_FINISH_FOR_GOOD)
        self._claim = redis.register_script(_CLAIM)

    # ---- consent ----------------------------------------------------------------------

    async def latest_consent(self, contact: str) -> ConsentState:
        """The newest consent version; version 0 (nothing shared) when none was ever given."""
        history = await self.consent_history(contact)
        return history[-1] if history else NOTHING

    async def consent_history(self, contact: str) -> list[ConsentState]:
        versions = await self._consent_versions(contact)
        return [ConsentState.from_json(v) for v in versions]

    async def append_consent(self, contact: str, state: ConsentState) -> bool:
        """Append the next version; False when that version number was taken meanwhile."""

        def append(document: JSONDoc | None) -> tuple[JSONDoc | None, bool]:
            versions = list(document["versions"]) if document else []
            if len(versions) != state.version - 1:
                return None, False
            return {"versions": [*versions, state.to_json()]}, True

        async def older() -> JSONDoc:
            return {"versions": await self._legacy_consent(contact)}

        return await self._documents.change(self.keys.consents(contact), append, older)

    def newest_consent(
        self, contact: str, stored: bytes | None, legacy_newest: list[Any]
    ) -> ConsentState:
        """The newest version from what a pipeline read: the GET of the consent document and,
        for consent given before it existed, XREVRANGE COUNT 1 of the older stream."""
        _revision, document = self._documents.open(self.keys.consents(contact), stored)
        if document is not None:
            versions = document["versions"]
        else:
            key = self.keys.consent(contact)
            versions = [
                self._cipher.decrypt_json(
                    _bytes(fields[b"data"]), field_aad(key, _text(fields[b"version"]))
                )
                for _id, fields in legacy_newest
            ]
        return ConsentState.from_json(versions[-1]) if versions else NOTHING

    async def _consent_versions(self, contact: str) -> list[dict[str, Any]]:
        document = await self._documents.read(self.keys.consents(contact))
        if document is not None:
            return list(document["versions"])
        return await self._legacy_consent(contact)

    async def _legacy_consent(self, contact: str) -> list[dict[str, Any]]:
        key = self.keys.consent(contact)
        raw = cast(list[Any], await self.redis.xrange(key))
        return [
            self._cipher.decrypt_json(
                _bytes(fields[b"data"]), field_aad(key, _text(fields[b"version"]))
            )
            for _id, fields in raw
        ]

    # ---- section snapshots ------------------------------------------------------------

    async def save_snapshot(self, contact: str, snapshot: SectionSnapshot) -> bool:
        """Keep the snapshot unless this section already has that version or a newer one."""

        def keep_newest(document: JSONDoc | None) -> tuple[JSONDoc | None, bool]:
            sections = dict(document) if document is not None else {}
            have = sections.get(snapshot.section)
            if have is not None and int(have["version"]) >= snapshot.version:
                return None, False
            return {**sections, snapshot.section: snapshot.to_json()}, True

        async def older() -> JSONDoc:
            return dict(await self._legacy_snapshots(contact))

        return await self._documents.change(self.keys.snapshots(contact), keep_newest, older)

    async def snapshots(self, contact: str) -> dict[str, SectionSnapshot]:
        document = await self._documents.read(self.keys.snapshots(contact))
        sections = document if document is not None else await self._legacy_snapshots(contact)
        return {name: SectionSnapshot.from_json(data) for name, data in sections.items()}

    async def snapshot(self, contact: str, section: str) -> SectionSnapshot | None:
        return (await self.snapshots(contact)).get(section)

    async def _legacy_snapshots(self, contact: str) -> dict[str, dict[str, Any]]:
        key = self.keys.sections(contact)
        raw = cast(dict[bytes, bytes], await self.redis.hgetall(key))
        found: dict[str, dict[str, Any]] = {}
        for name, value in raw.items():
            text = _text(name)
            if text.startswith("s:"):
                found[text[2:]] = self._cipher.decrypt_json(_bytes(value), field_aad(key, text[2:]))
        return found

    # ---- audit ------------------------------------------------------------------------

    async def audit(self, contact: str, entry: AuditEntry) -> None:
        key = self.keys.log(contact)
        sealed = self._cipher.encrypt_json(entry.to_json(), key)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.rpush(key, sealed)
            pipe.ltrim(key, -AUDIT_MAXLEN, -1)
            await pipe.execute()

    async def audit_access(self, entry: AuditEntry) -> None:
        """A read of a plan that does not exist (or is not this reader's): program-wide log."""
        key = self.keys.access
        sealed = self._cipher.encrypt_json(entry.to_json(), key)
        await self.redis.xadd(key, {"data": sealed}, maxlen=AUDIT_MAXLEN, approximate=True)

    async def audit_log(self, contact: str) -> list[AuditEntry]:
        """The contact's whole log, oldest first: what the parent may ask to see."""
        legacy_key, key = self.keys.audit(contact), self.keys.log(contact)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xrange(legacy_key)
            pipe.lrange(key, 0, -1)
            legacy, lines = await pipe.execute()
        sealed = [(legacy_key, _bytes(f[b"data"])) for _id, f in legacy]
        sealed += [(key, _bytes(line)) for line in lines]
        return [AuditEntry.from_json(self._cipher.decrypt_json(v, k)) for k, v in sealed]

    # ---- delivery jobs ----------------------------------------------------------------

    async def create_job(self, job: Job, due_ms: float) -> bool:
        """Create a job once (its id dedupes) and schedule it; True when it is new (or revived)."""
        key = self.keys.job(job.contact, job.webhook_id)
        sealed = self._cipher.encrypt_json(job.sealed_fields(), field_aad(key, "data"))
        ttl = ERASED_JOB_TTL_S if job.contact == ERASED else JOB_TTL_S
        async with self.redis.pipeline(transaction=False) as pipe:
            await self._create_job(
                keys=[key, self.keys.done(job.contact)],
                args=[sealed, ttl, job.webhook_id],
                client=pipe,
            )
            # NX: a job already scheduled (or leased) keeps its time. A finished job put back
            # here by a repeat is dropped by the next claim, which sees its status.
            pipe.zadd(self.keys.due, {job.member: due_ms}, nx=True)
            created, _ = await pipe.execute()
        return int(created) > 0

    async def queue_depths(self) -> tuple[int, int]:
        """(jobs in the schedule, parked jobs), for the operators' gauges."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(self.keys.due)
            pipe.zcard(self.keys.parked)
            due, parked = await pipe.execute()
        return int(due), int(parked)

    async def claim_due(self, now_ms: float, lease_ms: float, limit: int) -> list[tuple[str, str]]:
        """(contact, webhook id) of due jobs, each leased: hidden from other workers a while."""
        raw = await self._claim(keys=[self.keys.due], args=[now_ms, now_ms + lease_ms, limit])
        found = []
        for member in cast(list[Any], raw):
            contact, _, wid = _text(member).partition("|")
            found.append((contact, wid))
        return found

    async def load_job(self, contact: str, wid: str) -> Job | None:
        key = self.keys.job(contact, wid)
        raw = cast(dict[bytes, bytes], await self.redis.hgetall(key))
        if not raw:
            done = await self.redis.hget(self.keys.done(contact), wid)
            if done is None:
                return None
            # Finished for good: only its status is kept (the audit log has the rest).
            return Job(wid, contact, kind="", endpoint="", created_at=0.0, status=_text(done))
        data = self._cipher.decrypt_json(raw[b"data"], field_aad(key, "data"))
        last = raw.get(b"last")
        return Job(
            webhook_id=wid,
            contact=contact,
            kind=data["kind"],
            endpoint=data["endpoint"],
            created_at=float(data["created_at"]),
            section=data.get("section"),
            version=data.get("version"),
            body=data.get("body"),
            step=data.get("step"),
            status=_text(raw[b"status"]),
            attempts=int(raw[b"attempts"]),
            last_result=self._cipher.decrypt(last, field_aad(key, "last")).decode() if last else "",
        )

    async def finish_job(self, job: Job, status: str, result: str) -> Job:
        """delivered, withheld or superseded: out of the schedule for good."""
        key = self.keys.job(job.contact, job.webhook_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            if status in FOR_GOOD and job.contact != ERASED:
                await self._finish_for_good(
                    keys=[key, self.keys.done(job.contact)],
                    args=[job.webhook_id, status, JOB_TTL_S],
                    client=pipe,
                )
            else:
                pipe.hset(key, mapping={"status": status, "last": self._seal_last(key, result)})
            pipe.zrem(self.keys.due, job.member)
            await pipe.execute()
        return replace(job, status=status, last_result=result)

    async def reschedule_job(self, job: Job, attempts: int, due_ms: float, result: str) -> Job:
        key = self.keys.job(job.contact, job.webhook_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, mapping={"attempts": attempts, "last": self._seal_last(key, result)})
            pipe.zadd(self.keys.due, {job.member: due_ms})
            await pipe.execute()
        return replace(job, attempts=attempts, last_result=result)

    async def park_job(self, job: Job, attempts: int, now_ms: float, result: str) -> Job:
        key = self.keys.job(job.contact, job.webhook_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(
                key,
                mapping={
                    "status": "parked",
                    "attempts": attempts,
                    "last": self._seal_last(key, result),
                },
            )
            pipe.zrem(self.keys.due, job.member)
            pipe.zadd(self.keys.parked, {job.member: now_ms})
            await pipe.execute()
        return replace(job, status="parked", attempts=attempts, last_result=result)

    async def parked_jobs(self, limit: int = 1000) -> list[Job]:
        raw = cast(list[Any], await self.redis.zrange(self.keys.parked, 0, limit - 1))
        jobs = []
        for member in raw:
            contact, _, wid = _text(member).partition("|")
            job = await self.load_job(contact, wid)
            if job is not None:
                jobs.append(job)
        return jobs

    async def unpark_job(self, job: Job, now_ms: float) -> None:
        """Back in the schedule with a fresh count of tries (an operator's retry)."""
        key = self.keys.job(job.contact, job.webhook_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, mapping={"status": "pending", "attempts": 0})
            pipe.zrem(self.keys.parked, job.member)
            pipe.zadd(self.keys.due, {job.member: now_ms})
            await pipe.execute()

    async def bury(self, entry_id: str, fields: Mapping[bytes, bytes], error: str) -> None:
        """Keep an outbox entry that cannot be applied (still sealed) out of the reader's way."""
        kept: dict[Any, Any] = dict(fields)
        kept.update({"entry": entry_id, "error": error})
        await self.redis.xadd(self.keys.dead, kept, maxlen=AUDIT_MAXLEN)

    async def drop_due(self, member: str) -> None:
        await self.redis.zrem(self.keys.due, member)

    async def forget_job(self, job: Job) -> None:
        """Delete a finished job outright (a delivered plan.deleted keeps no plan id about)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.delete(self.keys.job(job.contact, job.webhook_id))
            pipe.zrem(self.keys.due, job.member)
            await pipe.execute()

    async def cancel_jobs(self, contact: str) -> int:
        """Take every job of a contact out of the schedule and the parked list; how many."""
        pattern = _glob_escape(contact) + "|*"
        cancelled = 0
        for zset in (self.keys.due, self.keys.parked):
            members = [m async for m, _ in self.redis.zscan_iter(zset, match=pattern, count=500)]
            if members:
                cancelled += int(await self.redis.zrem(zset, *members))
        return cancelled

    async def purge_dead(self, contact: str, page: int = 1000) -> int:
        """Delete a contact's entries from careteam:dead (set-aside outbox entries); how many."""
        wanted = contact.encode()
        purged, start = 0, "-"
        while True:
            raw = cast(list[Any], await self.redis.xrange(self.keys.dead, min=start, count=page))
            found = [_text(i) for i, fields in raw if fields.get(b"contact") == wanted]
            if found:
                purged += int(await self.redis.xdel(self.keys.dead, *found))
            if len(raw) < page:
                return purged
            start = "(" + _text(raw[-1][0])

    async def log_erasure(self, at: datetime, keys: int, notified: int) -> None:
        """The fact of an erasure, for the program's records: when, how much, never whose."""
        fields: dict[Any, Any] = {"at": at.isoformat(), "keys": keys, "notified": notified}
        await self.redis.xadd(self.keys.erasures, fields, maxlen=AUDIT_MAXLEN, approximate=True)

    def _seal_last(self, key: str, result: str) -> bytes:
        return self._cipher.encrypt(result.encode(), field_aad(key, "last"))
