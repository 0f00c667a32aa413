"""The delivery worker: outbox events in, consent applied, signed webhooks out, each try audited.

Two halves share one loop. The *reader* (one process at a time, under a Redis lease, so a
contact's events are applied in order) reads `outbox:events` with its own consumer group:
consent answers become consent versions, finished sections become snapshots plus one job
per consented endpoint, crisis and TALK become alert jobs for the on-call role. The
*sender* (every process) claims due jobs with a lease, checks consent again at the moment
of sending, posts the body signed with Standard Webhooks, and retries with exponential
backoff and jitter until the job is delivered or parked. At least once: an outbox entry is
acknowledged only after its jobs exist, a job leaves the schedule only after a 2xx, and a
job's webhook-id is the same on every try, so receivers dedupe.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, cast

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError
from standardwebhooks.webhooks import Webhook

from bot.careteam.consent import (
    CONSENT_FLOW,
    CONSENT_STEPS,
    SHARE_STEPS,
    ConsentState,
    allows_private,
    consent_organizations,
    consent_text_version,
    consented_recipients,
    derive,
    narrow,
    on_call_endpoints,
    permits_for,
)
from bot.careteam.directory import CRISIS_EVENT, HANDOFF_EVENT, SECTION_EVENT, Directory, Endpoint
from bot.careteam.payload import (
    Names,
    SectionSnapshot,
    alert_body,
    baby_date,
    encode_body,
    plan_id_of,
    section_body,
    snapshot_from_event,
    webhook_id,
)
from bot.careteam.records import AuditEntry, CareRecords, Job
from bot.engine.events import (
    AnswerChanged,
    ConsentChanged,
    CrisisDetected,
    HandoffRequested,
    SectionCompleted,
)
from bot.engine.loader import FlowSet
from bot.engine.session import Session
from bot.errors import DecryptionError, StoreError
from bot.geo import zip_info
from bot.store.crypto import Cipher
from bot.store.outbox import OutboxEntry, ensure_group, open_entry
from bot.store.redis_store import RedisConversationStore

log = logging.getLogger(__name__)


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


# Giving the outbox lease back on shutdown may wait this long, no more.
RESIGN_TIMEOUT_S = 1.0

Clock = Callable[[], float]
USER_AGENT = "SafeStart-Webhooks/1"


def default_consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _system_jitter() -> float:
    return secrets.SystemRandom().random()


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    """Delivery knobs. Defaults: about 5-10 hours of tries before a job is parked."""

    group: str = "careteam"
    consumer: str = field(default_factory=default_consumer)
    batch: int = 100
    max_attempts: int = 18
    backoff_base_s: float = 10.0
    backoff_cap_s: float = 3600.0
    # A claimed job is hidden this long; if the worker dies mid-post it is retried after.
    # Longer than any endpoint timeout (at most 60 s), so a slow post is never doubled.
    lease_s: float = 120.0
    leader_ttl_ms: int = 15_000
    # Posts in flight per worker. Past ~16, httpx's pool bookkeeping costs more than it saves
    # against a local receiver (bench/bench_delivery.py); slow remote endpoints favour more.
    concurrency: int = 16
    idle_sleep_s: float = 0.2
    # An outbox entry failing this often for an unforeseen reason is set aside (careteam:dead)
    # rather than holding up every later event of every parent.
    bury_after: int = 5


def backoff_s(attempts: int, config: DeliveryConfig, jitter: Callable[[], float]) -> float:
    """Exponential, capped, with "equal jitter": spread out, but never close to zero."""
    delay = min(config.backoff_cap_s, config.backoff_base_s * 2.0 ** max(attempts - 1, 0))
    return delay * (0.5 + 0.5 * jitter())


class _Retry(Exception):
    """The entry could not be applied now (a lost race); leave it pending and try again."""


_TRANSIENT = (RedisError, StoreError, OSError, _Retry)


def _entry_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _entry_time(entry_id: str) -> datetime:
    """When the answers were saved: the stream id is Redis's clock in milliseconds."""
    return datetime.fromtimestamp(_entry_key(entry_id)[0] / 1000, UTC)


class DeliveryWorker:
    """Reads the outbox and delivers to the care team; see the module docstring."""

    def __init__(
        self,
        *,
        store: RedisConversationStore,
        records: CareRecords,
        directory: Directory,
        flows: FlowSet,
        cipher: Cipher,
        config: DeliveryConfig | None = None,
        client: httpx.AsyncClient | None = None,
        clock: Clock = time.time,
        jitter: Callable[[], float] = _system_jitter,
        names: Names | None = None,
    ) -> None:
        self.config = config or DeliveryConfig()
        self.records = records
        self.directory = directory
        self.flows = flows
        self.names = names or Names(program=directory.program.name)
        self._store = store
        self._redis: Redis = records.redis
        self._cipher = cipher
        self._stream = store.outbox_key
        self._clock = clock
        self._jitter = jitter
        self._own_client = client is None
        self._http = client or httpx.AsyncClient(
            follow_redirects=False,  # a redirect must not carry a plan somewhere unreviewed
            limits=httpx.Limits(max_connections=self.config.concurrency),
            headers={"user-agent": USER_AGENT},
        )
        self._signers = {e.id: Webhook(e.secret.get_secret_value()) for e in directory.endpoints}
        self._leading = False
        self._prepared = False
        self._failures: dict[str, int] = {}
        care_team = flows[CONSENT_FLOW]
        self._text_version = consent_text_version(
            s.ask for s in care_team.steps if s.id in CONSENT_STEPS
        )

    # ---- running ------------------------------------------------------------------------

    async def prepare(self) -> None:
        """Create the consumer group (from the stream's start: earlier events count too)."""
        await ensure_group(self._redis, self._stream, self.config.group)
        self._prepared = True

    async def run(self) -> None:
        """Work until cancelled; Redis or network trouble is logged and retried, never fatal."""
        await self.prepare()
        try:
            while True:
                if _being_cancelled():
                    # A cancel that redis-py turned into an error inside step() was caught
                    # there; the task is still being cancelled, so stop here.
                    raise asyncio.CancelledError
                try:
                    worked = await self.step()
                except _TRANSIENT as exc:
                    if _being_cancelled():
                        # redis-py can turn a cancelled read into a connection error: the
                        # cancel must still stop the worker, not be retried as an outage.
                        raise asyncio.CancelledError from exc
                    log.warning("care-team delivery paused: %s: %.200s", type(exc).__name__, exc)
                    worked = 0
                except Exception:
                    if _being_cancelled():
                        raise asyncio.CancelledError from None
                    # A bug must not stop delivery for every parent: log it, keep going.
                    log.exception("care-team delivery step failed")
                    worked = 0
                if not worked:
                    await asyncio.sleep(self.config.idle_sleep_s)
        finally:
            # Give the outbox lease back so a restarted worker need not wait it out.
            if self._leading:
                await self._resign()

    async def _resign(self) -> None:
        # Bounded: this runs while the task is being cancelled, and a command interrupted
        # mid-read can leave it waiting. If Redis is away the lease simply expires.
        with suppress(*_TRANSIENT, TimeoutError):
            await asyncio.wait_for(self.records.resign(self.config.consumer), RESIGN_TIMEOUT_S)
        self._leading = False

    async def step(self) -> int:
        """One pass: read what the outbox holds, then send what is due. Returns work done."""
        return await self.consume() + await self.send_due()

    async def close(self) -> None:
        if self._own_client:
            await self._http.aclose()

    # ---- reading the outbox -------------------------------------------------------------

    async def consume(self) -> int:
        """Apply outbox entries in order, if this process holds the reader's lease.

        Returns how many were done with; 0 when an entry must wait, so the loop backs off
        instead of spinning on it.
        """
        if not self._prepared:
            await self.prepare()
        lead = await self.records.lead(self.config.consumer, self.config.leader_ttl_ms)
        if lead == 0:
            self._leading = False
            return 0
        if lead == 2 or not self._leading:
            await self._claim_abandoned()
        self._leading = True
        # Our own pending entries first (retries, or taken over from a dead reader), in order.
        entries = await self._read("0") or await self._read(">")
        done: list[str] = []
        try:
            for entry_id, fields in entries:
                if not fields:
                    log.error("outbox entry %s was trimmed before delivery; it is lost", entry_id)
                elif not await self._apply_raw(entry_id, fields):
                    break
                done.append(entry_id)
        finally:
            if done:
                await self._redis.xack(self._stream, self.config.group, *done)
        return len(done)

    async def _read(self, start: str) -> list[tuple[str, Mapping[bytes, bytes] | None]]:
        reply = await self._redis.xreadgroup(
            self.config.group, self.config.consumer, {self._stream: start}, count=self.config.batch
        )
        batches = reply.values() if isinstance(reply, dict) else [b[1] for b in reply or []]
        found: list[tuple[str, Mapping[bytes, bytes] | None]] = []
        for batch in batches:
            for entry_id, fields in cast(Sequence[Any], batch):
                ident = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
                found.append((ident, fields))
        return found

    async def _claim_abandoned(self) -> None:
        """Take over what a previous reader left unacknowledged (it lost or gave up the lease)."""
        cursor = "0-0"
        while True:
            reply = await self._redis.xautoclaim(
                self._stream,
                self.config.group,
                self.config.consumer,
                min_idle_time=0,
                start_id=cursor,
                count=self.config.batch,
            )  # not justid: redis-py then drops the cursor from the reply
            raw_cursor = reply[0]
            cursor = raw_cursor.decode() if isinstance(raw_cursor, bytes) else str(raw_cursor)
            deleted = reply[2] if len(reply) > 2 else []
            if deleted:
                log.error("%d outbox entries were trimmed before delivery", len(deleted))
                await self._redis.xack(self._stream, self.config.group, *deleted)
            if cursor == "0-0":
                return

    async def _apply_raw(self, entry_id: str, fields: Mapping[bytes, bytes]) -> bool:
        """True when the entry is done with (applied, or unusable); False to retry it later."""
        try:
            entry = open_entry(self._cipher, self._stream, entry_id, fields)
        except (DecryptionError, ValueError, KeyError, TypeError) as exc:
            # Not retryable: a sealed value that does not open will not open next time.
            log.error("outbox entry %s cannot be read: %s", entry_id, type(exc).__name__)
            await self.records.bury(entry_id, fields, type(exc).__name__)
            return True
        try:
            await self.apply(entry)
        except _TRANSIENT as exc:
            log.warning("outbox entry %s deferred: %s", entry_id, type(exc).__name__)
            return False
        except Exception as exc:
            failures = self._failures[entry_id] = self._failures.get(entry_id, 0) + 1
            log.exception("outbox entry %s failed (%d times)", entry_id, failures)
            if failures < self.config.bury_after:
                return False
            await self.records.bury(entry_id, fields, type(exc).__name__)
        self._failures.pop(entry_id, None)
        return True

    async def apply(self, entry: OutboxEntry) -> None:
        """Act on one engine event: consent, a finished section, or an alert."""
        event = entry.event
        at = _entry_time(entry.entry_id)
        if isinstance(event, SectionCompleted) and event.section in SHARE_STEPS:
            await self._on_section(entry, event, at)
        elif isinstance(event, ConsentChanged) and event.section == CONSENT_FLOW:
            await self._on_consent(entry, event, at)
        elif isinstance(event, AnswerChanged) and event.section == CONSENT_FLOW:
            await self._on_consent_answer(entry, event, at)
        elif isinstance(event, CrisisDetected):
            await self._on_alert(entry, CRISIS_EVENT, {"kind": event.kind}, at)
        elif isinstance(event, HandoffRequested):
            await self._on_alert(entry, HANDOFF_EVENT, {"reason": event.reason}, at)
        # A changed answer in a finished section needs the parent's new "yes"; the engine
        # then emits SectionCompleted with the next version, which is what gets delivered.

    async def _session(self, contact: str) -> tuple[str | None, Session | None]:
        address = await self._store.address_of(contact)
        return address, (await self._store.load(address) if address else None)

    async def _on_section(self, entry: OutboxEntry, event: SectionCompleted, at: datetime) -> None:
        _, session = await self._session(entry.contact)
        snapshot = snapshot_from_event(event.section, event.version, event.answers, at, session)
        await self.records.save_snapshot(entry.contact, snapshot)
        state = await self.records.latest_consent(entry.contact)
        await self._schedule_section(entry.contact, snapshot, state)

    async def _on_consent(self, entry: OutboxEntry, event: ConsentChanged, at: datetime) -> None:
        previous = await self.records.latest_consent(entry.contact)
        if self._is_new(entry, previous):
            _, session = await self._session(entry.contact)
            answers = {r.key: None if r.skipped else r.value for r in event.answers}
            state = derive(
                answers,
                previous=previous,
                at=at,
                source=entry.entry_id,
                organizations=self._organizations(session),
                baby_date=baby_date(session),
                text_version=self._text_version,
            )
            await self._append(entry.contact, state)
        else:
            state = previous
        # Sections finished before this consent go out now to whoever it newly allows.
        for snapshot in (await self.records.snapshots(entry.contact)).values():
            await self._schedule_section(entry.contact, snapshot, state)

    async def _on_consent_answer(
        self, entry: OutboxEntry, event: AnswerChanged, at: datetime
    ) -> None:
        """STOP SHARING, or a consent answer changed: take permission away at once."""
        if event.key not in CONSENT_STEPS:
            return
        previous = await self.records.latest_consent(entry.contact)
        if not self._is_new(entry, previous):
            return
        state = narrow(previous, event.key, event.new, at=at, source=entry.entry_id)
        if state is not None:
            await self._append(entry.contact, state)

    def _is_new(self, entry: OutboxEntry, state: ConsentState) -> bool:
        """False for an entry already applied (or older than what was): a retry is a no-op."""
        return not state.source or _entry_key(entry.entry_id) > _entry_key(state.source)

    async def _append(self, contact: str, state: ConsentState) -> None:
        if not await self.records.append_consent(contact, state):
            raise _Retry("another reader appended a consent version meanwhile")

    def _organizations(self, session: Session | None) -> tuple[str, ...]:
        code = session.plan.answer("onboarding", "zip") if session else None
        if not isinstance(code, str):
            return ()
        info = zip_info(code)
        return self.directory.organizations_for(code, info.state if info else None)

    async def _schedule_section(
        self, contact: str, snapshot: SectionSnapshot, state: ConsentState
    ) -> None:
        now = self._now()
        for endpoint in consented_recipients(
            snapshot.section, state, self.directory, now
        ).endpoints:
            wid = webhook_id(contact, snapshot.section, snapshot.version, endpoint.id)
            job = Job(
                wid,
                contact,
                SECTION_EVENT,
                endpoint.id,
                self._clock(),
                section=snapshot.section,
                version=snapshot.version,
            )
            await self.records.create_job(job, self._clock() * 1000)

    async def _on_alert(
        self, entry: OutboxEntry, kind: str, detail: Mapping[str, Any], at: datetime
    ) -> None:
        """plan.crisis / plan.handoff_requested to the on-call role, whatever section consent."""
        address, session = await self._session(entry.contact)
        state = await self.records.latest_consent(entry.contact)
        organizations = consent_organizations(state) or self._organizations(session)
        endpoints = on_call_endpoints(self.directory, organizations, kind)
        if not endpoints:
            log.error("no on-call endpoint for %s (organizations %s)", kind, organizations)
            return
        body = alert_body(
            kind,
            plan_id_of(entry.contact),
            at=at,
            session=session,
            address=address,
            detail=detail,
            names=self.names,
        )
        for endpoint in endpoints:
            wid = webhook_id(entry.contact, kind, entry.entry_id, endpoint.id)
            job = Job(wid, entry.contact, kind, endpoint.id, self._clock(), body=body)
            await self.records.create_job(job, self._clock() * 1000)

    # ---- sending ------------------------------------------------------------------------

    async def send_due(self) -> int:
        """Post every due job (leased first, so two workers never post the same one at once)."""
        now_ms = self._clock() * 1000
        due = await self.records.claim_due(
            now_ms, self.config.lease_s * 1000, self.config.concurrency
        )
        if due:
            await asyncio.gather(*(self._send(contact, wid) for contact, wid in due))
        return len(due)

    async def _send(self, contact: str, wid: str) -> None:
        try:
            await self._send_job(contact, wid)
        except _TRANSIENT as exc:
            # The lease runs out and the job comes round again; no try was used up.
            log.warning("delivery %s deferred: %s", wid, type(exc).__name__)
        except Exception:
            log.exception("delivery %s failed", wid)
            job = await self.records.load_job(contact, wid)
            if job is not None and job.status == "pending":
                endpoint = self.directory.endpoint_by_id.get(job.endpoint)
                await self._failed(job, endpoint, "error in Safe Start", job.attempts + 1)

    async def _send_job(self, contact: str, wid: str) -> None:
        job = await self.records.load_job(contact, wid)
        if job is None or job.status != "pending":
            await self.records.drop_due(f"{contact}|{wid}")  # expired, or finished earlier
            return
        endpoint = self.directory.endpoint_by_id.get(job.endpoint)
        if endpoint is None or not endpoint.subscribes(job.kind):
            await self._finish(job, endpoint, "withheld", "endpoint no longer in the directory")
            return
        body = await self._body_for(job, endpoint)
        if body is None:
            return
        ok, result = await self._post(endpoint, job.webhook_id, encode_body(body))
        attempt = job.attempts + 1
        await self._audit(job, endpoint, "deliver", result, attempt)
        if ok:
            await self.records.finish_job(job, "delivered", result)
        else:
            await self._failed(job, endpoint, result, attempt)

    async def _failed(self, job: Job, endpoint: Endpoint | None, result: str, attempt: int) -> None:
        """Try again after a backoff, or park the job once it has used all its tries."""
        if attempt >= self.config.max_attempts:
            await self.records.park_job(job, attempt, self._clock() * 1000, result)
            await self._audit(job, endpoint, "park", result, attempt)
            log.warning(
                "delivery %s to %s parked after %d tries", job.webhook_id, job.endpoint, attempt
            )
        else:
            wait = backoff_s(attempt, self.config, self._jitter)
            await self.records.reschedule_job(job, attempt, (self._clock() + wait) * 1000, result)

    async def _body_for(self, job: Job, endpoint: Endpoint) -> Mapping[str, Any] | None:
        """The body to send now, or None when consent or a newer version says not to."""
        if job.kind != SECTION_EVENT:
            return job.body
        assert job.section is not None
        now = self._now()
        state = await self.records.latest_consent(job.contact)
        roles = self.directory.endpoint_roles(endpoint)
        # Consent is checked at the moment of sending: a revocation stops even a retry.
        if not permits_for(job.section, state, roles, endpoint.organization, now):
            await self._finish(job, endpoint, "withheld", "no consent")
            return None
        snapshot = await self.records.snapshot(job.contact, job.section)
        if snapshot is None:
            await self._finish(job, endpoint, "withheld", "section not found")
            return None
        if job.version is not None and snapshot.version > job.version:
            await self._finish(job, endpoint, "superseded", f"version {snapshot.version} exists")
            return None
        private = allows_private(job.section, state, roles, endpoint.organization, now)
        return section_body(
            plan_id_of(job.contact), snapshot, self.flows, include_private=private, names=self.names
        )

    async def _finish(self, job: Job, endpoint: Endpoint | None, status: str, result: str) -> None:
        await self.records.finish_job(job, status, result)
        await self._audit(job, endpoint, status, result, None)

    async def _post(self, endpoint: Endpoint, wid: str, payload: str) -> tuple[bool, str]:
        # Signed with the wall clock, never the scheduling clock: receivers compare the
        # timestamp with their own time and refuse anything five minutes off.
        stamp = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": wid,
            "webhook-timestamp": str(int(stamp.timestamp())),
            "webhook-signature": self._signers[endpoint.id].sign(wid, stamp, payload),
        }
        try:
            response = await self._http.post(
                endpoint.url,
                content=payload.encode(),
                headers=headers,
                timeout=endpoint.timeout_s,
            )
        except httpx.HTTPError as exc:
            return False, type(exc).__name__
        # 409 Conflict: the receiver already holds this webhook-id (it dedupes on it), so a
        # resend after a lost answer is delivered, not a failure to retry until parked.
        delivered = response.is_success or response.status_code == HTTPStatus.CONFLICT
        return delivered, str(response.status_code)

    async def _audit(
        self, job: Job, endpoint: Endpoint | None, action: str, result: str, attempt: int | None
    ) -> None:
        what = f"{job.section} v{job.version}" if job.kind == SECTION_EVENT else job.kind
        entry = AuditEntry(
            at=self._now(),
            actor=job.endpoint,
            organization=endpoint.organization if endpoint else "",
            action=action,
            what=what,
            result=result,
            webhook_id=job.webhook_id,
            attempt=attempt,
        )
        await self.records.audit(job.contact, entry)

    # ---- operators ----------------------------------------------------------------------

    async def retry_parked(self, wid: str | None = None) -> int:
        """Put parked jobs (one, or all) back in the schedule with a fresh count of tries."""
        count = 0
        for job in await self.records.parked_jobs():
            if wid is not None and job.webhook_id != wid:
                continue
            await self.records.unpark_job(job, self._clock() * 1000)
            endpoint = self.directory.endpoint_by_id.get(job.endpoint)
            await self._audit(job, endpoint, "retry", "back in the schedule", None)
            count += 1
        return count

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)


async def drain(
    worker: DeliveryWorker,
    *,
    until: Callable[[], Awaitable[bool]] | None = None,
    rounds: int = 1000,
) -> int:
    """Step until nothing is left to do now (or `until` holds); for tests, the bench and CLI."""
    total = 0
    for _ in range(rounds):
        worked = await worker.step()
        total += worked
        if until is not None and await until():
            return total
        if not worked:
            return total
    return total
