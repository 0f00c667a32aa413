"""End to end with a fake clock: a reminder the engine promised ("today around 7:45 PM") is
scheduled by the intake from the engine's own event and texted by the dispatcher at that
time, and nothing goes out in quiet hours (20:00-09:00 in the parent's zone) or after the
appointment; a weekly one ("every Tuesday around 6:00 PM") goes so every week. Time moves
in 5-minute ticks through the night, as a leader's wake-ups do."""

from __future__ import annotations

from collections.abc import Awaitable, Iterator, Sequence
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from bot.engine.events import Event, ReminderRequested
from bot.engine.machine import Engine, StepResult
from bot.engine.reminder_times import QuietHours, wall
from bot.engine.session import Session
from bot.flows import build_engine
from bot.i18n import Catalogs
from bot.reminders.dispatcher import Dispatcher
from bot.reminders.planner import Planner
from bot.store.crypto import Cipher
from bot.store.redis_store import RedisConversationStore
from tests.engine.test_plan_commands import NOW, onboarded

from .conftest import FakeClock, RecordingSender, make_intake

pytestmark = pytest.mark.anyio

ADDRESS = "+12035550142"
NY = ZoneInfo("America/New_York")
QUIET = QuietHours(time(20, 0), time(9, 0))
TICK = timedelta(minutes=5)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_engine()


def add_reminder(
    engine: Engine, day: str, at: str, kind: str, now: datetime, best_time: str, repeat: str = "1"
) -> StepResult:
    """A parent in Hartford adds one on Monday 2026-11-23 at `now` (repeat "2": every week)."""
    session = onboarded(engine)
    session.plan.answers["onboarding"]["best_time"] = best_time
    for text in ("REMINDER", kind, day, at, repeat):
        session = engine.step(session, text, now).session
    return engine.step(session, "yes", now)


def ticks(start: datetime, end: datetime) -> Iterator[datetime]:
    while start <= end:
        yield start
        start += TICK


Texted = list[tuple[datetime, str]]


class RunClock(Protocol):
    def __call__(
        self, result: StepResult, start: datetime, until: datetime, resyncs: Sequence[datetime] = ()
    ) -> Awaitable[Texted]: ...


@pytest.fixture
def run_clock(
    redis: Redis,
    cipher: Cipher,
    conversations: RedisConversationStore,
    planner: Planner,
    dispatcher: Dispatcher,
    sender: RecordingSender,
    translator: Catalogs,
    clock: FakeClock,
) -> RunClock:
    """Save a turn as the service does, let the intake plan it at the turn's time, then run
    the clock from `start` to `until`, re-planning everything (Planner.resync, as a change of
    zone or best time does) at each of `resyncs`: when each text went, and what it said."""

    async def run(
        result: StepResult, start: datetime, until: datetime, resyncs: Sequence[datetime] = ()
    ) -> Texted:
        def apply(_: Session) -> tuple[Session, list[str], list[Event]]:
            return result.session, result.replies, list(result.events)

        clock.now = start
        await conversations.transact(ADDRESS, None, apply)
        intake = make_intake(redis, cipher, conversations, planner, RecordingSender(), translator)
        await intake.ensure_group()
        assert await intake.step(block=False) == 1
        texted: Texted = []
        pending = sorted(resyncs)
        for now in ticks(start, until):
            while pending and pending[0] <= now:
                clock.now = pending.pop(0)
                await planner.resync(conversations.keys_for(ADDRESS).contact)
            clock.now = now
            await planner.scheduler.run_due(now)
            await dispatcher.step(block=False)
            texted += [(now, text) for _, text in sender.sent[len(texted) :]]
        return texted

    return run


@pytest.mark.parametrize(
    ("added", "day", "at", "kind", "promised", "text"),
    [
        # 8:30 am: 3 hours before is in quiet hours, 9 am too late: the evening before.
        (
            "10:00 morning",
            "tomorrow",
            "8:30am",
            "1",
            {"today around 7:45 PM": "2026-11-23 19:45"},
            "Reminder: your appointment is tomorrow, Tue, Nov 24 at 8:30 AM.",
        ),
        # 6 am, itself in quiet hours: the evening before as well.
        (
            "10:00 morning",
            "tomorrow",
            "6am",
            "4",
            {"today around 7:45 PM": "2026-11-23 19:45"},
            "Reminder: your appointment is tomorrow, Tue, Nov 24 at 6:00 AM.",
        ),
        # Wednesday 10 am: Tuesday at the best time, and Wednesday at 9 am, not at 7.
        (
            "10:00 morning",
            "11/25",
            "10am",
            "1",
            {
                "tomorrow around 10:00 AM": "2026-11-24 10:00",
                "on Wed, Nov 25 around 9:00 AM": "2026-11-25 09:00",
            },
            "Reminder: your appointment is today at 10:00 AM.",
        ),
        # At 6:30 pm, best time "evening": "the day before" at 6 pm has just gone, and the
        # evening-before one (7:45 pm) still goes, though it is close to that 6 pm.
        (
            "18:30 evening",
            "tomorrow",
            "8:30am",
            "1",
            {"today around 7:45 PM": "2026-11-23 19:45"},
            "Reminder: your appointment is tomorrow, Tue, Nov 24 at 8:30 AM.",
        ),
    ],
)
async def test_the_promised_reminders_go_at_the_promised_times_and_never_in_quiet_hours(
    engine: Engine,
    added: str,
    day: str,
    at: str,
    kind: str,
    promised: dict[str, str],
    text: str,
    run_clock: RunClock,
) -> None:
    clock_time, best_time = added.split()
    now = datetime.combine(NOW.astimezone(NY).date(), time.fromisoformat(clock_time), NY)
    result = add_reminder(engine, day, at, kind, now, best_time)
    promise = result.replies[0].split("\n")[0]
    for when in promised:
        assert when in promise
    [asked] = [e for e in result.events if isinstance(e, ReminderRequested)]
    starts = wall(asked.answers["date"], asked.answers["time"], NY)
    texted = await run_clock(result, now, starts + timedelta(hours=1))
    # Nothing at all in quiet hours (the plan's "time to book" offers go too, by day).
    assert not [t for t, _ in texted if QUIET.contains(t.astimezone(NY).time())]
    reminders = [(t, said) for t, said in texted if said.startswith("Reminder:")]
    assert len(reminders) == len(promised)
    for (sent_at, _), local_time in zip(reminders, promised.values(), strict=True):
        assert sent_at < starts
        # "around 7:45 PM": at that time, or up to the planner's jitter (10 min) and one tick.
        said = datetime.fromisoformat(local_time).replace(tzinfo=NY)
        assert said <= sent_at <= said + timedelta(minutes=15), (local_time, sent_at)
    assert reminders[-1][1].startswith(text)


async def test_a_weekly_reminder_goes_every_week_at_the_promised_times(
    engine: Engine, run_clock: RunClock
) -> None:
    """A recovery meeting Wednesdays at 7 pm, best time evening: the promise says every
    Tuesday around 6 PM and every Wednesday around 5 PM, from tomorrow, and for three weeks
    that is when the reminders go, and nothing else does."""
    now = datetime.combine(NOW.astimezone(NY).date(), time(10, 0), NY)
    result = add_reminder(engine, "11/25", "7pm", "5", now, "evening", repeat="2")
    promise = result.replies[0].split("\n")[0]
    assert promise == (
        "Got it. We'll text you a reminder every Tuesday around 6:00 PM, "
        "and another every Wednesday around 5:00 PM, starting tomorrow."
    )
    [asked] = [e for e in result.events if isinstance(e, ReminderRequested)]
    assert asked.answers["repeat"] == "weekly"
    last = wall(asked.answers["date"] + timedelta(weeks=2), asked.answers["time"], NY)
    texted = await run_clock(result, now, last + timedelta(hours=1))
    assert not [t for t, _ in texted if QUIET.contains(t.astimezone(NY).time())]
    sent = [t.astimezone(NY) for t, said in texted if said.startswith("Reminder:")]
    promised = [
        datetime(2026, 11, 24, 18, 0, tzinfo=NY),
        datetime(2026, 11, 25, 17, 0, tzinfo=NY),
        datetime(2026, 12, 1, 18, 0, tzinfo=NY),
        datetime(2026, 12, 2, 17, 0, tzinfo=NY),
        datetime(2026, 12, 8, 18, 0, tzinfo=NY),
        datetime(2026, 12, 9, 17, 0, tzinfo=NY),
    ]
    assert len(sent) == len(promised), sent
    for sent_at, said in zip(sent, promised, strict=True):
        assert said <= sent_at <= said + timedelta(minutes=15), (said, sent_at)


async def test_a_resync_after_the_day_before_text_sends_no_text_the_promise_left_out(
    engine: Engine, run_clock: RunClock
) -> None:
    """A prenatal visit Tuesdays at 8:30 am, best time evening, added Monday at 10 am: the
    promise is every Monday around 6 PM only (7:45 pm is too close to it). The parent
    changes their zone or best time at 6:12 pm on each Monday, after that day's text went:
    the re-plan adds no 7:45 pm text, and for two weeks the texts are the promised ones (#14)."""
    now = datetime.combine(NOW.astimezone(NY).date(), time(10, 0), NY)
    result = add_reminder(engine, "tomorrow", "8:30am", "1", now, "evening", repeat="2")
    promise = result.replies[0].split("\n")[0]
    assert promise == (
        "Got it. We'll text you a reminder every Monday around 6:00 PM, starting today."
    )
    mondays = [datetime(2026, 11, 23, 18, 12, tzinfo=NY), datetime(2026, 11, 30, 18, 12, tzinfo=NY)]
    until = datetime(2026, 12, 1, 9, 30, tzinfo=NY)
    texted = await run_clock(result, now, until, mondays)
    sent = [t.astimezone(NY) for t, said in texted if said.startswith("Reminder:")]
    promised = [datetime(2026, 11, 23, 18, 0, tzinfo=NY), datetime(2026, 11, 30, 18, 0, tzinfo=NY)]
    assert len(sent) == len(promised), sent
    for sent_at, said in zip(sent, promised, strict=True):
        assert said <= sent_at <= said + timedelta(minutes=15), (said, sent_at)
