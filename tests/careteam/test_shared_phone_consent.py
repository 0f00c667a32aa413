"""A consent given on a shared phone: the texts name no organization or role that says
treatment or recovery, yet the consent the care team records and acts on names the
organizations and roles in full, as the same consent on a parent's own phone does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.careteam.delivery import drain
from bot.careteam.directory import Directory, load_directory
from bot.careteam.directory.model import team_view
from bot.careteam.records import CareRecords
from bot.flows import build_engine
from bot.store.redis_store import RedisConversationStore
from tests.careteam.conftest import (
    HARTFORD,
    TREATMENT,
    Credentials,
    Parent,
    WorkerFactory,
    contact_of,
    directory_data,
    share,
)
from tests.careteam.test_delivery import delivered
from tests.conftest import sample_finder
from tests.drive import next_text
from tests.fakes.receiver import Receiver

pytestmark = pytest.mark.anyio

RECOVERY_CENTER = "Hope Recovery Center"


@pytest.fixture
def directory(tmp_path: Path, receiver: Receiver, credentials: Credentials) -> Directory:
    """The test directory, its Hartford organization named for what it does."""
    data = directory_data(receiver, credentials)
    next(o for o in data["organizations"] if o["id"] == "hope")["name"] = RECOVERY_CENTER
    path = tmp_path / "careteam.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_directory(path)


async def test_a_consent_on_a_shared_phone_is_recorded_with_full_names(
    directory: Directory,
    store: RedisConversationStore,
    records: CareRecords,
    make_worker: WorkerFactory,
    receiver: Receiver,
) -> None:
    engine = build_engine(resource_finder=sample_finder(), team=team_view(directory))
    p = Parent(engine, store, "+18605550998", HARTFORD)
    answers = share(
        shared_phone="yes",
        share_recovery_ok="yes",
        share_recovery=TREATMENT,
        recovery_terms="yes",
        recovery_consent="yes",
    )
    answers["zip"] = HARTFORD
    texts: list[str] = []
    for _ in range(400):
        session = await p.session()
        text = next_text(engine, session, p.now.date())
        if text is None:
            break
        if session.mode == "ask" and session.step in answers:
            text = answers[session.step]
        texts.extend((await p.say(text)).replies)
    session = await p.session()
    assert session.plan.shared_phone()
    assert session.plan.answer("care_team", "recovery_consent") is True
    said = "\n".join(texts)
    assert RECOVERY_CENTER not in said
    assert "Treatment provider" not in said
    assert "Care team member 3" in said

    await drain(make_worker())
    state = await records.latest_consent(contact_of(p))
    recovery = [r for r in state.records if r.section == "recovery"]
    assert [(r.role, r.organizations, r.part2) for r in recovery] == [
        ("treatment", ("hope",), True)
    ]
    assert directory.organization_by_id["hope"].name == RECOVERY_CENTER
    assert ("hope_tx", "recovery") in delivered(receiver, p)
    log = await records.audit_log(contact_of(p))
    assert any(e.organization == "hope" and "recovery" in e.what for e in log)
