"""REMINDERS and cancel-by-number: the engine's events in the outbox, the texts back out."""

from __future__ import annotations

from datetime import date, time

import pytest
from redis.asyncio import Redis

from bot.engine.events import Event, ReminderCancelRequested, RemindersListRequested
from bot.engine.session import Session
from bot.i18n import Catalogs, short_date
from bot.reminders.intake import Intake, add_appointment
from bot.reminders.planner import Planner
from bot.reminders.texts import LIST_MAX, WHAT, fits
from bot.store.crypto import Cipher
from bot.store.keys.reminders import job_id
from bot.store.redis_store import RedisConversationStore

from .conftest import RecordingSender, make_intake, make_parent, set_status
from .test_texts import forbidden_in

pytestmark = pytest.mark.anyio

ADDRESS = "+12035550142"


@pytest.fixture
def intake(
    redis: Redis,
    cipher: Cipher,
    conversations: RedisConversationStore,
    planner: Planner,
    sender: RecordingSender,
    shipped_catalogs: Catalogs,
) -> Intake:
    return make_intake(redis, cipher, conversations, planner, sender, shipped_catalogs)


async def emit(conversations: RedisConversationStore, event: Event) -> None:
    """What the engine does on REMINDERS, or on a bare number right after the list."""

    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        return session, [], [event]

    await conversations.transact(ADDRESS, None, apply)


async def answer(
    conversations: RedisConversationStore, intake: Intake, sender: RecordingSender, event: Event
) -> str:
    """Emit the event, let intake handle it, return the one text it sent back."""
    before = len(sender.sent)
    await emit(conversations, event)
    await intake.ensure_group()
    await intake.step(block=False)
    assert len(sender.sent) == before + 1, sender.sent
    address, text = sender.sent[-1]
    assert address == ADDRESS
    return text


async def plan_three(planner: Planner, contact: str) -> None:
    """A weekly support, a later one-off and one already cancelled (never listed)."""
    plan_id = contact.strip("{}")
    await add_appointment(planner, plan_id, kind="other", day=date(2027, 3, 20), at=time(9, 0))
    await add_appointment(
        planner, plan_id, kind="treatment", day=date(2027, 3, 2), at=time(9, 0), repeat="weekly"
    )
    gone = await add_appointment(
        planner, plan_id, kind="wic", day=date(2027, 3, 10), at=time(11, 0)
    )
    await planner.cancel(contact, gone.id)


async def test_reminders_lists_what_is_coming_and_a_number_cancels_that_one(
    conversations: RedisConversationStore,
    planner: Planner,
    intake: Intake,
    sender: RecordingSender,
) -> None:
    """The list is numbered soonest first, discreet; "2" cancels the second one, its jobs
    go, and the next list has moved up."""
    contact = await make_parent(conversations)
    await plan_three(planner, contact)
    listed = await answer(conversations, intake, sender, RemindersListRequested())
    assert listed == (
        "Coming up:\n1. Tue, Mar 9 at 9:00 AM\n2. Sat, Mar 20 at 9:00 AM\n"
        "Reply a number to cancel one."
    )
    done = await answer(conversations, intake, sender, ReminderCancelRequested(2))
    assert done == "OK, that one is cancelled."
    kinds = {a.kind: a for a in await planner.store.appointments(contact)}
    assert kinds["other"].status == "cancelled"
    assert kinds["treatment"].status == "scheduled"
    assert await planner.scheduler.planned(job_id(contact, kinds["other"].id, "2h")) is None
    again = await answer(conversations, intake, sender, RemindersListRequested())
    assert again == "Coming up:\n1. Tue, Mar 9 at 9:00 AM\nReply a number to cancel one."


async def test_a_number_not_on_the_list_is_said_kindly(
    conversations: RedisConversationStore,
    planner: Planner,
    intake: Intake,
    sender: RecordingSender,
) -> None:
    """Out of range (or 0): nothing is cancelled; the parent is told how to see the list."""
    contact = await make_parent(conversations)
    await plan_three(planner, contact)
    for number in (3, 0):
        text = await answer(conversations, intake, sender, ReminderCancelRequested(number))
        assert text == f"I could not find number {number}. Reply REMINDERS to see the list."
    statuses = sorted(a.status for a in await planner.store.appointments(contact))
    assert statuses == ["cancelled", "scheduled", "scheduled"]


async def test_nothing_coming_up_gets_a_kind_answer(
    conversations: RedisConversationStore, intake: Intake, sender: RecordingSender
) -> None:
    """An empty list is not a list: a kind line and how to add one."""
    await make_parent(conversations)
    text = await answer(conversations, intake, sender, RemindersListRequested())
    assert text == "Nothing is coming up. To add a reminder, reply REMINDER."


async def test_a_redelivered_cancel_cancels_only_once(
    conversations: RedisConversationStore,
    planner: Planner,
    intake: Intake,
    sender: RecordingSender,
) -> None:
    """The same outbox entry handled twice (a crash before the ack): one cancel, one text,
    although "1" then names the next appointment."""
    contact = await make_parent(conversations)
    await plan_three(planner, contact)
    await emit(conversations, ReminderCancelRequested(1))
    [entry] = await conversations.read_outbox()
    await intake.handle(entry)
    await intake.handle(entry)
    assert sender.sent == [(ADDRESS, "OK, that one is cancelled.")]
    statuses = sorted(a.status for a in await planner.store.appointments(contact))
    assert statuses == ["cancelled", "cancelled", "scheduled"]


@pytest.mark.parametrize("locale", ["es", "pt_BR"])
async def test_the_list_is_in_the_parents_language_zone_and_discreet(
    locale: str,
    conversations: RedisConversationStore,
    planner: Planner,
    intake: Intake,
    sender: RecordingSender,
    shipped_catalogs: Catalogs,
) -> None:
    """Dates and times by Babel in the parent's language, on the parent's own clock (9:00
    in Los Angeles), with no kind words unless detail was chosen."""
    contact = await make_parent(conversations, locale=locale, timezone="America/Los_Angeles")
    await plan_three(planner, contact)
    text = await answer(conversations, intake, sender, RemindersListRequested())
    first = f"1. {short_date(locale, date(2027, 3, 9))}"
    assert first in text
    assert shipped_catalogs.format_time(locale, time(9, 0)) in text
    assert forbidden_in(text) == []
    assert fits(text)


async def test_detailed_lists_name_the_kind_and_stay_within_two_segments(
    conversations: RedisConversationStore,
    planner: Planner,
    intake: Intake,
    sender: RecordingSender,
) -> None:
    """With detail chosen each line says what it is; seven long lines do not fit, so fewer
    are numbered, and a number past them is not on the list."""
    contact = await make_parent(conversations, prefs={"detailed_reminders": True})
    plan_id = contact.strip("{}")
    for day in range(10, 17):
        await add_appointment(
            planner, plan_id, kind="treatment", day=date(2027, 3, day), at=time(10, 30)
        )
    text = await answer(conversations, intake, sender, RemindersListRequested())
    lines = [line for line in text.splitlines() if line[:1].isdigit()]
    assert lines[0] == "1. Wed, Mar 10 at 10:30 AM: " + WHAT["treatment"]
    assert 1 <= len(lines) < LIST_MAX
    assert fits(text)
    beyond = len(lines) + 1
    text = await answer(conversations, intake, sender, ReminderCancelRequested(beyond))
    assert text.startswith(f"I could not find number {beyond}.")


async def test_a_stopped_parent_gets_no_list(
    conversations: RedisConversationStore,
    planner: Planner,
    intake: Intake,
    sender: RecordingSender,
) -> None:
    """After STOP nothing is texted, not even an answer to an earlier REMINDERS."""
    await make_parent(conversations)
    await emit(conversations, RemindersListRequested())
    await set_status(conversations, ADDRESS, "opted_out")
    await intake.ensure_group()
    await intake.step(block=False)
    assert sender.sent == []


async def test_a_failed_answer_counts_toward_cant_reach(
    conversations: RedisConversationStore,
    planner: Planner,
    intake: Intake,
    sender: RecordingSender,
) -> None:
    """The API refusing the text is a failed delivery like any other."""
    contact = await make_parent(conversations)
    sender.fail = True
    await emit(conversations, RemindersListRequested())
    await intake.ensure_group()
    await intake.step(block=False)
    assert await planner.store.record_failure(contact, "probe", date(2027, 3, 8)) == (2, 1)
