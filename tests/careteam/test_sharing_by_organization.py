"""Stopping one part for one organization by text: SHARING lists organizations, the parent
picks one and a part, the consent narrows at once, and the other organizations still get it."""

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
from bot.engine.events import SharingWithheld
from bot.flows import build_engine
from bot.store.redis_store import RedisConversationStore
from tests.careteam.conftest import (
    HARTFORD,
    SOCIAL_WORKER,
    Credentials,
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
