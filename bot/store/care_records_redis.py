"""`CareRecordStore` in Redis (keys in bot/store/keys/care.py).

Per contact (hash tag `{c:<hex>}`, so one Cluster slot), every value sealed with the Cipher:
  {c}:ct:consents   sealed document (bot/store/documents.py): every consent version, in order
  {c}:ct:log        list, append-only: every disclosure, withholding and read, one sealed line each
  {c}:ct:snapshots  sealed document: the newest confirmed snapshot of each section
  {c}:ct:job:<id>   hash: one delivery (status and attempts in clear, the rest sealed)
  {c}:ct:done       hash: webhook id -> final status of each delivered or superseded job,
                    which then keeps no hash of its own (the audit log holds the details)
Program-wide: careteam:parked (zset, member "<contact>|<webhook-id>", score = when parked),
careteam:due (the previous release's schedule, same members, score = due time in ms: only
read, to move it onto the scheduler, bot/careteam/delivery/timer.py), careteam:access
(stream: reads of unknown plans), careteam:leader (the lease of the one process that reads
the outbox), careteam:dead (outbox entries that failed again and again, kept sealed for a
person to look at), careteam:erasures (stream: the fact of each erasure, time and key
count, never whose).
The `plan.deleted` notices outlive the contact's own keys, so they live under the hash tag
`{erased}` (jobs keyed by webhook id, and their audit), never under the contact's.
Before these, consent was a stream ({c}:ct:consent), snapshots a hash ({c}:ct:sections) and the
log a stream ({c}:ct:audit): a stream reserves a 4 KB node for its first entry and a hash of
long values its own table, so a plan's records took 12 KB where they now take about 2. Records
written that way are still read; the first change of a document folds them in.
When a job goes is the scheduler's (its due stream is in the {rem} slot); a job keeps its due
token. Parking touches a contact key and the program-wide parked zset; each step is
idempotent, so they are pipelined rather than made atomic (which a Cluster could not do
across slots anyway).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

from redis.asyncio import Redis

from bot.store.care_records import (
    ERASED,
    FOR_GOOD,
    AuditEntry,
    Document,
    Job,
    due_token,
    finished_for_good,
)
from bot.store.care_records_scripts import CREATE_JOB, FINISH_FOR_GOOD, SET_DUE
from bot.store.crypto import Cipher
from bot.store.documents import JSONDoc, SealedDocuments
from bot.store.keys import field_aad
from bot.store.keys.care import CareKeys
from bot.store.lease import Lease
from bot.store.limiter import Limiter
from bot.store.limits import Limits
from bot.store.stream_group import GroupReader

JOB_TTL_S = 400 * 24 * 3600  # outlives a plan's one-year consent: a job id is its dedupe key
# A plan.deleted notice is kept only while it is being delivered (or parked, for a retry).
ERASED_JOB_TTL_S = 30 * 24 * 3600
AUDIT_MAXLEN = 100_000  # per contact; far beyond any real plan, a guard against a runaway loop


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    raise TypeError("care-team records need a Redis client with decode_responses=False")


def _glob_escape(text: str) -> str:
    """`text` matched literally by SCAN's MATCH (its glob treats * ? [ ] \\ as special)."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def _text(value: Any) -> str:
    return _bytes(value).decode() if not isinstance(value, str) else value


def _split(member: Any) -> tuple[str, str]:
    contact, _, wid = _text(member).partition("|")
    return contact, wid


class RedisCareRecords:
    """The care team's records in Redis (see the module docstring); also `CareCoordination`."""

    def __init__(self, redis: Redis, cipher: Cipher, prefix: str = "") -> None:
        self.redis = redis
        self.keys = CareKeys(prefix)
        self._cipher = cipher
        self._documents = SealedDocuments(redis, cipher)
        self._create_job = redis.register_script(CREATE_JOB)
        self._finish_for_good = redis.register_script(FINISH_FOR_GOOD)
        self._set_due = redis.register_script(SET_DUE)

    # ---- coordination -----------------------------------------------------------------

    def leader_lease(self, ttl: timedelta, token: str) -> Lease:
        return Lease(self.redis, self.keys.leader, ttl, token=token)

    def outbox_group(self, stream: str, group: str, consumer: str, batch: int) -> GroupReader:
        return GroupReader(self.redis, stream, group, consumer, batch=batch)

    def limiter(self, id_key: bytes) -> Limits:
        return Limiter(self.redis, id_key, self.keys.prefix)

    # ---- consent ----------------------------------------------------------------------

    async def consent_versions(self, contact: str) -> list[Document]:
        document = await self._documents.read(self.keys.consents(contact))
        if document is not None:
            return list(document["versions"])
        return await self._legacy_consent(contact)

    async def append_consent(self, contact: str, version: int, document: Document) -> bool:
        def append(current: JSONDoc | None) -> tuple[JSONDoc | None, bool]:
            versions = list(current["versions"]) if current else []
            if len(versions) != version - 1:
                return None, False
            return {"versions": [*versions, document]}, True

        async def older() -> JSONDoc:
            return {"versions": await self._legacy_consent(contact)}

        return await self._documents.change(self.keys.consents(contact), append, older)

    async def newest_consents(self, contacts: Sequence[str]) -> dict[str, Document | None]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for contact in contacts:
                pipe.get(self.keys.consents(contact))
                pipe.xrevrange(self.keys.consent(contact), count=1)  # consent from before 2026-12
            raw: list[Any] = await pipe.execute()
        return {
            contact: self._newest_consent(contact, raw[2 * i], raw[2 * i + 1])
            for i, contact in enumerate(contacts)
        }

    def _newest_consent(
        self, contact: str, stored: bytes | None, legacy_newest: list[Any]
    ) -> Document | None:
        _revision, document = self._documents.open(self.keys.consents(contact), stored)
        if document is not None:
            versions = list(document["versions"])
        else:
            versions = self._open_legacy_consent(contact, legacy_newest)
        return versions[-1] if versions else None

    async def _legacy_consent(self, contact: str) -> list[Document]:
        raw = cast(list[Any], await self.redis.xrange(self.keys.consent(contact)))
        return self._open_legacy_consent(contact, raw)

    def _open_legacy_consent(self, contact: str, entries: list[Any]) -> list[Document]:
        key = self.keys.consent(contact)
        return [
            self._cipher.decrypt_json(
                _bytes(fields[b"data"]), field_aad(key, _text(fields[b"version"]))
            )
            for _id, fields in entries
        ]

    # ---- section snapshots ------------------------------------------------------------

    async def section_snapshots(self, contact: str) -> dict[str, Document]:
        document = await self._documents.read(self.keys.snapshots(contact))
        return document if document is not None else await self._legacy_snapshots(contact)

    async def keep_snapshot(self, contact: str, section: str, document: Document) -> bool:
        def keep_newest(current: JSONDoc | None) -> tuple[JSONDoc | None, bool]:
            sections = dict(current) if current is not None else {}
            have = sections.get(section)
            if have is not None and int(have["version"]) >= int(document["version"]):
                return None, False
            return {**sections, section: document}, True

        async def older() -> JSONDoc:
            return dict(await self._legacy_snapshots(contact))

        return await self._documents.change(self.keys.snapshots(contact), keep_newest, older)

    async def _legacy_snapshots(self, contact: str) -> dict[str, Document]:
        key = self.keys.sections(contact)
        raw = cast(dict[bytes, bytes], await self.redis.hgetall(key))
        found: dict[str, Document] = {}
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
        key = self.keys.access
        sealed = self._cipher.encrypt_json(entry.to_json(), key)
        await self.redis.xadd(key, {"data": sealed}, maxlen=AUDIT_MAXLEN, approximate=True)

    async def audit_log(self, contact: str) -> list[AuditEntry]:
        legacy_key, key = self.keys.audit(contact), self.keys.log(contact)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xrange(legacy_key)
            pipe.lrange(key, 0, -1)
            legacy, lines = await pipe.execute()
        sealed = [(legacy_key, _bytes(f[b"data"])) for _id, f in legacy]
        sealed += [(key, _bytes(line)) for line in lines]
        return [AuditEntry.from_json(self._cipher.decrypt_json(v, k)) for k, v in sealed]

    async def access_log(self) -> list[AuditEntry]:
        key = self.keys.access
        raw = cast(list[Any], await self.redis.xrange(key))
        return [
            AuditEntry.from_json(self._cipher.decrypt_json(_bytes(f[b"data"]), key))
            for _id, f in raw
        ]

    # ---- delivery jobs ----------------------------------------------------------------

    async def create_job(self, job: Job, due_ms: float) -> str:
        key = self.keys.job(job.contact, job.webhook_id)
        sealed = self._cipher.encrypt_json(job.sealed_fields(), field_aad(key, "data"))
        ttl = ERASED_JOB_TTL_S if job.contact == ERASED else JOB_TTL_S
        keys = [key, self.keys.done(job.contact)]
        args: list[bytes | str | int] = [sealed, ttl, job.webhook_id, due_token(due_ms)]
        token = await self._create_job(keys=keys, args=args)
        return "" if token is None else _text(token)

    async def parked_count(self) -> int:
        return int(await self.redis.zcard(self.keys.parked))

    async def set_due(self, job: Job, due_ms: float) -> None:
        key = self.keys.job(job.contact, job.webhook_id)
        await self._set_due(keys=[key], args=[due_token(due_ms)])

    async def legacy_due(self, limit: int) -> list[tuple[str, str, float]]:
        raw = await self.redis.zrange(self.keys.due, 0, limit - 1, withscores=True)
        found = []
        for member, score in cast(list[tuple[bytes, float]], raw):
            contact, wid = _split(member)
            found.append((contact, wid, float(score)))
        return found

    async def drop_legacy_due(self, contact: str, wid: str) -> None:
        await self.redis.zrem(self.keys.due, f"{contact}|{wid}")

    async def load_job(self, contact: str, wid: str) -> Job | None:
        key = self.keys.job(contact, wid)
        raw = cast(dict[bytes, bytes], await self.redis.hgetall(key))
        if not raw:
            done = await self.redis.hget(self.keys.done(contact), wid)
            return None if done is None else finished_for_good(contact, wid, _text(done))
        data = self._cipher.decrypt_json(raw[b"data"], field_aad(key, "data"))
        last = raw.get(b"last")
        result = self._cipher.decrypt(last, field_aad(key, "last")).decode() if last else ""
        status, attempts, due = _text(raw[b"status"]), int(raw[b"attempts"]), raw.get(b"due")
        return Job.from_sealed(wid, contact, data, status, attempts, result, _text(due or b""))

    async def finish_job(self, job: Job, status: str, result: str) -> Job:
        key = self.keys.job(job.contact, job.webhook_id)
        if status in FOR_GOOD and job.contact != ERASED:
            keys = [key, self.keys.done(job.contact)]
            await self._finish_for_good(keys=keys, args=[job.webhook_id, status, JOB_TTL_S])
        else:
            await self.redis.hset(
                key, mapping={"status": status, "last": self._seal_last(key, result)}
            )
        return replace(job, status=status, last_result=result)

    async def reschedule_job(self, job: Job, attempts: int, due_ms: float, result: str) -> Job:
        key = self.keys.job(job.contact, job.webhook_id)
        last, due = self._seal_last(key, result), due_token(due_ms)
        await self.redis.hset(key, mapping={"attempts": attempts, "last": last, "due": due})
        return replace(job, attempts=attempts, last_result=result, due=due)

    async def park_job(self, job: Job, attempts: int, now_ms: float, result: str) -> Job:
        key = self.keys.job(job.contact, job.webhook_id)
        last = self._seal_last(key, result)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, mapping={"status": "parked", "attempts": attempts, "last": last})
            pipe.zadd(self.keys.parked, {job.member: now_ms})
            await pipe.execute()
        return replace(job, status="parked", attempts=attempts, last_result=result)

    async def parked_jobs(self, limit: int = 1000) -> list[Job]:
        raw = cast(list[Any], await self.redis.zrange(self.keys.parked, 0, limit - 1))
        jobs = []
        for member in raw:
            job = await self.load_job(*_split(member))
            if job is not None:
                jobs.append(job)
        return jobs

    async def unpark_job(self, job: Job, now_ms: float) -> None:
        key = self.keys.job(job.contact, job.webhook_id)
        due = due_token(now_ms)
        await self.redis.hset(key, mapping={"status": "pending", "attempts": 0, "due": due})

    async def drop_parked(self, job: Job) -> None:
        await self.redis.zrem(self.keys.parked, job.member)

    async def forget_job(self, job: Job) -> None:
        await self.redis.delete(self.keys.job(job.contact, job.webhook_id))

    async def cancel_jobs(self, contact: str) -> int:
        pattern = _glob_escape(contact) + "|*"
        cancelled = 0
        # careteam:due too: a schedule of the previous release not yet moved.
        for zset in (self.keys.parked, self.keys.due):
            members = [m async for m, _ in self.redis.zscan_iter(zset, match=pattern, count=500)]
            if members:
                cancelled += int(await self.redis.zrem(zset, *members))
        return cancelled

    # ---- set aside, erasures, token checks ---------------------------------------------

    async def bury(self, entry_id: str, fields: Mapping[bytes, bytes], error: str) -> None:
        kept: dict[Any, Any] = dict(fields)
        kept.update({"entry": entry_id, "error": error})
        await self.redis.xadd(self.keys.dead, kept, maxlen=AUDIT_MAXLEN)

    async def buried(self) -> list[tuple[str, str]]:
        raw = cast(list[Any], await self.redis.xrange(self.keys.dead))
        return [(_text(f[b"entry"]), _text(f[b"error"])) for _id, f in raw]

    async def purge_dead(self, contact: str, page: int = 1000) -> int:
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
        fields: dict[Any, Any] = {"at": at.isoformat(), "keys": keys, "notified": notified}
        await self.redis.xadd(self.keys.erasures, fields, maxlen=AUDIT_MAXLEN, approximate=True)

    async def erasures(self) -> list[tuple[str, int, int]]:
        raw = cast(list[Any], await self.redis.xrange(self.keys.erasures))
        return [(_text(f[b"at"]), int(f[b"keys"]), int(f[b"notified"])) for _id, f in raw]

    async def count_token_check(self, address: str, window_s: int) -> tuple[int, int]:
        counter = self.keys.token_checks(address)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(counter)
            pipe.expire(counter, window_s, nx=True)
            pipe.ttl(counter)
            count, _, ttl = await pipe.execute()
        return int(count), int(ttl)

    async def give_back_token_check(self, address: str) -> None:
        await self.redis.decr(self.keys.token_checks(address))

    def _seal_last(self, key: str, result: str) -> bytes:
        return self._cipher.encrypt(result.encode(), field_aad(key, "last"))
