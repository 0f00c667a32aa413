"""Each remembered text says what it is about, so the inbox shows only what consent covers."""

from __future__ import annotations

from datetime import timedelta

from bot.careteam.access import Access
from bot.careteam.consent import PART2_SECTION
from bot.engine.machine import Engine, StepResult
from bot.engine.session import TOPIC_PERSON, TOPIC_PLAN, TOPIC_RECOVERY
from tests.engine.test_plan_commands import NOW, engine, finish_section, onboarded, send

__all__ = ["engine"]  # the module-scoped fixture, shared


def added(result: StepResult) -> list[list[str]]:
    """The entries this step remembered: the parent's text, then each reply."""
    return result.session.history[-(1 + len(result.replies)) :]


def test_an_answer_and_its_question_are_about_their_section(engine: Engine) -> None:
    session = onboarded(engine)  # on the first question of Basic needs
    new = added(send(engine, session, "1"))
    assert len(new) >= 2
    assert {h[3] for h in new} == {"basic_needs"}


def test_asking_for_a_person_is_words_to_a_person(engine: Engine) -> None:
    session = onboarded(engine)
    talk = send(engine, session, "TALK")
    said, *replies = added(talk)
    assert (said[1], said[3]) == ("TALK", TOPIC_PERSON)
    # The reply is said inside the section the parent is in: it goes with that section.
    assert {r[3] for r in replies} == {"basic_needs"}
    crisis = send(engine, talk.session, "I want to die")
    assert added(crisis)[0][3] == TOPIC_PERSON


def test_texts_while_a_member_has_the_conversation_are_to_that_person(engine: Engine) -> None:
    session = send(engine, onboarded(engine), "TALK").session
    session.handoff_claim = {
        "member": "rosa",
        "name": "Rosa",
        "until": (NOW + timedelta(hours=1)).isoformat(),
    }
    quiet = send(engine, session, "my clinic is on Main St")
    assert quiet.session.history[-1][1:] == [
        "my clinic is on Main St",
        NOW.isoformat(),
        TOPIC_PERSON,
    ]


def test_lists_of_answers_are_about_the_plan(engine: Engine) -> None:
    menu = send(engine, onboarded(engine), "MENU")
    # Asked in Basic needs, answered with the menu (which names parts, and no answers).
    assert added(menu)[0][3] == "basic_needs"
    session = send(engine, menu.session, "MENU").session
    assert session.history[-1][3] == TOPIC_PERSON
    session = finish_section(engine, onboarded(engine), ("housing",)).session
    session = send(engine, session, "MENU").session
    listed = send(engine, session, "NEEDS")
    assert [h[3] for h in added(listed)] == [TOPIC_PLAN] * (1 + len(listed.replies))


def test_a_return_to_use_is_about_recovery_whatever_part_is_open(engine: Engine) -> None:
    """42 CFR Part 2: "I used again last night" said in Basic needs is no Basic needs
    answer. A member who may see that part (and not recovery) never sees it or the reply."""
    session = onboarded(engine)  # Basic needs is open
    relapse = send(engine, session, "I used again last night")
    new = added(relapse)
    assert new[0][1] == "I used again last night"
    assert {h[3] for h in new} == {TOPIC_RECOVERY}
    basic_only = Access(frozenset({"basic_needs", "health"}))
    assert not any(basic_only.sees_topic(h[3], asked=True) for h in new)
    assert all(Access(frozenset({PART2_SECTION})).sees_topic(h[3], asked=False) for h in new)
    # The answer to the offer says no more than the parent's next words do.
    declined = send(engine, relapse.session, "no")
    assert not any(basic_only.sees_topic(h[3], asked=True) for h in added(declined))
