"""Killing the process that sends, on a 3-primary cluster with two app processes: every due
reminder reaches Twilio once and every care-team alert is processed once by its receiver,
counted at the receivers (a Twilio-compatible server checking auth and Twilio's schema, a
care-team endpoint checking Standard Webhooks signatures), none lost, none twice.

Reminders fall due the way a fired job makes them due (Firer.fire, the job function's own
code: one entry in the due stream behind its guard); APScheduler's firing, leader killed
included, is tests/reminders/test_scheduler.py's. Here the process that leads (it
dispatches every reminder) is killed while its sends are held at the receivers (each
one's gate), with more due entries read but not sent; care-team alerts are posted by both
processes and held too. The first test kills while every dispatch worker waits on Twilio;
the second kills inside the claim-to-send window (bot/reminders/sending.py), with requests
either held before Twilio takes them (then dropped) or taken and their answers held, the
takeover settling each by Twilio's Messages list.
"""

from __future__ import annotations

import asyncio
import inspect
import signal
import socket
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.careteam.delivery.timer import GROUP as CARETEAM
from bot.careteam.directory import new_webhook_secret
from bot.reminders.dispatcher import GROUP, Dispatcher
from bot.reminders.store import Appointment, ReminderStore
from bot.scheduling.firing import Firer
from bot.store.client import client_for_url
from bot.store.crypto import Cipher, parse_key
from bot.store.keys.reminders import ReminderKeys, job_id
from bot.store.redis_store import RedisConversationStore
from bot.store.reminder_jobs_redis import RedisDueLog
from bot.store.reminder_records_redis import RedisReminderRecords
from tests.clock import NOW
from tests.fakes import Gate
from tests.fakes.receiver import Receiver, on_call_directory
from tests.fakes.twilio_server import FakeTwilio
from tests.waiting import eventually
from tests.web.cluster_apps import Apps, running_apps, text_until_saved
from tests.web.conftest import ACCOUNT_SID, AUTH_TOKEN, DATA_KEY, new_phone

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("cluster")]

PARENTS = 16
ONBOARDING = ["hi", "yes", "Sam", "no", "1", "6/14/2026", "06103", "1", "0"]
CRISIS = "I want to die"
HARTFORD = ZoneInfo("America/New_York")
# Generous for a loaded machine: everything here waits on a condition, never a fixed time.
SETTLE_S = 120.0


@pytest.fixture
def receivers() -> Iterator[tuple[FakeTwilio, Receiver, str]]:
    secret = new_webhook_secret()
    receiver = Receiver({"hope_on_call": secret}).start()
    twilio = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    try:
        yield twilio, receiver, secret
    finally:
        twilio.gate.open()
        receiver.gate.open()
        twilio.stop()
        receiver.stop()


@pytest.fixture
def apps(
    redis_cluster_url: str, tmp_path: Path, receivers: tuple[FakeTwilio, Receiver, str]
) -> Iterator[Apps]:
    twilio, receiver, secret = receivers
    env = {
        "TWILIO_API_BASE_URL": twilio.base_url,
        # The endpoint's timeout stays under the quick delivery lease (tests/web/serve_app.py).
        "CARE_TEAM_FILE": str(on_call_directory(tmp_path, receiver, secret, timeout_s=15)),
        "REMINDERS_SEND_RATE": "1000",
        "REMINDERS_SEND_BURST": "1000",
        "TEST_QUICK_TAKEOVER": "1",
    }
    with running_apps(redis_cluster_url, tmp_path, env=env) as started:
        yield started


def _consumer_pid(name: Any) -> int:
    """The pid in a consumer's name, `{host}-{pid}-{random}` (bot/reminders/wiring.py)."""
    text = name.decode() if isinstance(name, bytes) else str(name)
    return int(text.removeprefix(socket.gethostname() + "-").split("-")[0])


@dataclass
class Scene:
    """The apps' keyspace as the test drives it: parents texting in, reminders falling due,
    the consumer groups' progress."""

    redis: Any
    store: RedisConversationStore
    rem_keys: ReminderKeys
    reminders: ReminderStore
    clients: list[httpx.AsyncClient]
    phones: list[str]

    @classmethod
    def of(cls, apps: Apps, redis_url: str, parents: int) -> Scene:
        redis: Any = client_for_url(redis_url)
        cipher = Cipher(parse_key(DATA_KEY))
        rem_keys = ReminderKeys(apps.prefix)
        return cls(
            redis,
            RedisConversationStore(redis, cipher, prefix=apps.prefix),
            rem_keys,
            ReminderStore(RedisReminderRecords(redis, cipher, rem_keys)),
            [httpx.AsyncClient(base_url=url, timeout=30.0) for url in apps.urls],
            [new_phone() for _ in range(parents)],
        )

    async def onboard(self) -> None:
        async def one(n: int, phone: str) -> None:
            for turn, body in enumerate(ONBOARDING):
                client = self.clients[(n + turn) % 2]
                await text_until_saved(lambda c=client: c, phone, body)  # type: ignore[misc]

        await asyncio.gather(*(one(n, p) for n, p in enumerate(self.phones)))

    async def crisis(self) -> None:
        async def one(n: int, phone: str) -> None:
            replies, _ = await text_until_saved(lambda: self.clients[n % 2], phone, CRISIS)
            assert any("988" in r for r in replies)

        await asyncio.gather(*(one(n, p) for n, p in enumerate(self.phones)))

    async def falls_due(self, phone: str) -> None:
        """One appointment three hours from now; its "3h" reminder falls due now."""
        occurrence = (NOW + timedelta(hours=3)).astimezone(HARTFORD)
        contact = self.store.keys_for(phone).contact
        await self.reminders.put(
            Appointment("a1", contact, "other", occurrence.date(), occurrence.time())
        )
        job = job_id(contact, "a1", "3h")
        firer = Firer(RedisDueLog(self.redis, self.rem_keys))
        assert await firer.fire(job, occurrence.isoformat(), NOW.isoformat())

    async def dispatcher_pid(self) -> tuple[int, int]:
        """(the pid of the one process with due reminders read, how many it read)."""
        pending = await self.redis.xpending(self.rem_keys.due, GROUP)
        by_pid = {_consumer_pid(c["name"]): int(c["pending"]) for c in pending["consumers"]}
        [(pid, read)] = [(pid, n) for pid, n in by_pid.items() if n]
        return pid, read

    async def done(self, stream: str, name: str) -> bool:
        groups = await self.redis.xinfo_groups(stream)
        group = next(g for g in groups if g["name"] == name.encode())
        return bool(group["pending"] == 0 and group["lag"] == 0)

    async def settled(self, receiver: Receiver) -> bool:
        """Reminders, and the alerts' tries (the care team's due stream), all done."""
        return (
            await self.done(self.rem_keys.due, GROUP)
            and await self.done(self.rem_keys.due_of(CARETEAM), CARETEAM)
            and len(receiver.processed()) >= len(self.phones)
        )

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()
        await self.store.close()


def held(gate: Gate, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return gate.held >= count

    return check


async def test_reminders_and_alerts_in_flight_when_the_sender_is_killed_go_once(
    apps: Apps, redis_cluster_url: str, receivers: tuple[FakeTwilio, Receiver, str]
) -> None:
    twilio, receiver, _ = receivers
    scene = Scene.of(apps, redis_cluster_url, PARENTS)
    phones = scene.phones
    try:
        await scene.onboard()
        # From here every send is held at its receiver until the test lets it through.
        twilio.gate.close()
        receiver.gate.close()
        await scene.crisis()
        # The first reminder goes alone and waits at Twilio; the rest fall due meanwhile,
        # so that once it is through the dispatcher reads them in one batch.
        await scene.falls_due(phones[0])
        await eventually(held(twilio.gate, 1), SETTLE_S, "the first reminder at Twilio")
        for phone in phones[1:]:
            await scene.falls_due(phone)
        twilio.gate.admit(1)
        workers = inspect.signature(Dispatcher).parameters["concurrency"].default

        async def in_flight() -> bool:
            # Every dispatch worker waits on Twilio (none is between its claim and its
            # send), and every parent's alert has reached the receiver (every job exists).
            return await held(twilio.gate, workers)() and len(set(receiver.gate.seen)) >= PARENTS

        await eventually(in_flight, SETTLE_S, "sends held at both receivers")
        # The dispatcher (the reminders' leader) is the one to die, with reminders held at
        # Twilio and more read but not yet sent.
        victim_pid, read = await scene.dispatcher_pid()
        assert read == PARENTS - 1 > workers
        victim = next(p for p in apps.processes if p.pid == victim_pid)
        survivor = next(p for p in apps.processes if p is not victim)
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(10) == -signal.SIGKILL
        twilio.gate.open()
        receiver.gate.open()

        async def settled() -> bool:
            return await scene.settled(receiver)

        await eventually(settled, SETTLE_S, "reminders acknowledged and alert jobs finished")
        assert survivor.poll() is None  # the survivor did the rest
        sent = Counter(m.to for m in twilio.messages)
        assert sent == Counter(phones)  # each parent's reminder once, and nothing else
        assert all(m.body for m in twilio.messages)
        processed = receiver.processed()
        assert [r.body["type"] for r in processed] == ["plan.crisis"] * PARENTS
        assert len({r.webhook_id for r in processed}) == PARENTS
        assert len({r.body["plan_id"] for r in processed}) == PARENTS
        assert receiver.refused == []  # every request carried a good signature
    finally:
        await scene.close()


WINDOW_PARENTS = 5


@pytest.mark.parametrize("half", ["before_twilio", "after_twilio"])
async def test_a_sender_killed_between_claim_and_sent_texts_each_reminder_once(
    apps: Apps, redis_cluster_url: str, receivers: tuple[FakeTwilio, Receiver, str], half: str
) -> None:
    """Killed inside the claim-to-send window (bot/reminders/sending.py), in both halves:
    every reminder claimed and its create request made, then either the request never
    reaches Twilio (held, then dropped: the survivor finds no message and sends) or Twilio
    accepted it and the answer never came back (the survivor finds it in Twilio's list
    and sends nothing). Either way each parent gets the reminder exactly once. The alerts
    of a crisis text each, held the same way at the care team's receiver (posted by both
    processes), are each processed once too: a post is retried until its job is finished,
    under one webhook-id the receiver dedupes."""
    twilio, receiver, _ = receivers
    scene = Scene.of(apps, redis_cluster_url, WINDOW_PARENTS)
    phones = scene.phones
    gate = twilio.gate if half == "before_twilio" else twilio.reply_gate
    alerts = receiver.gate if half == "before_twilio" else receiver.reply_gate
    try:
        await scene.onboard()
        gate.close()
        alerts.close()
        await scene.crisis()
        await eventually(held(alerts, WINDOW_PARENTS), SETTLE_S, "every alert's post held")
        # As above: the first goes alone (and through), the rest are read in one batch and
        # are all in the window at once.
        await scene.falls_due(phones[0])
        await eventually(held(gate, 1), SETTLE_S, "the first reminder at the gate")
        for phone in phones[1:]:
            await scene.falls_due(phone)
        gate.admit(1)
        window = WINDOW_PARENTS - 1
        await eventually(held(gate, window), SETTLE_S, "the others held in the window")
        assert len(twilio.messages) == (1 if half == "before_twilio" else WINDOW_PARENTS)
        victim_pid, read = await scene.dispatcher_pid()
        assert read == window
        victim = next(p for p in apps.processes if p.pid == victim_pid)
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(10) == -signal.SIGKILL
        if half == "before_twilio":
            gate.drop_held()  # the requests die with the process: Twilio never had them
            alerts.drop_held()  # and the posts (the survivor's own come back as 503s)
        gate.open()
        alerts.open()

        async def settled() -> bool:
            return await scene.settled(receiver)

        await eventually(settled, SETTLE_S, "every reminder and alert settled by the survivor")
        assert Counter(m.to for m in twilio.messages) == Counter(phones)
        processed = receiver.processed()
        assert [r.body["type"] for r in processed] == ["plan.crisis"] * WINDOW_PARENTS
        assert len({r.body["plan_id"] for r in processed}) == WINDOW_PARENTS
        # The survivor asked Twilio about each held one (their requests were noted).
        listed = {r.params["To"][0] for r in twilio.requests if r.status == 200}
        assert set(phones[1:]) <= listed
    finally:
        await scene.close()
