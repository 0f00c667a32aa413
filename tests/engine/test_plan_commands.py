"""Needs, local help, sharing by recipient, consent just in time, handoff quiet, the parent's
rights (REMINDERS, MY RECORD, DELETE MY DATA): as a parent meets them, on the shipped flows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.engine.answers import ZipInfo
from bot.engine.events import (
    AnswerChanged,
    ConsentChanged,
    ErasureRequested,
    NeedChanged,
    RecordRequested,
    ReminderCancelRequested,
    RemindersListRequested,
    ResourceSaved,
    SectionCompleted,
)
from bot.engine.machine import Engine, StepResult
from bot.engine.resources import Offer
from bot.engine.session import HISTORY_CAP, Session
from bot.flows import build_engine
from tests.drive import answer_for, next_text

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)
NEEDS = ("housing", "food", "insurance")


def finder(need: str, where: ZipInfo | None, locale: str) -> Sequence[Offer]:
    """Plain data standing in for the resource directory: two places per need, by county."""
    county = where.county if where else "nowhere"
    return [
        Offer(f"{need}-{n}", f"{need.title()} Help {n} ({county})", f"860-555-01{n}0")
        for n in (1, 2)
    ]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_engine(resource_finder=finder)


def send(engine: Engine, session: Session, text: str, at: datetime = NOW) -> StepResult:
    return engine.step(session, text, at)


def onboarded(engine: Engine) -> Session:
    """Through onboarding, on the first question of Basic needs."""
    session = Session()
    while session.flow != "basic_needs":
        text = next_text(engine, session, TODAY)
        assert text is not None
        session = send(engine, session, text).session
    return session


def finish_section(engine: Engine, session: Session, needs: Sequence[str] = ()) -> StepResult:
    """Answer the current section to its read-back and confirm it, showing `needs`."""
    flow = engine.flows[session.flow or ""]
    while session.mode == "ask" and session.flow == flow.id:
        step = flow.step(session.step or "")
        text = answer_for(step, TODAY)
        for number, choice in enumerate(step.choices, 1):
            if choice.need in needs:
                text = str(number)
                break
        session = send(engine, session, text).session
    assert session.mode == "readback"
    return send(engine, session, "yes")


def test_three_needs_become_records_offers_and_saved_picks(engine: Engine) -> None:
    """Needs found in Basic needs are kept as records, local help is offered, picks are saved."""
    done = finish_section(engine, onboarded(engine), NEEDS)
    found = [e for e in done.events if isinstance(e, NeedChanged)]
    assert {e.kind for e in found} >= set(NEEDS)
    assert all(e.status == "need" and e.section == "basic_needs" for e in found)
    plan = done.session.plan
    assert plan.needs["housing"]["status"] == "need"
    assert plan.needs["housing"]["history"][0]["by"] == "parent"
    # Who may see it is asked first (just in time), then the offers.
    assert done.session.detour is not None
    consented = send(engine, done.session, "1")
    assert any(isinstance(e, ConsentChanged) for e in consented.events)
    text = "\n".join(consented.replies)
    assert "Housing Help 1 (Hartford County)" in text
    assert "To save one to your plan, reply its number." in text
    saved = send(engine, consented.session, "2")
    assert saved.events == [ResourceSaved("housing-2", "housing")]
    assert saved.replies[0].startswith("Saved to your plan.")
    assert saved.session.mode == "offer"  # the next part is offered again
    listed = send(engine, saved.session, "saved")
    assert "Housing Help 2 (Hartford County), 860-555-0120" in "\n".join(listed.replies)
    needs = send(engine, listed.session, "NEEDS")
    shown = "\n".join(needs.replies)
    assert "1. a place to live - looking for help" in shown
    assert needs.session.listing is not None
    assert needs.session.listing["kind"] == "needs"


def test_a_need_marked_done_or_not_needed_by_text(engine: Engine) -> None:
    session = finish_section(engine, onboarded(engine), NEEDS).session
    session = send(engine, session, "1").session  # consent
    session = send(engine, session, "needs").session
    picked = send(engine, session, "1")
    assert "reply 1 if you have it now" in picked.replies[0]
    done = send(engine, picked.session, "1")
    first = next(iter(session.plan.needs))
    assert done.events == [
        NeedChanged(first, "have", "basic_needs", session.plan.needs[first]["source"][1])
    ]
    assert done.session.plan.needs[first]["version"] == 2
    again = send(engine, send(engine, done.session, "needs").session, "2")
    gone = send(engine, again.session, "2")
    assert isinstance(gone.events[0], NeedChanged)
    assert gone.events[0].status == "declined"
    missing = send(engine, send(engine, gone.session, "needs").session, "9")
    assert missing.replies == ["That number is not on the list."]


def test_a_referred_need_done_by_the_parent_is_connected(engine: Engine) -> None:
    session = finish_section(engine, onboarded(engine), ("housing",)).session
    session.plan.needs["housing"]["status"] = "referred"
    session = send(engine, send(engine, session, "1").session, "needs").session
    kinds = session.listing["items"] if session.listing else []
    number = kinds.index("housing") + 1
    result = send(engine, send(engine, session, str(number)).session, "1")
    assert result.session.plan.needs["housing"]["status"] == "connected"


def test_a_changed_answer_clears_a_need_only_the_parent_raised(engine: Engine) -> None:
    """Answering that the need is met moves "need" to "have"; the team's "referred" stays."""
    session = finish_section(engine, onboarded(engine), ("housing", "food")).session
    session = send(engine, session, "1").session
    session.plan.needs["food"]["status"] = "referred"
    session = send(engine, session, "menu").session
    session = send(engine, session, "1").session  # Basic needs again: read-back
    assert session.mode == "readback"
    flow = engine.flows["basic_needs"]
    showing = [
        flow.step(step_id)
        for step_id, value in session.plan.answers["basic_needs"].items()
        if any(
            c.need in ("housing", "food") and c.value == value for c in flow.step(step_id).choices
        )
    ]
    assert len(showing) >= 2
    for step in showing:
        number = session.review.index(step.id) + 1
        session = send(engine, session, str(number)).session
        plain = next(i for i, c in enumerate(step.choices, 1) if not c.need)
        session = send(engine, session, str(plain)).session
        assert session.mode == "readback"
    result = send(engine, session, "yes")
    assert result.session.plan.needs["housing"]["status"] == "have"
    assert result.session.plan.needs["food"]["status"] == "referred"


def test_sharing_lists_recipients_and_a_number_stops_one(engine: Engine) -> None:
    session = finish_section(engine, onboarded(engine)).session
    multi = engine.flows["care_team"].step("share_basic_needs")
    session = send(engine, session, "1, 2").session  # social worker and nurse
    assert session.plan.answer("care_team", multi.id) == ["social_worker", "medical"]
    shown = send(engine, session, "sharing")
    text = "\n".join(shown.replies)
    assert "1. Hospital social worker: Basic needs" in text
    assert "2. Nurse or doctor: Basic needs" in text
    stopped = send(engine, shown.session, "1")
    assert (
        AnswerChanged("care_team", multi.id, ["social_worker", "medical"], ["medical"])
        in stopped.events
    )
    assert any(isinstance(e, ConsentChanged) for e in stopped.events)
    assert stopped.replies[0].startswith("Done. Hospital social worker will not get")
    last = send(engine, send(engine, stopped.session, "sharing").session, "1")
    assert last.session.plan.answer("care_team", multi.id) == ["no_one"]
    assert "haven't shared" in send(engine, last.session, "sharing").replies[0]


def test_consent_is_asked_once_per_section_just_in_time(engine: Engine) -> None:
    """After a finished section, who may see it is asked once; part 8 does not ask it again."""
    done = finish_section(engine, onboarded(engine))
    said = "\n".join(done.replies)
    assert "Who may see your Basic needs part? Nothing is shared unless you say so." in said
    assert done.session.step == "share_basic_needs"
    session = send(engine, done.session, "7").session  # no one
    assert session.mode == "offer"
    assert session.detour is None
    session = send(engine, session, "menu").session
    session = send(engine, session, "1").session
    again = send(engine, session, "yes")  # confirm Basic needs again: no second ask
    assert "Who may see" not in "\n".join(again.replies)
    assert again.session.step != "share_basic_needs"


def test_a_team_member_taking_over_keeps_the_bot_quiet_until_the_claim_ends(engine: Engine) -> None:
    session = onboarded(engine)
    talk = send(engine, session, "TALK")
    assert "handoff" in talk.session.plan.flags
    claimed = talk.session
    claimed.handoff_claim = {
        "member": "rosa_diaz",
        "name": "Rosa",
        "until": (NOW + timedelta(hours=2)).isoformat(),
    }
    quiet = send(engine, claimed, "are you there?")
    assert quiet.replies == []
    assert quiet.session.history[-1][:2] == ["in", "are you there?"]
    stop = send(engine, quiet.session, "STOP")
    assert stop.replies[0].startswith("You're unsubscribed")
    crisis = send(engine, quiet.session, "I want to die")
    assert "988" in crisis.replies[0]
    assert "crisis" in crisis.session.plan.flags
    later = send(engine, quiet.session, "hello?", NOW + timedelta(hours=3))
    assert later.replies
    assert later.session.handoff_claim is None


def test_history_keeps_the_last_texts_both_ways(engine: Engine) -> None:
    session = onboarded(engine)
    for n in range(HISTORY_CAP):
        session = send(engine, session, f"skip {n}").session
    assert len(session.history) == HISTORY_CAP
    assert session.history[-1][0] == "out"


def test_reminders_list_and_cancel_by_number_go_to_the_reminders_side(engine: Engine) -> None:
    session = onboarded(engine)
    listed = send(engine, session, "Reminders")
    assert listed.events == [RemindersListRequested()]
    assert listed.replies == []
    cancel = send(engine, listed.session, "2")
    assert cancel.events == [ReminderCancelRequested(2)]
    after = send(engine, cancel.session, "2")  # the list is answered once; now it is an answer
    assert not any(isinstance(e, ReminderCancelRequested) for e in after.events)


def test_detailed_reminders_are_a_choice_the_parent_makes(engine: Engine) -> None:
    session = send(engine, onboarded(engine), "private on").session
    assert session.plan.shared_phone()  # as a YES to "Do other people use or see this phone?"
    refused = send(engine, session, "detailed reminders")
    assert "detailed_reminders" not in refused.session.plan.prefs
    assert "PRIVATE OFF" in refused.replies[0]
    own_phone = send(engine, refused.session, "private off").session
    assert not own_phone.plan.shared_phone()
    on = send(engine, own_phone, "detailed reminders")
    assert on.session.plan.prefs["detailed_reminders"] is True
    assert "may read them" in on.replies[0]
    off = send(engine, on.session, "simple reminders")
    assert "detailed_reminders" not in off.session.plan.prefs


def test_my_record_asks_for_the_list_of_disclosures(engine: Engine) -> None:
    result = send(engine, onboarded(engine), "my record")
    assert result.events == [RecordRequested()]
    assert result.replies[0].startswith("I'll text you the list")


def test_delete_my_data_needs_two_confirmations(engine: Engine) -> None:
    session = onboarded(engine)
    kept = send(engine, send(engine, session, "DELETE MY DATA").session, "no")
    assert kept.replies[0].startswith("OK, nothing was deleted.\n")  # then the question again
    assert kept.session.plan.answers
    asked = send(engine, session, "delete my data")
    assert "can't be undone" in asked.replies[0]
    sure = send(engine, asked.session, "yes")
    assert "Reply DELETE" in sure.replies[0]
    stray = send(engine, sure.session, "yes")
    assert stray.replies[0].startswith("OK, nothing was deleted.\n")
    assert not stray.events
    sure = send(engine, asked.session, "yes")
    erased = send(engine, sure.session, "delete")
    assert erased.events == [ErasureRequested()]
    assert erased.session.plan.answers == {}
    assert erased.session.history == []
    assert erased.session.status == "new"


def test_whole_plan_with_help_offered_still_completes_every_section(engine: Engine) -> None:
    session = Session()
    completed: list[str] = []
    while (text := next_text(engine, session, TODAY)) is not None:
        result = send(engine, session, text)
        completed += [e.section for e in result.events if isinstance(e, SectionCompleted)]
        session = result.session
    assert completed == [f.id for f in engine.flows.sections]


def test_the_needs_transcript_ends_with_three_needs_and_two_saved_places(
    shipped_engine: Engine,
) -> None:
    """The shipped needs_and_help transcript, with the sample 2-1-1 directory: what it leaves."""
    from pathlib import Path

    import yaml

    from tests.transcripts.runner import play

    path = Path(__file__).resolve().parents[1] / "transcripts" / "shipped" / "needs_and_help.yaml"
    _results, session = play(shipped_engine, yaml.safe_load(path.read_text(encoding="utf-8")))
    assert {k: n["status"] for k, n in session.plan.needs.items()} == {
        "housing": "declined",
        "food": "need",
        "insurance": "need",
    }
    assert [s["need"] for s in session.plan.saved] == ["housing", "insurance"]
    assert all(s["id"] and s["phone"].startswith("860-555-01") for s in session.plan.saved)
