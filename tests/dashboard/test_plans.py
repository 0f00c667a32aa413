"""The plans list and a plan: only what the parent's consent lets this member see, audited."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from bot.engine.session import Session
from tests.dashboard.conftest import Running, csrf_of, signed_in
from tests.dashboard.seed import LARAMIE, Seeded, recovery_to, shares

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db11")]

MARIA = shares(
    share_basic_needs=["social_worker"],
    share_health=["medical"],
    share_safety=["social_worker"],
    share_safety_private=True,
    **recovery_to("treatment"),
)
LUCIA = shares(share_basic_needs=["home_visitor"], share_baby=["home_visitor"])
ROW = re.compile(r'<th scope="row" data-label="Parent"><a href="/care/plans/([0-9a-f]{32})">')


async def seed_three(running: Running) -> tuple[Seeded, Seeded, Seeded]:
    maria = await running.seed("Maria", MARIA)
    lucia = await running.seed("Lucía", LUCIA, zip_code=LARAMIE, locale="es")
    zoe = await running.seed("Zoe", shares())  # shares nothing with anyone
    return maria, lucia, zoe


def listed(html: str) -> list[str]:
    return ROW.findall(html)


async def test_each_member_lists_only_plans_shared_with_their_role_and_organization(
    running: Running,
) -> None:
    maria, lucia, _zoe = await seed_three(running)
    expected = {
        "hope_sw": [maria.plan_id],
        "hope_nurse": [maria.plan_id],
        "hope_tx": [maria.plan_id],
        "laramie_hv": [lucia.plan_id],
        "laramie_on_call": [],
    }
    for member, plan_ids in expected.items():
        http = running.client()
        await signed_in(Running(running.app, http, running.clock, running.template), member)
        page = await http.get("/care")
        assert page.status_code == 200
        assert listed(page.text) == plan_ids, member
    # A list shows a name, so each row shown is a disclosure in the plan's audit log.
    log = await running.dash.records.audit_log(maria.contact)
    assert {(e.actor, e.action) for e in log if e.action == "list"} == {
        ("hope_sw", "list"),
        ("hope_nurse", "list"),
        ("hope_tx", "list"),
    }


async def test_a_plan_shows_only_the_consented_sections_in_plain_words(running: Running) -> None:
    maria, _lucia, _zoe = await seed_three(running)
    seen: dict[str, str] = {}
    for member in ("hope_sw", "hope_nurse", "hope_tx"):
        http = running.client()
        await signed_in(Running(running.app, http, running.clock, running.template), member)
        page = await http.get(f"/care/plans/{maria.plan_id}")
        assert page.status_code == 200, member
        seen[member] = page.text
    titles = {m: re.findall(r'<h3 id="s-([a-z_]+)">', html) for m, html in seen.items()}
    assert titles == {
        "hope_sw": ["basic_needs", "safety"],
        "hope_nurse": ["health"],
        "hope_tx": ["recovery"],
    }
    social = seen["hope_sw"]
    assert "<dt>Place to live</dt>" in social  # the question's label, then the answer's words
    assert "Yes, a steady place" in social
    assert "private</span>" in social  # private safety answers: their own yes was given
    # Nothing says the parent has a recovery plan: no title, no consent row, no audit line.
    for leak in ("Recovery and emotional health", "recovery v", "42 CFR Part 2", "Treatment visit"):
        assert leak not in social, leak
    assert "42 CFR Part 2" in seen["hope_tx"]


async def test_another_organization_gets_the_same_not_found_as_a_made_up_plan(
    running: Running,
) -> None:
    maria, _lucia, _zoe = await seed_three(running)
    http = await signed_in(running, "laramie_hv")
    other = await http.get(f"/care/plans/{maria.plan_id}")
    unknown = await http.get(f"/care/plans/{'0' * 32}")
    assert other.status_code == unknown.status_code == 404
    assert other.text == unknown.text
    for path in ("print", "appointments"):
        assert (await http.get(f"/care/plans/{maria.plan_id}/{path}")).status_code in (404, 405)
    log = await running.dash.records.audit_log(maria.contact)
    assert [(e.actor, e.action, e.result) for e in log if e.actor == "laramie_hv"] == [
        ("laramie_hv", "deny", "no consent"),
        ("laramie_hv", "deny", "no consent"),
    ]


async def test_reading_a_plan_is_audited_with_what_was_shown(running: Running) -> None:
    maria, _lucia, _zoe = await seed_three(running)
    http = await signed_in(running, "hope_nurse")
    await http.get(f"/care/plans/{maria.plan_id}")
    await http.get(f"/care/plans/{maria.plan_id}/print")
    log = await running.dash.records.audit_log(maria.contact)
    reads = [(e.actor, e.action, e.what) for e in log if e.action == "read"]
    assert reads == [
        ("hope_nurse", "read", "dashboard.plan: health v1"),
        ("hope_nurse", "read", "dashboard.print: health v1"),
    ]
    page = await http.get(f"/care/plans/{maria.plan_id}")
    assert "dashboard.print: health v1" in page.text  # the member's own trail shows it


async def test_flagged_plans_come_first_newest_first_then_by_last_text(running: Running) -> None:
    now = running.clock()
    quiet = await running.seed("Quiet", MARIA)
    crisis = await running.seed("Crisis", MARIA, flags={"crisis": now - timedelta(hours=2)})
    talk = await running.seed("Talk", MARIA, flags={"handoff": now - timedelta(minutes=5)})
    ride = await running.seed("Ride", MARIA, flags={"ride": now - timedelta(hours=1)})
    http = await signed_in(running, "hope_sw")
    page = await http.get("/care")
    assert listed(page.text) == [talk.plan_id, ride.plan_id, crisis.plan_id, quiet.plan_id]
    for label in ("Asked for a person", "Needs a ride", "Crisis words"):
        assert label in page.text
    assert "8 of 8 parts" in page.text
    assert re.search(r"Due \w+ \d+, \d{4} \(in \d+ (weeks|days)\)", page.text)


async def test_search_by_name_ignores_case_and_accents(running: Running) -> None:
    jose = await running.seed("José", MARIA)
    await running.seed("Maria", MARIA)
    http = await signed_in(running, "hope_sw")
    assert listed((await http.get("/care", params={"q": "JOSE"})).text) == [jose.plan_id]
    nothing = await http.get("/care", params={"q": "<b>nobody</b>"})
    assert listed(nothing.text) == []
    assert "No plan matches “&lt;b&gt;nobody&lt;/b&gt;”" in nothing.text


async def test_the_list_pages(running: Running) -> None:
    running.configure(page_size=2)
    for name in ("A", "B", "C"):
        await running.seed(name, MARIA)
    http = await signed_in(running, "hope_sw")
    first = await http.get("/care")
    second = await http.get("/care", params={"page": 2})
    assert len(listed(first.text)) == 2
    assert len(listed(second.text)) == 1
    assert "Page 2 of 2" in second.text
    assert 'rel="prev"' in second.text


async def test_what_a_parent_typed_is_escaped(running: Running) -> None:
    """Names and free-text answers are the parent's words: shown as text, never as markup."""
    made = await running.seed('<img src=x onerror="alert(1)">', MARIA)

    def typed(session: Session) -> tuple[Session, list[str], list[Any]]:
        changed = session.copy()
        changed.plan.answers["health"]["prenatal_provider"] = "<b>Dr. Lee</b> & team"
        return changed, [], []

    await running.dash.store.transact(made.address, None, typed)
    http = await signed_in(running, "hope_nurse")
    listing = await http.get("/care")
    assert "<img src=x" not in listing.text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in listing.text
    page = await http.get(f"/care/plans/{made.plan_id}")
    assert "<img src=x" not in page.text
    assert "<b>Dr. Lee" not in page.text
    # Free text is the parent's own words, marked as such.
    assert '<q class="own">&lt;b&gt;Dr. Lee&lt;/b&gt; &amp; team</q>' in page.text


async def test_clearing_a_handled_flag(running: Running) -> None:
    made = await running.seed("Maria", MARIA, flags={"cant_reach": running.clock()})
    http = await signed_in(running, "hope_sw")
    page = await http.get(f"/care/plans/{made.plan_id}")
    assert "Can&#39;t reach" in page.text
    cleared = await http.post(
        f"/care/plans/{made.plan_id}/flags/cant_reach/clear", data={"csrf": csrf_of(page)}
    )
    assert cleared.status_code == 303
    assert (await running.session_of(made)).plan.flags == {}
    log = await running.dash.records.audit_log(made.contact)
    assert ("hope_sw", "flag.clear", "flag cant_reach") in [
        (e.actor, e.action, e.what) for e in log
    ]


async def test_a_member_changes_a_need_from_the_plan_page(running: Running) -> None:
    """The plan page's need form makes the same versioned, audited change as the API."""
    made = await running.seed("Maria", MARIA)

    def with_housing_need(session: Session) -> tuple[Session, list[Any], list[Any]]:
        session.plan.needs["housing"] = {
            "kind": "housing",
            "status": "need",
            "source": ["basic_needs", "housing_now"],
            "owner": None,
            "referred_on": None,
            "notes": "",
            "version": 1,
            "history": [],
        }
        return session, [], []

    await running.dash.store.transact(made.address, None, with_housing_need)
    http = await signed_in(running, "hope_sw")
    page = await http.get(f"/care/plans/{made.plan_id}")
    action = f"/care/plans/{made.plan_id}/needs/housing"
    assert f'action="{action}"' in page.text
    forged = await http.post(action, data={"csrf": "forged", "status": "referred"})
    assert forged.status_code == 403
    wrong = await http.post(action, data={"csrf": csrf_of(page), "status": "sorted"})
    assert wrong.status_code == 422
    saved = await http.post(
        action, data={"csrf": csrf_of(page), "status": "referred", "note": "Called the shelter"}
    )
    assert saved.status_code == 303
    need = (await running.session_of(made)).plan.needs["housing"]
    assert (need["status"], need["version"], need["notes"]) == ("referred", 2, "Called the shelter")
    assert need["history"][-1]["status"] == "referred"
    # The nurse is not shared Basic needs: the same not-found as for any other plan.
    nurse = running.client()
    await signed_in(Running(running.app, nurse, running.clock, running.template), "hope_nurse")
    nurse_page = await nurse.get("/care")
    refused = await nurse.post(action, data={"csrf": csrf_of(nurse_page), "status": "have"})
    assert refused.status_code == 404
    assert (await running.session_of(made)).plan.needs["housing"]["status"] == "referred"
