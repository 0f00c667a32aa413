"""The worker's sending half: due tries read from the scheduler's stream, consent checked
again, signed, posted.

Every process sends. The due stream's consumer group gives each try to one process, and one
left unacknowledged for the lease is taken over (timer.py), so two workers never post it at
once; consent is checked at the moment of sending, so a revocation stops even a retry; the
body is signed with Standard Webhooks under a webhook-id that is the same on every try, so
receivers dedupe; failures back off exponentially with jitter until the job is parked.
Every try, withholding and parking is audited.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from http import HTTPStatus
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from bot.careteam.access import access_for
from bot.careteam.delivery.base import TRANSIENT, Clock, DeliveryConfig, Jitter, backoff_s
from bot.careteam.delivery.timer import DeliveryTimer, Due
from bot.careteam.directory import NEED_EVENT, SECTION_EVENT, Directory, Endpoint
from bot.careteam.entries import AuditEntry, Job
from bot.careteam.needs import Reader, may_see
from bot.careteam.payload import Names, encode_body, plan_id_of, section_body
from bot.careteam.records import CareRecords
from bot.engine.loader import FlowSet
from bot.observability import Metrics
from bot.store.care_records import ERASED, after_token

log = logging.getLogger("bot.careteam.delivery")

USER_AGENT = "SafeStart-Webhooks/1"


@cache
def _tls() -> ssl.SSLContext:
    """httpx's default verification (certifi's CAs), built once per process: loading the CA
    file costs ~20 ms, paid at every start of the app otherwise (and of every test's)."""
    return httpx.create_ssl_context()


def new_client(config: DeliveryConfig) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        verify=_tls(),
        follow_redirects=False,  # a redirect must not carry a plan somewhere unreviewed
        limits=httpx.Limits(max_connections=config.concurrency),
        headers={"user-agent": USER_AGENT},
    )


class JobPoster:
    """Posts due care-team jobs to their receivers (not to be mistaken for the
    channels' `Sender`, which texts parents); see the module docstring."""

    def __init__(
        self,
        *,
        records: CareRecords,
        directory: Directory,
        flows: FlowSet,
        names: Names,
        config: DeliveryConfig,
        client: httpx.AsyncClient,
        clock: Clock,
        jitter: Jitter,
        timer: DeliveryTimer,
        metrics: Metrics | None = None,
    ) -> None:
        self.records = records
        self.jobs = records.store  # the delivery jobs
        self.timer = timer  # when they go
        self.metrics = metrics or Metrics()
        self._directory = directory
        self._flows = flows
        self._names = names
        self._config = config
        self._http = client
        self._clock = clock
        self._jitter = jitter
        self._signers = {e.id: Webhook(e.secret.get_secret_value()) for e in directory.endpoints}

    async def send_due(self) -> int:
        """Post every due try this process reads (a batch of `concurrency`); each entry is
        acknowledged once its job is finished or its next try planned. Returns how many."""
        due = await self.timer.take()
        if not due:
            return 0
        done = await asyncio.gather(*(self._send(one) for one in due))
        await self.timer.done(one.entry_id for one, ok in zip(due, done, strict=True) if ok)
        return sum(done)

    async def _send(self, due: Due) -> bool:
        """False: leave the entry pending (it comes round again after the lease)."""
        try:
            await self._send_job(due)
        except TRANSIENT as exc:
            # The entry stays pending and comes round again; no try was used up.
            log.warning("delivery %s deferred: %s", due.wid, type(exc).__name__)
            return False
        except Exception:
            log.exception("delivery %s failed", due.wid)
            job = await self.jobs.load_job(due.contact, due.wid)
            if job is not None and job.status == "pending" and job.due == due.token:
                endpoint = self._directory.endpoint_by_id.get(job.endpoint)
                await self._failed(job, endpoint, "error in Safe Start", job.attempts + 1)
        return True

    async def _send_job(self, due: Due) -> None:
        job = await self.jobs.load_job(due.contact, due.wid)
        if job is None or job.status != "pending" or job.due != due.token:
            # Expired, finished, or a try planned before the job's current one (an entry a
            # worker left unacknowledged after planning the next): plan the current one
            # again, in case that worker died before it could.
            if job is not None:
                await self.timer.plan_token(job)
            return
        endpoint = self._directory.endpoint_by_id.get(job.endpoint)
        if endpoint is None or not endpoint.subscribes(job.kind):
            await self._finish(job, endpoint, "withheld", "endpoint no longer in the directory")
            return
        body = await self._body_for(job, endpoint)
        if body is None:
            return
        self.metrics.careteam_attempts.labels(endpoint.id).inc()
        ok, result = await self._post(endpoint, job.webhook_id, encode_body(body))
        attempt = job.attempts + 1
        self.metrics.careteam_results.labels(endpoint.id, "delivered" if ok else "failed").inc()
        await self._audit(job, endpoint, "deliver", result, attempt)
        if not ok:
            await self._failed(job, endpoint, result, attempt)
        elif job.contact == ERASED:
            await self.jobs.forget_job(job)  # the notice is out: keep no plan id about
        else:
            await self.jobs.finish_job(job, "delivered", result)

    async def _failed(self, job: Job, endpoint: Endpoint | None, result: str, attempt: int) -> None:
        """Try again after a backoff, or park the job once it has used all its tries."""
        # Logged with ids only: the webhook id, the endpoint and the HTTP status or error class.
        fields = {"webhook_id": job.webhook_id, "endpoint": job.endpoint, "attempt": attempt}
        if attempt >= self._config.max_attempts:
            await self.jobs.park_job(job, attempt, self._clock() * 1000, result)
            await self._audit(job, endpoint, "park", result, attempt)
            self.metrics.careteam_results.labels(job.endpoint, "parked").inc()
            log.error(
                "delivery %s to %s parked after %d tries (last: %s); retry it with the CLI",
                job.webhook_id,
                job.endpoint,
                attempt,
                result,
                extra={"event": "delivery_parked", "result": result, **fields},
            )
        else:
            wait = backoff_s(attempt, self._config, self._jitter)
            due_ms = after_token(job, (self._clock() + wait) * 1000)
            # The token first: an entry of the new try never meets the old one.
            await self.jobs.reschedule_job(job, attempt, due_ms, result)
            await self.timer.plan(job.contact, job.webhook_id, due_ms)
            self.metrics.careteam_retries.labels(job.endpoint).inc()
            log.warning(
                "delivery %s to %s failed (try %d: %s); next try in %.0f s",
                job.webhook_id,
                job.endpoint,
                attempt,
                result,
                wait,
                extra={"event": "delivery_retry", "result": result, "wait_s": wait, **fields},
            )

    async def refresh_gauges(self) -> None:
        """Set the pending and parked gauges from Redis (at each /metrics scrape)."""
        self.metrics.careteam_pending.set(await self.timer.backlog())
        self.metrics.careteam_parked.set(await self.jobs.parked_count())

    async def _body_for(self, job: Job, endpoint: Endpoint) -> Mapping[str, Any] | None:
        """The body to send now, or None when consent or a newer version says not to."""
        if job.kind not in (SECTION_EVENT, NEED_EVENT):
            return job.body  # alerts and plan.deleted: no section consent governs them
        assert job.section is not None
        now = self._now()
        state = await self.records.latest_consent(job.contact)
        reader = Reader(self._directory.endpoint_roles(endpoint), endpoint.organization)
        # Consent is checked at the moment of sending: a revocation stops even a retry.
        if job.kind == NEED_EVENT:
            if not may_see((job.section, job.step or ""), self._flows, state, reader, now):
                await self._finish(job, endpoint, "withheld", "no consent")
                return None
            return job.body
        seen = access_for(state, reader.roles, reader.organization, now)
        if job.section not in seen.sections:
            await self._finish(job, endpoint, "withheld", "no consent")
            return None
        snapshot = await self.records.snapshot(job.contact, job.section)
        if snapshot is None:
            await self._finish(job, endpoint, "withheld", "section not found")
            return None
        if job.version is not None and snapshot.version > job.version:
            await self._finish(job, endpoint, "superseded", f"version {snapshot.version} exists")
            return None
        private = seen.includes_private(job.section)
        plan_id = plan_id_of(job.contact)
        return section_body(
            plan_id, snapshot, self._flows, include_private=private, names=self._names
        )

    async def _finish(self, job: Job, endpoint: Endpoint | None, status: str, result: str) -> None:
        if job.contact == ERASED:
            await self.jobs.forget_job(job)
        else:
            await self.jobs.finish_job(job, status, result)
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
        entry = AuditEntry(
            at=self._now(),
            actor=job.endpoint,
            organization=endpoint.organization if endpoint else "",
            action=action,
            what=_what(job),
            result=result,
            webhook_id=job.webhook_id,
            attempt=attempt,
        )
        await self.records.audit(job.contact, entry)

    # ---- operators ----------------------------------------------------------------------

    async def retry_parked(self, wid: str | None = None) -> int:
        """Put parked jobs (one, or all) back in the schedule with a fresh count of tries.
        A job stays listed as parked until its try is planned (store.unpark_job)."""
        count = 0
        for job in await self.jobs.parked_jobs():
            if wid is not None and job.webhook_id != wid:
                continue
            now_ms = after_token(job, self._clock() * 1000)
            await self.jobs.unpark_job(job, now_ms)
            await self.timer.plan(job.contact, job.webhook_id, now_ms)
            await self.jobs.drop_parked(job)
            endpoint = self._directory.endpoint_by_id.get(job.endpoint)
            await self._audit(job, endpoint, "retry", "back in the schedule", None)
            count += 1
        return count

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)


def _what(job: Job) -> str:
    """The audit's "what": section and version, a need's kind and version, or the type."""
    if job.kind == SECTION_EVENT:
        return f"{job.section} v{job.version}"
    if job.kind == NEED_EVENT and job.body is not None:
        return f"need {job.body['need']['kind']} v{job.version}"
    return job.kind
