"""The needs API: a consented member moves a need along; the change reaches the team's systems."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.careteam.delivery import drain
from bot.careteam.payload import plan_id_of
from bot.careteam.wiring import CareTeam
from tests.careteam.conftest import (
    MEDICAL,
    SOCIAL_WORKER,
    Credentials,
    Parent,
    ParentFactory,
    bearer,
    contact_of,
    share,
)
from tests.fakes.receiver import Receiver

pytestmark = pytest.mark.anyio

# Basic needs (with "No, I need help" for a place to live) to the social worker; health to
# the nurse, so the nurse sees the plan but not the housing need.
HOUSING = {"housing_now": "3"}
CONSENTS = share(share_basic_needs=SOCIAL_WORKER, share_health=MEDICAL)
Client = tuple[httpx.AsyncClient, CareTeam]


async def plan_with_housing_need(p: Parent, team: CareTeam, **consents: str) -> str:
    await p.finish_plan({**(consents or CONSENTS), **HOUSING})
    await drain(team.worker)
    return plan_id_of(contact_of(p))


def need_updates(receiver: Receiver, plan_id: str) -> list[tuple[str, str, str, int]]:
    """(endpoint, kind, status, version) of each plan.need.updated the receiver acted on."""
    return [
        (r.endpoint, r.body["need"]["kind"], r.body["need"]["status"], r.body["need"]["version"])
        for r in receiver.processed()
        if r.body["type"] == "plan.need.updated" and r.body["plan_id"] == plan_id
    ]


async def patch(
    client: httpx.AsyncClient,
    credentials: Credentials,
    token_id: str,
    plan_id: str,
    kind: str,
    body: dict[str, Any],
) -> httpx.Response:
    url = f"/api/v1/plans/{plan_id}/needs/{kind}"
    return await client.patch(url, json=body, headers=bearer(credentials, token_id))


async def test_a_member_moves_a_need_to_referred_then_connected_and_the_team_hears(
    careteam: Client, parent: ParentFactory, credentials: Credentials, receiver: Receiver
) -> None:
    """need -> referred -> connected: each step bumps the version and adds a history line by
    the member, reaches the consented record system as plan.need.updated (signed, verified
    by the receiver), and is in the plan's audit log."""
    client, team = careteam
    p = parent()
    plan_id = await plan_with_housing_need(p, team)
    assert need_updates(receiver, plan_id) == [("hope_ehr", "housing", "need", 1)]
    # The member acts at 21:00 in the parent's zone (Hartford: New York), when the UTC date
    # is already tomorrow: "referred today" is the parent's date.
    zone = (await p.session()).timezone
    assert zone == "America/New_York"
    evening = datetime.combine(p.now.date() + timedelta(days=1), time(21), ZoneInfo(zone))
    team.needs.clock = lambda: evening.astimezone(UTC)

    referred = await patch(
        client,
        credentials,
        "hope-sw",
        plan_id,
        "housing",
        {"status": "referred", "owner": "hope_sw", "notes": "Called the family shelter line."},
    )
    assert referred.status_code == 200, referred.text
    assert referred.headers["cache-control"] == "no-store"
    need = referred.json()
    today = evening.date().isoformat()
    assert (need["status"], need["version"], need["owner"]) == ("referred", 2, "hope_sw")
    assert (need["referred_on"], need["section"]) == (today, "basic_needs")
    assert need["history"][-1]["by"] == "hope_sw"
    assert need["history"][-1]["note"] == "Called the family shelter line."
    await drain(team.worker)

    connected = await patch(
        client, credentials, "hope-sw", plan_id, "housing", {"status": "connected", "version": 2}
    )
    assert (connected.status_code, connected.json()["version"]) == (200, 3)
    await drain(team.worker)

    assert need_updates(receiver, plan_id) == [
        ("hope_ehr", "housing", "need", 1),
        ("hope_ehr", "housing", "referred", 2),
        ("hope_ehr", "housing", "connected", 3),
    ]
    body = receiver.processed()[-1].body
    assert set(body) == {"type", "plan_id", "need", "locale", "notice"}
    assert set(body["need"]) == {"kind", "status", "section", "owner", "referred_on", "version"}
    assert "Called the family shelter line." not in receiver.processed()[-1].raw.decode()
    assert "42 CFR Part 2" in body["notice"]

    saved = (await p.session()).plan.needs["housing"]
    assert [h["status"] for h in saved["history"]] == ["need", "referred", "connected"]
    audit = [
        (a.actor, a.action, a.what, a.result)
        for a in await team.records.audit_log(contact_of(p))
        if a.what.startswith("need ")
    ]
    assert audit == [
        ("hope_ehr", "deliver", "need housing v1", "200"),
        ("hope_sw", "update", "need housing v2: referred", "200"),
        ("hope_ehr", "deliver", "need housing v2", "200"),
        ("hope_sw", "update", "need housing v3: connected", "200"),
        ("hope_ehr", "deliver", "need housing v3", "200"),
    ]


async def test_an_unconsented_reader_is_refused_and_nothing_is_delivered(
    careteam: Client, parent: ParentFactory, credentials: Credentials, receiver: Receiver
) -> None:
    """The nurse (health only) gets 403 for the housing need; an endpoint's token 403 (only
    members change needs); another organization's member 404, as for a plan it cannot see.
    Nothing changes, nothing more is sent, and each refusal is audited."""
    client, team = careteam
    p = parent()
    plan_id = await plan_with_housing_need(p, team)
    before = len(receiver.all_received())
    change = {"status": "referred"}

    nurse = await patch(client, credentials, "hope-nurse", plan_id, "housing", change)
    system = await patch(client, credentials, "hope-ehr", plan_id, "housing", change)
    other = await patch(client, credentials, "laramie-sw", plan_id, "housing", change)
    unknown = await patch(client, credentials, "hope-sw", "0" * 32, "housing", change)
    assert (nurse.status_code, system.status_code) == (403, 403)
    assert (other.status_code, unknown.status_code) == (404, 404)
    assert other.json() == unknown.json()  # a plan one may not see looks like no plan
    await drain(team.worker)

    assert len(receiver.all_received()) == before
    assert (await p.session()).plan.needs["housing"]["version"] == 1
    denied = [
        (a.actor, a.action, a.result)
        for a in await team.records.audit_log(contact_of(p))
        if a.action == "deny"
    ]
    assert denied == [("hope_nurse", "deny", "no consent"), ("laramie_sw", "deny", "no consent")]


async def test_a_need_the_reader_cannot_see_and_one_the_parent_lacks_look_alike(
    careteam: Client, parent: ParentFactory, credentials: Credentials
) -> None:
    """Asking about a kind that only comes from an unconsented section is 403 whether the
    parent has it or not; a kind from a consented section the parent lacks is 404."""
    client, team = careteam
    plan_id = await plan_with_housing_need(parent(), team)
    change = {"status": "referred"}
    nurse_housing = await patch(client, credentials, "hope-nurse", plan_id, "housing", change)
    nurse_food = await patch(client, credentials, "hope-nurse", plan_id, "food", change)
    sw_food = await patch(client, credentials, "hope-sw", plan_id, "food", change)
    sw_nonsense = await patch(client, credentials, "hope-sw", plan_id, "unicorns", change)
    assert (nurse_housing.status_code, nurse_food.status_code) == (403, 403)
    assert nurse_housing.json() == nurse_food.json()
    assert (sw_food.status_code, sw_nonsense.status_code) == (404, 404)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"status": "done"}, 422),
        ({"status": None}, 422),
        ({"colour": "red"}, 422),
        ({"referred_on": "2999-01-01"}, 422),  # in the future
        ({"owner": "hope_nurse"}, 422),  # the nurse may not see basic needs
        ({"owner": "nobody_at_all"}, 422),
        ({"status": "referred", "version": 7}, 409),
    ],
)
async def test_a_change_that_cannot_be_made_is_refused_clearly(
    careteam: Client,
    parent: ParentFactory,
    credentials: Credentials,
    body: dict[str, Any],
    status: int,
) -> None:
    client, team = careteam
    p = parent()
    plan_id = await plan_with_housing_need(p, team)
    response = await patch(client, credentials, "hope-sw", plan_id, "housing", body)
    assert response.status_code == status, response.text
    assert response.json()["detail"]
    assert (await p.session()).plan.needs["housing"]["version"] == 1


async def test_a_need_from_a_private_answer_goes_only_with_the_private_yes(
    careteam: Client, parent: ParentFactory, credentials: Credentials, receiver: Receiver
) -> None:
    """ "Not always" safe at home shows a safety need. Shared with the social worker without
    the private yes, it is neither sent nor changeable (403); with it, both."""
    client, team = careteam
    unsafe = {"feel_safe": "2"}
    without = parent()
    await without.finish_plan(
        {**share(share_safety=SOCIAL_WORKER, share_safety_private="no"), **unsafe}
    )
    with_yes = parent()
    await with_yes.finish_plan(
        {**share(share_safety=SOCIAL_WORKER, share_safety_private="yes"), **unsafe}
    )
    await drain(team.worker)
    plan_without, plan_with = (plan_id_of(contact_of(p)) for p in (without, with_yes))

    assert need_updates(receiver, plan_without) == []
    assert need_updates(receiver, plan_with) == [("hope_ehr", "safety", "need", 1)]
    change = {"status": "referred"}
    refused = await patch(client, credentials, "hope-sw", plan_without, "safety", change)
    allowed = await patch(client, credentials, "hope-sw", plan_with, "safety", change)
    assert (refused.status_code, allowed.status_code) == (403, 200)


async def test_needs_found_before_consent_go_out_once_it_is_given(
    careteam: Client, parent: ParentFactory, receiver: Receiver
) -> None:
    """The housing need is found (NeedChanged) before the parent says who sees Basic needs
    (ConsentChanged): it goes out when consent comes, once, however often consent is read."""
    _, team = careteam
    p = parent()
    await p.finish_plan({**CONSENTS, **HOUSING})
    # Read before the worker runs: delivered entries leave the outbox (trim_done).
    order = [e.type for e in await p.store.read_outbox(count=10_000) if e.contact == contact_of(p)]
    assert order.index("NeedChanged") < order.index("ConsentChanged")
    assert order.count("ConsentChanged") > 1
    await drain(team.worker)
    plan_id = plan_id_of(contact_of(p))
    assert need_updates(receiver, plan_id) == [("hope_ehr", "housing", "need", 1)]
