"""The claim-to-send window (bot/reminders/sending.py): a reminder whose sender died or got
no answer after its claim is settled by the next taker, by asking Twilio, never lost and
never texted twice. The killed-process version is tests/web/test_kill_sends.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pytest
from redis.asyncio import Redis

from bot.channels.attempts import Outgoing, note_request
from bot.i18n import Catalogs
from bot.reminders.dispatcher import GROUP, Dispatcher
from bot.reminders.planner import Planner
from bot.reminders.store import Appointment
from bot.store.redis_store import RedisConversationStore

from .conftest import FakeClock, make_dispatcher, make_parent

pytestmark = pytest.mark.anyio

STALE = timedelta(seconds=60)
T0 = 1_800_000_000_000  # the machine's clock for claims, in ms


@dataclass
class TwilioLike:
    """A sender that notes each request as the Twilio sender does, keeps what "Twilio"
    accepted, and can lose the answer (a timeout after Twilio took it); it also answers
    the takeover's look at the Messages list."""

    accepted: list[Outgoing] = field(default_factory=list)
    lose_answer: bool = False
    looked: list[str] = field(default_factory=list)

    async def send(self, address: str, text: str) -> str:
        await note_request(address, text)
        sid = f"SM{len(self.accepted):032d}"
        self.accepted.append(Outgoing(sid, address, text))
        if self.lose_answer:
            raise TimeoutError("no answer from Twilio")
        return sid

    async def sent_since(self, to: str, since: datetime) -> list[Outgoing]:
        self.looked.append(to)
        return [m for m in self.accepted if m.to == to]

    async def close(self) -> None:
        return None


class WallClock:
    def __init__(self) -> None:
        self.ms = T0

    def __call__(self) -> int:
        return self.ms


@pytest.fixture(autouse=True)
def _log_level(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.reminders")


def outcomes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.outcome for r in caplog.records if getattr(r, "event", "") == "reminder_dispatch"]


async def one_due(planner: Planner, conversations: RedisConversationStore, clock: FakeClock) -> str:
    """A parent whose day-before reminder is due now; returns its job id."""
    contact = await make_parent(conversations)
    visit = Appointment("a1", contact, "treatment", date(2027, 3, 10), time(14, 0))
    spec = next(s for s in await planner.add(visit) if s.job_id.endswith(":day_before"))
    clock.now = spec.send_at
    firer = planner.scheduler.firer
    assert await firer.fire(spec.job_id, spec.occurrence.isoformat(), spec.send_at.isoformat())
    return spec.job_id


async def two_dispatchers(
    redis: Redis, planner: Planner, sender: TwilioLike, translator: Catalogs, wall: WallClock
) -> tuple[Dispatcher, Dispatcher]:
    """The one that dies (or loses its answer) and the one that takes over (reclaims at once)."""
    made = []
    for _ in range(2):
        dispatcher = await make_dispatcher(
            redis, planner, sender, translator, claim_idle=timedelta(0), lookup=sender
        )
        dispatcher.once.wall_ms = wall
        made.append(dispatcher)
    return made[0], made[1]


async def pending(redis: Redis, planner: Planner) -> int:
    return int((await redis.xpending(planner.scheduler.keys.due, GROUP))["pending"])


async def test_an_unanswered_send_stays_pending_and_the_taker_finds_it_at_twilio(
    redis: Redis,
    planner: Planner,
    conversations: RedisConversationStore,
    translator: Catalogs,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Twilio took the text but the answer was lost: the entry stays pending, a retake
    while the attempt is fresh leaves it alone, and once stale the taker finds the message
    in Twilio's list, marks it sent and texts nothing more."""
    sender, wall = TwilioLike(lose_answer=True), WallClock()
    first, taker = await two_dispatchers(redis, planner, sender, translator, wall)
    await one_due(planner, conversations, clock)
    await first.step(block=False)
    assert await pending(redis, planner) == 1
    sender.lose_answer = False
    wall.ms += 1_000
    await taker.step(block=False)
    assert sender.looked == []
    wall.ms += int(STALE.total_seconds() * 1000)
    await taker.step(block=False)
    assert len(sender.accepted) == 1
    assert sender.looked == ["+12035550142"]
    assert await pending(redis, planner) == 0
    assert outcomes(caplog) == ["unsure", "in_flight", "sent:found"]
    contact = conversations.contact_of("+12035550142")
    last = await planner.store.last_sent(contact)
    assert last is not None
    assert last["sid"] == sender.accepted[0].sid


async def test_a_claim_whose_request_never_went_is_sent_by_the_taker_without_asking(
    redis: Redis,
    planner: Planner,
    conversations: RedisConversationStore,
    translator: Catalogs,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Claimed, then the process died before any request: nothing was noted, so the taker
    knows nothing reached Twilio and sends it, once."""
    sender, wall = TwilioLike(), WallClock()
    _, taker = await two_dispatchers(redis, planner, sender, translator, wall)
    job = await one_due(planner, conversations, clock)
    occurrence = datetime(2027, 3, 10, 19, 0).isoformat() + "+00:00"
    claim = await planner.store.take_send(job, occurrence, "dead", wall.ms, 60_000)
    assert claim.state == "new"
    wall.ms += int(STALE.total_seconds() * 1000)
    await taker.step(block=False)
    await taker.step(block=False)
    assert [m.to for m in sender.accepted] == ["+12035550142"]
    assert sender.looked == []
    assert outcomes(caplog) == ["sent"]


async def test_a_dead_attempt_whose_request_twilio_never_took_is_sent_again_once(
    redis: Redis,
    planner: Planner,
    conversations: RedisConversationStore,
    translator: Catalogs,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A request was noted but Twilio's list has no such message: the taker sends, once."""
    sender, wall = TwilioLike(lose_answer=True), WallClock()
    first, taker = await two_dispatchers(redis, planner, sender, translator, wall)
    await one_due(planner, conversations, clock)
    await first.step(block=False)
    sender.accepted.clear()  # it never reached Twilio after all
    sender.lose_answer = False
    wall.ms += int(STALE.total_seconds() * 1000)
    await taker.step(block=False)
    await taker.step(block=False)
    assert len(sender.accepted) == 1
    assert sender.looked == ["+12035550142"]
    assert outcomes(caplog) == ["unsure", "sent"]
