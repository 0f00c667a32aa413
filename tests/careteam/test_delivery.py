"""Delivery end to end: the real engine and store fill the outbox; the worker posts to it."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from standardwebhooks.webhooks import Webhook

from bot.careteam.consent import end_of_day
from bot.careteam.delivery import drain
from bot.careteam.payload import plan_id_of
from bot.careteam.records import CareRecords
from bot.engine.events import CantReach
from bot.engine.session import Session
from tests.careteam.conftest import (
    LARAMIE,
    MEDICAL,
    SOCIAL_WORKER,
    TREATMENT,
    Credentials,
    FakeClock,
    Parent,
    ParentFactory,
    WorkerFactory,
    change_basic_needs,
    contact_of,
    share,
)
from tests.fakes.receiver import Receiver
from tests.timed import scheduled_tries
from tests.waiting import eventually

pytestmark = pytest.mark.anyio


def delivered(receiver: Receiver, p: Parent | None = None) -> set[tuple[str, str]]:
    """(endpoint, section) pairs a deduping receiver acted on, for one parent or all."""
    plan = plan_id_of(contact_of(p)) if p else None
    return {
        (r.endpoint, r.body["section"]["key"])
        for r in receiver.processed()
        if r.body["type"] == "plan.section.completed"
        and (plan is None or r.body["plan_id"] == plan)
    }


def answer_keys(receiver: Receiver, p: Parent, section: str) -> set[str]:
    """The answer keys one parent's `section` delivery carried."""
    plan = plan_id_of(contact_of(p))
    body = next(
        r.body
        for r in receiver.processed()
        if r.body["plan_id"] == plan and r.body["section"]["key"] == section
    )
    return {a["key"] for a in body["section"]["answers"]}


async def test_a_section_reaches_only_the_endpoints_consented_for_it(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver, records: CareRecords
) -> None:
    """Basic needs to the social worker, health to the nurse: both reach Hartford's record
    system in the DESIGN.md body; the five unconsented sections reach no one."""
    hartford = parent()
    await hartford.finish_plan(share(share_basic_needs=SOCIAL_WORKER, share_health=MEDICAL))
    await drain(make_worker())

    assert delivered(receiver) == {("hope_ehr", "basic_needs"), ("hope_ehr", "health")}
    got = next(r for r in receiver.processed() if r.body["section"]["key"] == "basic_needs")
    body = got.body
    assert set(body) == {"type", "plan_id", "section", "parent", "locale", "notice"}
    assert body["plan_id"] == plan_id_of(contact_of(hartford))
    assert set(body["section"]) == {"key", "title", "version", "completed_at", "answers"}
    assert (body["section"]["title"], body["section"]["version"]) == ("Basic needs", 1)
    first = body["section"]["answers"][0]
    assert first == {
        "key": "housing_now",
        "question": first["question"],
        "answer": "Yes, a steady place",
        "value": "stable",
    }
    assert "42 CFR Part 2" in body["notice"]
    assert body["parent"]["name"] == "Sam"
    assert hartford.address not in got.raw.decode()  # no consent covers the phone number
    audit = await records.audit_log(contact_of(hartford))
    assert sorted((a.actor, a.action, a.what, a.result) for a in audit) == [
        ("hope_ehr", "deliver", "basic_needs v1", "200"),
        ("hope_ehr", "deliver", "health v1", "200"),
    ]


async def test_a_recipient_of_another_organization_gets_nothing(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver
) -> None:
    """Both parents share Basic needs with "the social worker": each reaches only the social
    worker of the organization serving their own ZIP code."""
    hartford, laramie = parent(), parent(LARAMIE)
    await hartford.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    await laramie.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    await drain(make_worker())

    assert delivered(receiver, hartford) == {("hope_ehr", "basic_needs")}
    assert delivered(receiver, laramie) == {("laramie_ehr", "basic_needs")}


async def test_recovery_needs_its_own_yes_and_private_safety_answers_theirs(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver
) -> None:
    """Recovery goes only after all three yeses, and only to the role picked for it; the
    feel-safe answer rides with Safety at home only after its own yes."""
    asked = {"share_recovery_ok": "yes", "share_recovery": TREATMENT, "recovery_terms": "yes"}
    declined = parent()
    await declined.finish_plan(
        share(**asked, recovery_consent="no", share_safety=SOCIAL_WORKER, share_safety_private="no")
    )
    agreed = parent()
    await agreed.finish_plan(
        share(
            **asked, recovery_consent="yes", share_safety=SOCIAL_WORKER, share_safety_private="yes"
        )
    )
    await drain(make_worker())

    assert delivered(receiver, declined) == {("hope_ehr", "safety")}
    assert delivered(receiver, agreed) == {("hope_tx", "recovery"), ("hope_ehr", "safety")}

    assert "feel_safe" not in answer_keys(receiver, declined, "safety")  # absent, not blanked
    assert "feel_safe" in answer_keys(receiver, agreed, "safety")


async def test_stop_sharing_stops_the_very_next_delivery(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver, records: CareRecords
) -> None:
    """After STOP SHARING a changed section (version 2) goes to no one."""
    p = parent()
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    worker = make_worker()
    await drain(worker)
    assert delivered(receiver, p) == {("hope_ehr", "basic_needs")}

    await p.say("stop sharing")
    await change_basic_needs(p)
    await drain(worker)

    versions = [r.body["section"]["version"] for r in receiver.processed()]
    assert versions == [1]
    consent = await records.latest_consent(contact_of(p))
    assert consent.cause == "revoked" or not consent.active_records(p.now)
    assert all(r.revoked_at is not None for r in consent.records)


async def test_a_revocation_also_stops_a_delivery_waiting_for_a_retry(
    parent: ParentFactory,
    make_worker: WorkerFactory,
    receiver: Receiver,
    records: CareRecords,
    clock: FakeClock,
) -> None:
    """Consent is checked again at every try: a queued retry after STOP SHARING is withheld."""
    p = parent()
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    receiver.down = True
    worker = make_worker()
    await drain(worker)
    await p.say("stop sharing")
    receiver.down = False
    clock.advance(3600)
    await drain(worker)

    assert receiver.processed() == []
    actions = [(a.action, a.result) for a in await records.audit_log(contact_of(p))]
    assert actions == [("deliver", "503"), ("withheld", "no consent")]


async def test_the_receiver_rejects_a_tampered_or_replayed_body(
    parent: ParentFactory,
    make_worker: WorkerFactory,
    receiver: Receiver,
    credentials: Credentials,
) -> None:
    """Signatures are checked with standardwebhooks: changed bytes, an old timestamp, a
    foreign secret and an exact replay are all refused; a fresh retry is a mere duplicate."""
    p = parent()
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    await drain(make_worker())
    (got,) = receiver.processed()
    url = receiver.url("hope_ehr")
    secret = credentials.secrets["hope_ehr"]

    def signed(body: bytes, *, at: datetime, key: str = secret) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "webhook-id": got.webhook_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(key).sign(got.webhook_id, at, body.decode()),
        }

    tampered = got.raw.replace(b'"version":1', b'"version":9')
    # The receiver checks timestamps on the machine's clock (standardwebhooks); the worker
    # signed this delivery with it a moment ago: "now" is that signing instant.
    now = datetime.fromtimestamp(int(got.headers["webhook-timestamp"]), UTC)
    async with httpx.AsyncClient() as client:
        changed = await client.post(url, content=tampered, headers=got.headers)
        replayed = await client.post(url, content=got.raw, headers=got.headers)
        stale = await client.post(
            url, content=got.raw, headers=signed(got.raw, at=now - timedelta(minutes=10))
        )
        foreign = await client.post(
            url,
            content=got.raw,
            headers=signed(got.raw, at=now, key=credentials.secrets["hope_tx"]),
        )
        # A sender's retry is signed afresh (a later second than the first try).
        later = now + timedelta(seconds=2)
        retried = await client.post(url, content=got.raw, headers=signed(got.raw, at=later))

    assert [changed.status_code, replayed.status_code, stale.status_code] == [400, 409, 400]
    assert foreign.status_code == 400
    assert (retried.status_code, retried.json()["duplicate"]) == (200, True)
    assert len(receiver.processed()) == 1


async def test_a_killed_worker_and_an_hour_long_outage_lose_nothing(
    parent: ParentFactory,
    make_worker: WorkerFactory,
    receiver: Receiver,
    clock: FakeClock,
) -> None:
    """Kill the worker mid-post, keep the receiver down an hour, bring it back: every
    consented section arrives, none is lost, and repeats carry the same webhook-id."""
    parents = [parent() for _ in range(3)]
    for p in parents:
        await p.finish_plan(
            share(share_basic_needs=SOCIAL_WORKER, share_health="1, 3", share_baby=MEDICAL)
        )
    receiver.delay_s = 0.05
    first = make_worker(batch=5)
    task = asyncio.create_task(first.run())
    while not receiver.arrived.is_set():
        await asyncio.sleep(0.002)
    task.cancel()  # mid-post: the request is in flight
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(200):  # the receiver still takes the post the worker never saw answered
        if receiver.all_received():
            break
        await asyncio.sleep(0.005)
    receiver.delay_s = 0.0
    receiver.down = True

    # The killed worker's tries are taken over once idle for the lease: Redis's own clock
    # (a consumer group's idle time), not the test's, so a short one here.
    second = make_worker(consumer="worker-2", lease_s=0.05)
    for _ in range(60):  # one hour down, a minute at a time
        await drain(second)
        clock.advance(60)
    receiver.down = False
    for _ in range(60):
        await drain(second)
        clock.advance(120)

    expected = {
        (endpoint, section)
        for endpoint, section in [
            ("hope_ehr", "basic_needs"),
            ("hope_ehr", "health"),
            ("hope_tx", "health"),
            ("hope_ehr", "baby"),
        ]
    }
    for p in parents:
        assert delivered(receiver, p) == expected
    bodies: dict[str, str] = {}
    for got in receiver.all_received():
        assert bodies.setdefault(got.webhook_id, got.raw.decode()) == got.raw.decode()
    sections = [r for r in receiver.processed() if r.body["type"] == "plan.section.completed"]
    assert len(sections) == len(parents) * len(expected)
    # A post cut off by the kill may be taken by the receiver and sent again; whether it
    # is depends on where the cancel lands, so only its sameness is asserted (above).
    assert all(r.webhook_id in bodies for r in receiver.all_received() if r.duplicate)
    assert await first.records.store.parked_jobs() == []


async def test_entries_left_by_a_dead_reader_are_taken_over(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver, redis: Redis
) -> None:
    """A reader that dies holding unacknowledged outbox entries (and its lease) is replaced:
    the next reader claims them with XAUTOCLAIM and nothing is lost or applied twice."""
    p = parent()
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER, share_safety=SOCIAL_WORKER))
    dying = make_worker(leader_ttl_ms=50)
    applied = 0
    real_apply = dying.apply

    async def apply_then_die(entry: object) -> None:
        nonlocal applied
        applied += 1
        if applied == 3:
            raise asyncio.CancelledError  # the process is gone; nothing after this runs
        await real_apply(entry)  # type: ignore[arg-type]

    dying.apply = apply_then_die  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await dying.consume()

    async def lease_ran_out() -> bool:  # on Redis's clock (PX)
        return not await redis.exists(dying.records.store.keys.leader)

    await eventually(lease_ran_out, what="the dead reader's lease to run out")

    await drain(make_worker(consumer="worker-2"))
    assert delivered(receiver, p) == {("hope_ehr", "basic_needs"), ("hope_ehr", "safety")}
    assert len(receiver.all_received()) == 2


async def test_a_delivery_is_parked_after_its_tries_and_can_be_retried(
    parent: ParentFactory,
    make_worker: WorkerFactory,
    receiver: Receiver,
    records: CareRecords,
    clock: FakeClock,
) -> None:
    """After max_attempts failures the job is parked (and audited); retry puts it back."""
    p = parent()
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    receiver.down = True
    worker = make_worker(max_attempts=3)
    for _ in range(10):
        await drain(worker)
        clock.advance(3600)
    (job,) = await records.store.parked_jobs()
    assert (job.status, job.attempts, job.last_result) == ("parked", 3, "503")

    receiver.down = False
    assert await worker.retry_parked(job.webhook_id) == 1
    await drain(worker)
    assert delivered(receiver, p) == {("hope_ehr", "basic_needs")}
    assert receiver.processed()[0].webhook_id == job.webhook_id
    actions = [a.action for a in await records.audit_log(contact_of(p))]
    assert actions == ["deliver", "deliver", "deliver", "park", "retry", "deliver"]


async def test_crisis_and_talk_reach_the_on_call_role_whatever_the_consent(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver
) -> None:
    """plan.crisis and plan.handoff_requested go to the on-call endpoint of the parent's
    organization even with nothing shared, carrying name and phone and no answers."""
    p = parent()
    await p.finish_plan(share())
    await p.say("I want to die")
    await p.say("talk")
    early = parent()
    await early.say("hi")
    await early.say("overdose")  # before any ZIP code: the program's fallback on-call
    await drain(make_worker())

    alerts = [r for r in receiver.processed() if r.body["type"] != "plan.section.completed"]
    seen = sorted((r.endpoint, r.body["type"], r.body["plan_id"]) for r in alerts)
    plan, early_plan = plan_id_of(contact_of(p)), plan_id_of(contact_of(early))
    assert seen == sorted(
        [
            ("hope_on_call", "plan.crisis", plan),
            ("hope_on_call", "plan.handoff_requested", plan),
            ("hope_on_call", "plan.crisis", early_plan),
        ]
    )
    crisis = next(
        r.body for r in alerts if r.body["plan_id"] == plan and r.body["type"] == "plan.crisis"
    )
    assert crisis["kind"] == "suicide"
    assert crisis["contact"] == {"phone": p.address}
    assert crisis["parent"] == {"name": "Sam"}
    assert "section" not in crisis
    assert "answers" not in str(crisis)
    assert delivered(receiver) == set()


async def test_after_stop_a_crisis_still_reaches_on_call_and_relapse_only_on_yes(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver
) -> None:
    """A parent who texted STOP and then a crisis text: plan.crisis reaches on-call. A
    relapse reaches no one until the parent says yes, and then only as a request for a
    person, with no word of why (substance use is Part 2 information)."""
    stopped = parent()
    await stopped.finish_plan(share())
    await stopped.say("STOP")
    await stopped.say("i want to kms")
    slipped = parent()
    await slipped.finish_plan(share())
    await slipped.say("i relapsed last night")
    await drain(make_worker())
    alerts = [r.body for r in receiver.processed() if r.body["type"] != "plan.section.completed"]
    assert [(a["type"], a["plan_id"], a["kind"]) for a in alerts] == [
        ("plan.crisis", plan_id_of(contact_of(stopped)), "suicide")
    ]
    await slipped.say("yes")
    await drain(make_worker())
    alerts = [r.body for r in receiver.processed() if r.body["type"] == "plan.handoff_requested"]
    assert [(a["plan_id"], a["reason"]) for a in alerts] == [
        (plan_id_of(contact_of(slipped)), "parent_asked")
    ]
    assert "relaps" not in str(alerts)


async def test_two_workers_never_post_the_same_job_at_once(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver
) -> None:
    """Sending is leased per job: two workers stepping together deliver each section once."""
    p = parent()
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER, share_health=SOCIAL_WORKER))
    one, two = make_worker(), make_worker(consumer="worker-2")
    await drain(one, rounds=1)  # the reader: jobs are now scheduled
    await asyncio.gather(drain(one), drain(two))
    assert len(receiver.all_received()) == 2


async def test_cant_reach_goes_to_the_on_call_role_with_name_and_phone_only(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver
) -> None:
    """CantReach (appended by the reminders side) becomes plan.cant_reach for the on-call
    endpoint of the parent's organization, with how often texts failed, whatever the consent."""
    p = parent()
    await p.finish_plan(share())

    def cant_reach(session: Session) -> tuple[Session, list[str], list[Any]]:
        return session, [], [CantReach(failures=4, days=3)]

    await p.store.transact(p.address, None, cant_reach)
    await drain(make_worker())

    (alert,) = [r for r in receiver.processed() if r.body["type"] == "plan.cant_reach"]
    assert alert.endpoint == "hope_on_call"
    body = alert.body
    assert (body["failures"], body["days"]) == (4, 3)
    assert body["contact"] == {"phone": p.address}
    assert body["parent"] == {"name": "Sam"}
    assert "section" not in body
    assert delivered(receiver) == set()


async def test_a_yes_to_a_private_check_in_reaches_on_call_without_the_answers_behind_it(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver
) -> None:
    """ "Not always safe at home", YES to someone reaching out privately; "really struggling",
    YES to a check-in; then nothing shared at all. The requests reach the on-call endpoint,
    signed, with name and phone, and none of the answers that led to them: paged once, as
    on-call is paged once per parent per window."""
    p = parent()
    session = await p.finish_plan(
        share(feel_safe="2", safe_contact="yes", mood="4", mood_check_in="yes")
    )
    assert session.plan.answers["safety"]["feel_safe"] == "not_always"
    assert session.plan.answers["recovery"]["mood"] == "struggling"
    await drain(make_worker())

    alerts = [r for r in receiver.processed() if r.body["type"] == "plan.handoff_requested"]
    assert [(r.endpoint, r.body["reason"]) for r in alerts] == [
        ("hope_on_call", "private_check_in"),
    ]
    body = alerts[0].body
    assert set(body) == {"type", "plan_id", "at", "reason", "parent", "contact", "locale", "notice"}
    assert body["contact"] == {"phone": p.address}
    assert body["parent"] == {"name": "Sam"}
    said = " ".join(r.raw.decode().replace(r.body["notice"], "") for r in alerts).lower()
    for word in ("safe", "not always", "struggling", "down", "mood", "feel", "recovery", "step"):
        assert word not in said, word
    assert delivered(receiver) == set()  # no part was shared
    assert "private_help" in session.plan.flags


async def test_on_call_is_paged_once_per_parent_per_window(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver
) -> None:
    """TALK three times and suicide words twice in a few minutes: one handoff page and one
    crisis page for this parent; another parent is paged for their own request. With the
    window off (0), every request pages."""
    p, other = parent(), parent()
    await p.finish_plan(share())
    for text in ("talk", "talk", "I want to die", "talk", "i want to kill myself"):
        await p.say(text)
    await other.finish_plan(share())
    await other.say("talk")
    await drain(make_worker())
    pages = sorted(
        (r.body["plan_id"], r.body["type"])
        for r in receiver.processed()
        if r.body["type"] != "plan.section.completed"
    )
    plan, other_plan = plan_id_of(contact_of(p)), plan_id_of(contact_of(other))
    assert pages == sorted(
        [
            (plan, "plan.handoff_requested"),
            (plan, "plan.crisis"),
            (other_plan, "plan.handoff_requested"),
        ]
    )
    every = parent()
    await every.finish_plan(share())
    await every.say("talk")
    await every.say("talk")
    receiver.reset()
    await drain(make_worker(page_once_s=0))
    assert [r.body["type"] for r in receiver.processed()].count("plan.handoff_requested") == 2


async def test_a_crisis_page_cut_off_before_its_jobs_still_reaches_on_call_once(
    parent: ParentFactory,
    make_worker: WorkerFactory,
    receiver: Receiver,
    records: CareRecords,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The router took the page slot for a crisis, then Redis went away before the alert's
    job existed (as when the process dies there): the entry, read again, still pages, since
    the slot is held by that same entry; once, and a second crisis text still does not."""
    p = parent()
    await p.finish_plan(share())
    await p.say("I want to die")
    create_job = records.store.create_job
    cut: list[str] = []

    async def cut_off_once(job: Any, due_ms: float) -> bool:
        if job.kind == "plan.crisis" and not cut:
            cut.append(job.webhook_id)
            raise RedisConnectionError("gone between the page slot and the job")
        return await create_job(job, due_ms)

    monkeypatch.setattr(records.store, "create_job", cut_off_once)
    await drain(make_worker())
    assert cut  # the crisis entry was cut off once, then read again (pending, not acked)
    await p.say("i want to kill myself")
    await drain(make_worker())
    crisis = [r for r in receiver.processed() if r.body["type"] == "plan.crisis"]
    assert [r.body["plan_id"] for r in crisis] == [plan_id_of(contact_of(p))]


async def test_what_hospital_staff_may_know_about_recovery_goes_only_under_part_2(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver
) -> None:
    """Birth's answer on what staff may know about recovery is Part 2 material: a Birth
    recipient gets it only when the parent gave the recovery part's three yeses to them."""
    asked = {"share_recovery_ok": "yes", "share_recovery": SOCIAL_WORKER, "recovery_terms": "yes"}
    birth_only = parent()
    await birth_only.finish_plan(share(share_birth=SOCIAL_WORKER))
    declined = parent()
    await declined.finish_plan(share(**asked, recovery_consent="no", share_birth=SOCIAL_WORKER))
    agreed = parent()
    await agreed.finish_plan(share(**asked, recovery_consent="yes", share_birth=SOCIAL_WORKER))
    await drain(make_worker())

    assert "sleep_space" in answer_keys(receiver, birth_only, "birth")
    assert "staff_know" not in answer_keys(receiver, birth_only, "birth")
    assert "staff_know" not in answer_keys(receiver, declined, "birth")
    assert "staff_know" in answer_keys(receiver, agreed, "birth")


async def test_a_receiver_outage_shows_in_the_metrics_and_the_log(
    parent: ParentFactory,
    make_worker: WorkerFactory,
    receiver: Receiver,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    redis: Redis,
    prefix: str,
) -> None:
    """Each failed post is counted and logged (ids only) with its next try, a scheduler job
    (the pending gauge counts tries due and not yet done); parking is an ERROR and shows in
    the parked gauge until retried."""
    p = parent()
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    receiver.down = True
    worker = make_worker(max_attempts=3)
    registry = worker.sender.metrics.registry
    caplog.set_level(logging.INFO, logger="bot.careteam.delivery")

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    await drain(worker)
    await worker.sender.refresh_gauges()
    assert value("safestart_careteam_delivery_attempts_total", endpoint="hope_ehr") == 1
    failed = {"endpoint": "hope_ehr", "result": "failed"}
    assert value("safestart_careteam_deliveries_total", **failed) == 1
    assert value("safestart_careteam_delivery_retries_total", endpoint="hope_ehr") == 1
    assert value("safestart_careteam_deliveries_pending") == 0  # none due now
    assert len(await scheduled_tries(redis, prefix)) == 1  # the retry waits for its time
    assert value("safestart_careteam_deliveries_parked") == 0
    (retry,) = [r for r in caplog.records if getattr(r, "event", None) == "delivery_retry"]
    assert retry.levelno == logging.WARNING
    assert "503" in retry.getMessage()
    assert p.address not in retry.getMessage()

    for _ in range(5):
        clock.advance(3600)
        await drain(worker)
    await worker.sender.refresh_gauges()
    assert value("safestart_careteam_deliveries_total", **failed) == 3
    parked = {"endpoint": "hope_ehr", "result": "parked"}
    assert value("safestart_careteam_deliveries_total", **parked) == 1
    assert value("safestart_careteam_deliveries_pending") == 0
    assert value("safestart_careteam_deliveries_parked") == 1
    (notice,) = [r for r in caplog.records if getattr(r, "event", None) == "delivery_parked"]
    assert notice.levelno == logging.ERROR

    receiver.down = False
    assert await worker.retry_parked() == 1
    await drain(worker)
    await worker.sender.refresh_gauges()
    delivered_ok = {"endpoint": "hope_ehr", "result": "delivered"}
    assert value("safestart_careteam_deliveries_total", **delivered_ok) == 1
    assert value("safestart_careteam_deliveries_parked") == 0


async def reply_to_a_reminder(p: Parent, reply: str) -> None:
    """A visit reminder waits (sent now, for tomorrow); the parent answers it."""

    def remind(session: Session) -> tuple[Session, list[str], list[Any]]:
        when = p.now + timedelta(days=1)
        return p.engine.note_reminder(session, "appt-1", "visit", when, p.now), [], []

    await p.store.transact(p.address, None, remind)
    await p.say(reply)


async def test_a_ride_or_reschedule_reply_reaches_on_call_with_the_request_only(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver
) -> None:
    """RIDE and R answer a reminder with "we'll let your team know": each becomes a signed
    plan.handoff_requested for the on-call endpoint naming the request (no section answers,
    nothing shared), and a dashboard flag. Paging off (0) so both requests page."""
    p = parent()
    await p.finish_plan(share())
    for reply in ("ride", "r"):
        await reply_to_a_reminder(p, reply)
    await drain(make_worker(page_once_s=0))

    alerts = [r for r in receiver.processed() if r.body["type"] == "plan.handoff_requested"]
    # Both come due at the same worker instant: their order between them is not promised.
    assert sorted((r.endpoint, r.body["reason"]) for r in alerts) == [
        ("hope_on_call", "reschedule"),
        ("hope_on_call", "ride"),
    ]
    assert all("section" not in r.body and "answers" not in r.body for r in alerts)
    assert delivered(receiver) == set()
    session = await p.session()
    assert {"ride", "reschedule"} <= set(session.plan.flags)


async def test_consent_ends_with_the_parents_own_day(
    parent: ParentFactory, make_worker: WorkerFactory, records: CareRecords
) -> None:
    """The worker dates consent on the parent's calendar (their ZIP code's zone): it ends at
    midnight in Hartford, not at midnight UTC (19:00 or 20:00 the evening before there)."""
    p = parent()
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    await drain(make_worker())
    consent = await records.latest_consent(contact_of(p))
    [record] = consent.records
    assert record.ends_at == end_of_day(record.expires_on, ZoneInfo("America/New_York"))
    assert record.active(record.ends_at - timedelta(seconds=1))
    assert not record.active(record.ends_at)


async def test_a_new_request_or_crisis_kind_pages_within_the_window(
    parent: ParentFactory, make_worker: WorkerFactory, receiver: Receiver
) -> None:
    """The page limit is per request: TALK, then RIDE and R to a reminder, each promised
    "we'll let your team know", page on-call with the default window; a second TALK does
    not. Suicide words, then an overdose: both crisis kinds page."""
    p = parent()
    await p.finish_plan(share())
    await p.say("talk")
    for reply in ("ride", "r"):
        await reply_to_a_reminder(p, reply)
    await p.say("talk")
    await p.say("i want to die")
    await p.say("my boyfriend overdosed")
    await drain(make_worker())

    alerts = [r.body for r in receiver.processed() if r.body["type"] != "plan.section.completed"]
    handoffs = sorted(b["reason"] for b in alerts if b["type"] == "plan.handoff_requested")
    assert handoffs == ["parent_asked", "reschedule", "ride"]
    crises = sorted(b["kind"] for b in alerts if b["type"] == "plan.crisis")
    assert crises == ["emergency", "suicide"]
