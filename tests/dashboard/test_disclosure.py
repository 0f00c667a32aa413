"""One disclosure rule for every view: nothing a member sees goes past the parent's consent.

A plan carries a distinct canary answer in every section (in its answers and in the texts
of its conversation); a member the parent shares exactly one section with walks every
dashboard and API route, and no other section's canary appears anywhere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from html import escape
from pathlib import Path

import pytest
import yaml

from bot.careteam.consent import SHARE_STEPS
from bot.careteam.directory import new_api_token
from bot.engine.session import TOPIC_PERSON, TOPIC_PLAN
from bot.reminders.intake import add_appointment
from tests.dashboard.conftest import Running, sign_in, start_running, write_directory
from tests.dashboard.seed import Seeded, shares
from tests.dashboard.test_handoff import Parent
from tests.web.conftest import KeySpace

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db11")]

# The nurse may see Basic needs and nothing else.
ONE_SECTION = shares(share_basic_needs=["medical"])
SHOWN = "basic_needs"


def canary(topic: str) -> str:
    return f"CANARY-{topic.upper().replace('_', '')}-7Q"


def canary_answers(running: Running) -> dict[str, tuple[str, str]]:
    """section -> (step, canary): a free-text step where the section has one, else a choice
    (an unknown value reads as itself on every view)."""
    found = {}
    for flow in running.dash.flows.sections:
        if flow.id not in SHARE_STEPS:
            continue
        typed = [s for s in flow.steps if s.type == "text"]
        chosen = [s for s in flow.steps if s.type == "choice" and not s.private]
        step = (typed or chosen)[0]
        found[flow.id] = (step.id, canary(flow.id))
    return found


@pytest.fixture
async def with_tokens(tmp_path: Path, keyspace: KeySpace) -> AsyncIterator[tuple[Running, str]]:
    """The dashboard app whose nurse also holds an API token."""
    data = yaml.safe_load(write_directory(tmp_path).read_text(encoding="utf-8"))
    path = tmp_path / "team-with-tokens.yaml"  # start_running writes careteam.yaml again
    bearer, hashed = new_api_token("hope-nurse-api")
    for member in data["members"]:
        if member["id"] == "hope_nurse":
            member["api_token"] = {"id": "hope-nurse-api", "hash": hashed}
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    async with start_running(tmp_path, keyspace, care_team_file=path) as running:
        yield running, bearer


async def seed_canaries(running: Running) -> Seeded:
    answers = canary_answers(running)
    at = running.clock() - timedelta(hours=1)
    # Every topic's texts, before and after the parent asked for a person (TALK).
    history: list[list[str]] = []
    for moment in (at - timedelta(minutes=30), at + timedelta(minutes=5)):
        stamp = moment.isoformat()
        for section, (_step, word) in answers.items():
            history.append(["in", f"{word} said", stamp, section])
            history.append(["out", f"read-back {word}", stamp, section])
        for topic in ("onboarding", "care_team", "reminders", TOPIC_PLAN):
            history.append(["in", f"{canary(topic)} said", stamp, topic])
    history.append(["in", "talk", at.isoformat(), TOPIC_PERSON])
    history.append(
        ["in", "CANARY-TOPERSON-7Q please call", (at + timedelta(minutes=1)).isoformat()]
    )
    made = await running.seed(
        "Canary Parent", ONE_SECTION, flags={"handoff": at}, handoff=True, history=history
    )

    store = running.dash.store
    session = await store.load(made.address)
    assert session is not None
    for section, (step, word) in answers.items():
        session.plan.answers.setdefault(section, {})[step] = word
    await store.transact(made.address, None, lambda _old: (session, [], []))
    planner = running.dash.planner
    assert planner is not None
    soon = (running.clock() + timedelta(days=5)).date()
    for kind in ("treatment", "prenatal_visit"):
        await add_appointment(
            planner,
            made.contact[1:-1],
            kind=kind,
            day=soon,
            at=running.clock().time().replace(microsecond=0),
            place=canary(f"visit{kind}"),
        )
    return made


async def walk(running: Running, bearer: str, made: Seeded) -> dict[str, str]:
    """Every route the nurse can reach, and what each answered."""
    http = running.client()
    assert (await sign_in(http, "hope_nurse")).status_code == 303
    pages = {}
    for path in (
        "/care",
        "/care?q=Canary",
        f"/care/plans/{made.plan_id}",
        f"/care/plans/{made.plan_id}/print",
        "/care/inbox",
        f"/care/inbox/{made.plan_id}",
    ):
        response = await http.get(path)
        assert response.status_code == 200, (path, response.status_code)
        pages[path] = response.text
    api = running.client()
    api.headers["authorization"] = f"Bearer {bearer}"
    for path in (f"/api/v1/plans/{made.plan_id}", f"/api/v1/plans/{made.plan_id}/fhir"):
        response = await api.get(path)
        assert response.status_code == 200, (path, response.status_code)
        pages[path] = response.text
    # Program reports are for operators: counts only, and a member is refused anyway.
    for client, path in ((http, "/care/reports"), (api, "/api/v1/reports/program")):
        response = await client.get(path)
        assert response.status_code in (200, 401, 403), (path, response.status_code)
        pages[path] = response.text
    return pages


async def test_a_member_sees_only_the_consented_section_on_every_route(
    with_tokens: tuple[Running, str],
) -> None:
    running, bearer = with_tokens
    made = await seed_canaries(running)
    pages = await walk(running, bearer, made)
    shown = canary(SHOWN)
    hidden = [canary(s) for s in SHARE_STEPS if s != SHOWN]
    hidden += [canary(t) for t in ("onboarding", "care_team", "reminders", TOPIC_PLAN)]
    hidden += [canary("visittreatment")]
    for path, text in pages.items():
        leaked = [word for word in hidden if word in text]
        assert leaked == [], (path, leaked)
    # The walk really reads the plan: the shared section shows where the plan is shown.
    for path in (
        f"/care/plans/{made.plan_id}",
        f"/care/plans/{made.plan_id}/print",
        f"/care/inbox/{made.plan_id}",
        f"/api/v1/plans/{made.plan_id}",
        f"/api/v1/plans/{made.plan_id}/fhir",
    ):
        assert shown in pages[path], path
    assert canary("visitprenatal_visit".replace("_", "")) in pages[f"/care/plans/{made.plan_id}"]
    # Words to a person after TALK are the conversation; before it nothing of the kind shows.
    assert "CANARY-TOPERSON-7Q please call" in pages[f"/care/inbox/{made.plan_id}"]
    # The inbox look is audited with the part it showed, as any other read.
    log = await running.dash.records.audit_log(made.contact)
    looks = [e.what for e in log if e.actor == "hope_nurse" and "conversation" in e.what]
    assert looks == ["dashboard.conversation: basic_needs v1"]


async def test_the_on_call_reads_no_plan_answer_in_the_inbox(running: Running) -> None:
    """Issue 13 item 1: a parent shares only Basic needs with the nurse; the on-call
    (no section shared) opens the conversation, before and after the parent asks for a
    person, and never reads the parent's recovery answers."""
    parent = Parent(running)
    made = await running.seed("Maria", ONE_SECTION, address=parent.address)
    store = running.dash.store
    session = await store.load(made.address)
    assert session is not None
    first = running.dash.flows["recovery"].steps[0]
    session.status, session.mode, session.flow, session.step = "active", "ask", "recovery", first.id
    await store.transact(made.address, None, lambda _old: (session, [], []))
    http = running.client()
    assert (await sign_in(http, "hope_sw")).status_code == 303

    # The parent answers a recovery question (its read-back repeats every answer).
    await parent.say("yes")
    before = [escape(h[1]) for h in (await running.session_of(made)).history]
    assert any("Recovery" in text for text in before), before
    quiet = await http.get(f"/care/inbox/{made.plan_id}")
    assert quiet.status_code == 200
    assert [t for t in before if t in quiet.text] == []
    # TALK, then the parent goes on with the read-back: still no recovery answer shows.
    await parent.say("TALK")
    await parent.say("no")
    after = (await running.session_of(made)).history
    page = await http.get(f"/care/inbox/{made.plan_id}")
    assert "TALK" in page.text
    last = max(i for i, h in enumerate(after) if h[:2] == ["in", "no"])
    answered = [escape(h[1]) for h in after[last + 1 :]]  # what "no" to the read-back brought
    assert answered, after
    assert [t for t in [*before, *answered] if t in page.text] == []


async def test_texts_before_any_request_stay_hidden(running: Running) -> None:
    """With no open request the conversation shows no words to a person at all (texts
    kept before topics were recorded count as such)."""
    made = await running.seed(
        "Zoe",
        shares(),
        history=[
            ["in", "CANARY-NOREQUEST-7Q", running.clock().isoformat(), TOPIC_PERSON],
            ["in", "CANARY-OLDFORMAT-7Q", running.clock().isoformat()],
        ],
    )
    http = running.client()
    assert (await sign_in(http, "hope_sw")).status_code == 303
    page = await http.get(f"/care/inbox/{made.plan_id}")
    assert page.status_code == 200
    assert "CANARY-NOREQUEST-7Q" not in page.text
    assert "CANARY-OLDFORMAT-7Q" not in page.text
