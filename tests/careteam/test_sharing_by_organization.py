"""Stopping one part for one organization by text: SHARING lists organizations, the parent
picks one and a part, the consent narrows at once, and the other organizations still get it.
Sharing it again is a new yes, asked with who, what and the date: the part then goes to that
organization once, and the disclosure log keeps it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.careteam.delivery import drain
from bot.careteam.directory import Directory, load_directory
from bot.careteam.directory.model import team_view
from bot.careteam.payload import plan_id_of
from bot.careteam.recipients import consented_recipients
from bot.careteam.records import CareRecords
from bot.disclosures import disclosures
from bot.engine.events import SharingResumed, SharingWithheld
from bot.flows import build_engine
from bot.store.redis_store import RedisConversationStore
from tests.careteam.conftest import (
    HARTFORD,
    SOCIAL_WORKER,
    TEST_CONFIG,
    Credentials,
    FakeClock,
    Parent,
    WorkerFactory,
    change_basic_needs,
    contact_of,
    directory_data,
    share,
)
from tests.conftest import sample_finder
from tests.fakes.receiver import Receiver

pytestmark = pytest.mark.anyio


@pytest.fixture
def directory(tmp_path: Path, receiver: Receiver, credentials: Credentials) -> Directory:
    """Both organizations serve Hartford: a parent there shares with two of them."""
    data = directory_data(receiver, credentials)
    for org in data["organizations"]:
        org["service_area"]["zip_prefixes"] = ["06", "820"]
    path = tmp_path / "careteam.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_directory(path)


def sections_to(receiver: Receiver, p: Parent) -> set[tuple[str, str]]:
    plan = plan_id_of(contact_of(p))
    return {
        (r.endpoint, r.body["section"]["key"])
        for r in receiver.processed()
        if r.body["type"] == "plan.section.completed" and r.body["plan_id"] == plan
    }


async def test_one_part_stops_for_one_organization_and_the_others_still_receive(
    directory: Directory,
    store: RedisConversationStore,
    records: CareRecords,
    make_worker: WorkerFactory,
    receiver: Receiver,
) -> None:
    """Basic needs and Health go to social workers at Hartford Hope and Laramie Family.
    SHARING lists both organizations; stopping Basic needs for Laramie narrows the consent at
    once (the stop kept as a revoked permission), a changed Basic needs part then reaches
    only Hartford Hope, and Laramie still gets Health."""
    engine = build_engine(resource_finder=sample_finder(), team=team_view(directory))
    p = Parent(engine, store, "+18605550999", HARTFORD)
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER, share_health=SOCIAL_WORKER))
    await drain(make_worker())
    both = {("hope_ehr", "basic_needs"), ("laramie_ehr", "basic_needs")}
    assert both <= sections_to(receiver, p)

    listing = await p.say("sharing")
    shown = "\n".join(listing.replies)
    assert "By organization:" in shown
    assert "Hartford Hope: " in shown
    line = next(x for x in shown.splitlines() if "Laramie Family: " in x)
    assert "Basic needs" in line
    which = await p.say(line.split(".", 1)[0])
    assert "Laramie Family sees these parts" in "\n".join(which.replies)
    stopped = await p.say("1")
    assert stopped.events == [SharingWithheld("share_basic_needs", "laramie")]
    assert "Laramie Family will not get" in "\n".join(stopped.replies)

    await drain(make_worker())
    state = await records.latest_consent(contact_of(p))
    assert state.cause == "revoked"
    assert state.withheld == {"basic_needs": ("laramie",)}
    gone = [r for r in state.records if r.revoked_at is not None]
    assert {(r.section, r.organizations) for r in gone} == {("basic_needs", ("laramie",))}
    # The disclosure log keeps the stop, so MY RECORD names it beside what went.
    log = await records.audit_log(contact_of(p))
    rows = [(e.at, e.organization, e.action, e.what, e.result) for e in log]
    stops = [d for d in disclosures(rows, ["basic_needs", "health"]) if d.stopped]
    assert [(d.organization, d.sections) for d in stops] == [("laramie", {"basic_needs"})]
    later = p.now + timedelta(minutes=1)
    basic = consented_recipients("basic_needs", state, directory, later)
    assert {e.id for e in basic.endpoints} == {"hope_ehr"}
    health = consented_recipients("health", state, directory, later)
    assert {e.id for e in health.endpoints} == {"hope_ehr", "laramie_ehr"}

    receiver.reset()
    await change_basic_needs(p)
    await drain(make_worker())
    assert sections_to(receiver, p) == {("hope_ehr", "basic_needs")}
    again = "\n".join((await p.say("sharing")).replies)
    laramie = next(x for x in again.splitlines() if "Laramie Family: " in x)
    assert "Basic needs" not in laramie


def sent_to(receiver: Receiver, p: Parent, endpoint: str, section: str) -> list[int]:
    """Every request (repeats too) that carried this section to this endpoint: its version."""
    plan = plan_id_of(contact_of(p))
    return [
        int(r.body["section"]["version"])
        for r in receiver.all_received()
        if r.endpoint == endpoint
        and r.body["type"] == "plan.section.completed"
        and r.body["plan_id"] == plan
        and r.body["section"]["key"] == section
    ]


async def stop_for(p: Parent, name: str) -> None:
    """SHARING, the organization's number, then its first part (Basic needs)."""
    shown = "\n".join((await p.say("sharing")).replies)
    line = next(x for x in shown.splitlines() if f"{name}: " in x)
    await p.say(line.split(".", 1)[0])
    assert (await p.say("1")).events == [SharingWithheld("share_basic_needs", "laramie")]


async def ask_again(p: Parent, name: str) -> str:
    """SHARING, then the number of the organization under "You stopped sharing": what is
    shown before the parent says yes."""
    shown = "\n".join((await p.say("sharing")).replies)
    stopped = shown.split("You stopped sharing:", 1)[1]
    line = next(x for x in stopped.splitlines() if f"{name}: " in x)
    asked = await p.say(line.split(".", 1)[0])
    assert asked.events == []  # nothing changes before the yes
    return "\n".join(asked.replies)


async def test_a_part_stopped_before_it_went_goes_once_after_a_new_yes(
    directory: Directory,
    store: RedisConversationStore,
    records: CareRecords,
    make_worker: WorkerFactory,
    receiver: Receiver,
    clock: FakeClock,
) -> None:
    """Basic needs is stopped for Laramie before the worker sent it (its job is withheld for
    want of consent). SHARING shows it stopped; picking it shows Laramie, the intermediary,
    what the part holds and the date, then YES: a new consent version, the yes in the log,
    and Laramie gets the part once (the withheld job revived), read again or not."""
    engine = build_engine(resource_finder=sample_finder(), team=team_view(directory))
    p = Parent(engine, store, "+18605550998", HARTFORD)
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    await stop_for(p, "Laramie Family")
    worker = make_worker()
    await drain(worker)
    assert sent_to(receiver, p, "hope_ehr", "basic_needs") == [1]
    assert sent_to(receiver, p, "laramie_ehr", "basic_needs") == []

    asked = await ask_again(p, "Laramie Family")
    day = p.now.date()
    assert f"Today is {day.month}/{day.day}/{day.year}." in asked
    assert "this part goes to Laramie Family, through Safe Start test program" in asked
    assert "What it holds: Place to live, Place after birth" in asked
    assert asked.endswith(
        "Share Basic needs with Laramie Family again? Reply YES to share it, or NO to keep it "
        "stopped."
    )
    yes = await p.say("yes")
    assert yes.events == [SharingResumed("share_basic_needs", "laramie")]
    assert yes.replies[0].startswith("Done. Laramie Family will get Basic needs again")
    await drain(worker)
    assert sent_to(receiver, p, "laramie_ehr", "basic_needs") == [1]
    assert sent_to(receiver, p, "hope_ehr", "basic_needs") == [1]

    state = await records.latest_consent(contact_of(p))
    assert state.withheld == {}
    basic = consented_recipients("basic_needs", state, directory, p.now + timedelta(minutes=1))
    assert {e.id for e in basic.endpoints} == {"hope_ehr", "laramie_ehr"}
    log = await records.audit_log(contact_of(p))
    laramie = [(e.action, e.what, e.result) for e in log if e.organization == "laramie"]
    assert ("resume", "basic_needs", "shared again by the parent") in laramie
    assert [a for a in laramie if a[0] == "deliver" and a[1].startswith("basic_needs")] == [
        ("deliver", "basic_needs v1", "200")
    ]
    rows = [(e.at, e.organization, e.action, e.what, e.result) for e in log]
    shared = [d for d in disclosures(rows, ["basic_needs"]) if d.organization == "laramie"]
    kinds = [(d.sections, d.stopped, d.resumed) for d in shared]  # what MY RECORD says
    assert ({"basic_needs"}, False, False) in kinds  # delivered
    assert ({"basic_needs"}, False, True) in kinds  # shared again by the parent

    # The worker reads the entry again (it died before acknowledging): nothing new.
    (entry,) = [e for e in await p.store.read_outbox(count=10_000) if e.type == "SharingResumed"]
    await worker.apply(entry)
    clock.advance(TEST_CONFIG.lease_s + 1)
    await drain(worker)
    assert (await records.latest_consent(contact_of(p))).version == state.version
    assert sent_to(receiver, p, "laramie_ehr", "basic_needs") == [1]


async def test_a_part_shared_again_sends_the_version_missed_and_not_the_one_had(
    directory: Directory,
    store: RedisConversationStore,
    make_worker: WorkerFactory,
    receiver: Receiver,
) -> None:
    """Laramie got Basic needs v1, the parent stopped it, changed the part (v2 went to Hope
    only), then shared it with Laramie again: Laramie gets v2, once, and not v1 again."""
    engine = build_engine(resource_finder=sample_finder(), team=team_view(directory))
    p = Parent(engine, store, "+18605550997", HARTFORD)
    await p.finish_plan(share(share_basic_needs=SOCIAL_WORKER))
    worker = make_worker()
    await drain(worker)
    await stop_for(p, "Laramie Family")
    await change_basic_needs(p)
    await drain(worker)
    assert sent_to(receiver, p, "hope_ehr", "basic_needs") == [1, 2]
    assert sent_to(receiver, p, "laramie_ehr", "basic_needs") == [1]

    assert "Laramie Family" in await ask_again(p, "Laramie Family")
    assert (await p.say("yes")).events == [SharingResumed("share_basic_needs", "laramie")]
    await drain(worker)
    assert sent_to(receiver, p, "laramie_ehr", "basic_needs") == [1, 2]
    assert sent_to(receiver, p, "hope_ehr", "basic_needs") == [1, 2]
