"""The plan API: each bearer token sees only its owner's consented sections; every read audited."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from redis.asyncio import Redis

from bot.careteam.delivery import DeliveryConfig, drain
from bot.careteam.delivery.timer import TimedWork
from bot.careteam.directory import Directory
from bot.careteam.payload import plan_id_of
from bot.careteam.wiring import CareTeam, start_careteam, stop_careteam
from bot.engine.loader import FlowSet
from bot.errors import ConfigError
from bot.store.care_records_redis import RedisCareRecords
from bot.store.crypto import Cipher
from bot.store.redis_store import RedisConversationStore
from tests.careteam.conftest import (
    MEDICAL,
    SOCIAL_WORKER,
    TREATMENT,
    Credentials,
    Parent,
    ParentFactory,
    bearer,
    settings_for,
    share,
)
from tests.fakes.receiver import Receiver

pytestmark = pytest.mark.anyio

CONSENTS = share(
    share_basic_needs=SOCIAL_WORKER,
    share_health=MEDICAL,
    share_recovery_ok="yes",
    share_recovery=TREATMENT,
    recovery_terms="yes",
    recovery_consent="yes",
    share_safety=SOCIAL_WORKER,
    share_safety_private="yes",
)


async def finished(p: Parent, team: CareTeam) -> str:
    await p.finish_plan(CONSENTS)
    await drain(team.worker)
    return plan_id_of(p.store.keys_for(p.address).contact)


async def test_a_token_sees_only_what_its_owner_was_consented_for(
    careteam: tuple[httpx.AsyncClient, CareTeam], parent: ParentFactory, credentials: Credentials
) -> None:
    """Other sections are absent, not blanked; another organization's token sees no plan."""
    client, team = careteam
    plan_id = await finished(parent(), team)

    async def sections(token_id: str) -> list[str]:
        response = await client.get(
            f"/api/v1/plans/{plan_id}", headers=bearer(credentials, token_id)
        )
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert {c["section"] for c in body["consents"]} == {s["key"] for s in body["sections"]}
        assert "42 CFR Part 2" in body["notice"]
        return [s["key"] for s in body["sections"]]

    assert await sections("hope-sw") == ["basic_needs", "safety"]
    assert await sections("hope-nurse") == ["health"]
    assert await sections("hope-tx") == ["recovery"]
    assert await sections("hope-ehr") == ["basic_needs", "health", "safety"]

    other_org = await client.get(
        f"/api/v1/plans/{plan_id}", headers=bearer(credentials, "laramie-sw")
    )
    unknown = await client.get(f"/api/v1/plans/{'0' * 32}", headers=bearer(credentials, "hope-sw"))
    assert (other_org.status_code, unknown.status_code) == (404, 404)
    assert other_org.json() == unknown.json()  # the same answer: existence is not revealed


async def test_a_missing_or_wrong_token_is_refused(
    careteam: tuple[httpx.AsyncClient, CareTeam], credentials: Credentials
) -> None:
    client, _ = careteam
    url = f"/api/v1/plans/{'a' * 32}"
    assert (await client.get(url)).status_code == 401
    forged = credentials.tokens["hope-sw"][:-2] + "xx"
    response = await client.get(url, headers={"authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_every_read_is_audited(
    careteam: tuple[httpx.AsyncClient, CareTeam], parent: ParentFactory, credentials: Credentials
) -> None:
    client, team = careteam
    p = parent()
    plan_id = await finished(p, team)
    await client.get(f"/api/v1/plans/{plan_id}", headers=bearer(credentials, "hope-sw"))
    await client.get(f"/api/v1/plans/{plan_id}/fhir", headers=bearer(credentials, "hope-nurse"))
    await client.get(f"/api/v1/plans/{plan_id}", headers=bearer(credentials, "laramie-sw"))
    await client.get(f"/api/v1/plans/{'0' * 32}", headers=bearer(credentials, "hope-sw"))

    log = await team.records.audit_log(p.store.keys_for(p.address).contact)
    reads = [(a.actor, a.action, a.what, a.result) for a in log if a.action in ("read", "deny")]
    assert reads == [
        ("hope_sw", "read", "plan.json: basic_needs v1, safety v1", "200"),
        ("hope_nurse", "read", "plan.fhir: health v1", "200"),
        ("laramie_sw", "deny", "plan.json", "no consent"),
    ]
    access = await team.records.store.redis.xlen(team.records.store.keys.access)
    assert access == 1  # the unknown plan, logged program-wide


async def test_the_fhir_bundle_holds_only_the_readers_sections(
    careteam: tuple[httpx.AsyncClient, CareTeam], parent: ParentFactory, credentials: Credentials
) -> None:
    """The treatment counselor's Bundle: the recovery QuestionnaireResponse, labelled Part 2,
    and the Part 2 Consent that allows it; nothing else of the plan."""
    client, team = careteam
    plan_id = await finished(parent(), team)
    response = await client.get(
        f"/api/v1/plans/{plan_id}/fhir", headers=bearer(credentials, "hope-tx")
    )
    assert response.headers["content-type"] == "application/fhir+json"
    bundle = Bundle.model_validate_json(response.text)
    kinds = [e.resource.get_resource_type() for e in bundle.entry or []]
    assert sorted(set(kinds)) == ["CarePlan", "Consent", "QuestionnaireResponse"]
    (qr,) = [
        e.resource
        for e in bundle.entry or []
        if e.resource.get_resource_type() == "QuestionnaireResponse"
    ]
    assert qr.questionnaire.endswith("/Questionnaire/recovery")
    assert [c.code for c in qr.meta.security] == ["42CFRPart2", "R"]
    (consent,) = [
        e.resource for e in bundle.entry or [] if e.resource.get_resource_type() == "Consent"
    ]
    assert consent.policy[0].uri.startswith("https://www.ecfr.gov/")
    assert Bundle.model_validate_json(bundle.model_dump_json()) == bundle


async def test_stop_sharing_closes_the_plan_to_every_token(
    careteam: tuple[httpx.AsyncClient, CareTeam], parent: ParentFactory, credentials: Credentials
) -> None:
    client, team = careteam
    p = parent()
    plan_id = await finished(p, team)
    await p.say("stop sharing")
    await drain(team.worker)
    for token_id in ("hope-sw", "hope-nurse", "hope-tx", "hope-ehr"):
        url = f"/api/v1/plans/{plan_id}"
        assert (await client.get(url, headers=bearer(credentials, token_id))).status_code == 404


async def test_the_lifespan_hooks_run_the_worker_until_stopped(
    directory: Directory,
    store: RedisConversationStore,
    redis: Redis,
    cipher: Cipher,
    prefix: str,
    flows: FlowSet,
    parent: ParentFactory,
    receiver: Receiver,
    tmp_path: Path,
    timed: TimedWork,
) -> None:
    """start_careteam runs delivery in the background; stop_careteam ends it. A broken
    directory file stops the start with a ConfigError naming the file."""
    settings = settings_for(Path(directory.source))
    config = DeliveryConfig(consumer="lifespan", idle_sleep_s=0.005)
    care = RedisCareRecords(redis, cipher, prefix)
    team = await start_careteam(
        settings, store, care, cipher, flows=flows, config=config, timed=timed
    )
    assert team.task is not None
    await parent().finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    for _ in range(400):
        if receiver.processed():
            break
        await asyncio.sleep(0.005)
    await stop_careteam(team)
    assert team.task is None
    assert len(receiver.processed()) == 1

    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 2\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml"):
        await start_careteam(
            settings_for(broken),
            store,
            RedisCareRecords(redis, cipher, prefix),
            cipher,
            flows=flows,
            timed=timed,
        )


async def test_an_operator_token_reads_no_plan(
    careteam: tuple[httpx.AsyncClient, CareTeam], parent: ParentFactory, credentials: Credentials
) -> None:
    """Operators run the program and read its de-identified reports: consent never names
    them, so a plan answers them as it answers anyone it is not shared with."""
    client, team = careteam
    plan_id = await finished(parent(), team)
    for url in (f"/api/v1/plans/{plan_id}", f"/api/v1/plans/{plan_id}/fhir"):
        assert (await client.get(url, headers=bearer(credentials, "ops"))).status_code == 404
    reports = await client.get(
        "/api/v1/reports/program",
        params={"from": "2024-01-01", "to": "2024-12-31"},
        headers=bearer(credentials, "ops"),
    )
    assert reports.status_code == 200
