"""Killing the process that sends, on a 3-primary cluster with two app processes: every due
reminder reaches Twilio once and every care-team alert is processed once by its receiver,
counted at the receivers (a Twilio-compatible server checking auth and Twilio's schema, a
care-team endpoint checking Standard Webhooks signatures), none lost, none twice.

Reminders fall due the way a fired job makes them due (Firer.fire, the job function's own
code: one entry in the due stream behind its guard); APScheduler's firing, leader killed
included, is tests/reminders/test_scheduler.py's. Here the process that leads (it
dispatches every reminder) is killed while its sends are held at the receivers (each
one's gate), with more due entries read but not sent; care-team alerts are posted by both
processes and held too. A reminder is claimed before it is sent (at most once): the test
kills while every dispatch worker waits on Twilio, never between a claim and its send.
"""

from __future__ import annotations

import asyncio
import inspect
import signal
import socket
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
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
from tests.fakes.receiver import Receiver, on_call_directory
from tests.fakes.twilio_server import FakeTwilio
from tests.waiting import eventually
from tests.web.cluster_apps import Apps, running_apps, text_until_saved
from tests.web.conftest import ACCOUNT_SID, AUTH_TOKEN, DATA_KEY, new_phone

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("cluster")]

PARENTS = 16
ONBOARDING = ["hi", "yes", "Sam", "1", "6/14/2026", "06103", "1", "no", "0"]
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


async def test_reminders_and_alerts_in_flight_when_the_sender_is_killed_go_once(
    apps: Apps, redis_cluster_url: str, receivers: tuple[FakeTwilio, Receiver, str]
) -> None:
    twilio, receiver, _ = receivers
    redis: Any = client_for_url(redis_cluster_url)
    cipher = Cipher(parse_key(DATA_KEY))
    store = RedisConversationStore(redis, cipher, prefix=apps.prefix)
    rem_keys = ReminderKeys(apps.prefix)
    reminders = ReminderStore(RedisReminderRecords(redis, cipher, rem_keys))
    clients = [httpx.AsyncClient(base_url=url, timeout=30.0) for url in apps.urls]
    phones = [new_phone() for _ in range(PARENTS)]
    try:

        async def onboard(n: int, phone: str) -> None:
            for turn, body in enumerate(ONBOARDING):
                client = clients[(n + turn) % 2]
                await text_until_saved(lambda c=client: c, phone, body)  # type: ignore[misc]

        await asyncio.gather(*(onboard(n, p) for n, p in enumerate(phones)))
        # From here every send is held at its receiver until the test lets it through.
        twilio.gate.close()
        receiver.gate.close()

        async def crisis(n: int, phone: str) -> None:
            replies, _ = await text_until_saved(lambda: clients[n % 2], phone, CRISIS)
            assert any("988" in r for r in replies)

        await asyncio.gather(*(crisis(n, p) for n, p in enumerate(phones)))
        # One appointment each, three hours from now; its "3h" reminder falls due now.
        firer = Firer(RedisDueLog(redis, rem_keys))
        occurrence = (NOW + timedelta(hours=3)).astimezone(HARTFORD)

        async def falls_due(phone: str) -> None:
            contact = store.keys_for(phone).contact
            await reminders.put(
                Appointment("a1", contact, "other", occurrence.date(), occurrence.time())
            )
            job = job_id(contact, "a1", "3h")
            assert await firer.fire(job, occurrence.isoformat(), NOW.isoformat())

        def held(count: int) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                return twilio.gate.held >= count

            return check

        # The first reminder goes alone and waits at Twilio; the rest fall due meanwhile,
        # so that once it is through the dispatcher reads them in one batch.
        await falls_due(phones[0])
        await eventually(held(1), SETTLE_S, "the first reminder at Twilio")
        for phone in phones[1:]:
            await falls_due(phone)
        twilio.gate.admit(1)
        workers = inspect.signature(Dispatcher).parameters["concurrency"].default

        async def in_flight() -> bool:
            # Every dispatch worker waits on Twilio (none is between its claim and its
            # send), and every parent's alert has reached the receiver (every job exists).
            return await held(workers)() and len(set(receiver.gate.seen)) >= PARENTS

        await eventually(in_flight, SETTLE_S, "sends held at both receivers")
        pending = await redis.xpending(rem_keys.due, GROUP)
        by_pid = {_consumer_pid(c["name"]): int(c["pending"]) for c in pending["consumers"]}
        # The dispatcher (the reminders' leader) is the one to die, with reminders held at
        # Twilio and more read but not yet sent.
        [(victim_pid, read)] = [(pid, n) for pid, n in by_pid.items() if n]
        assert read == PARENTS - 1 > workers
        victim = next(p for p in apps.processes if p.pid == victim_pid)
        survivor = next(p for p in apps.processes if p is not victim)
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(10) == -signal.SIGKILL
        twilio.gate.open()
        receiver.gate.open()

        async def done(stream: str, name: str) -> bool:
            group = next(g for g in await redis.xinfo_groups(stream) if g["name"] == name.encode())
            return bool(group["pending"] == 0 and group["lag"] == 0)

        async def settled() -> bool:
            # Reminders, and the alerts' tries (the care team's due stream), all done.
            return (
                await done(rem_keys.due, GROUP)
                and await done(rem_keys.due_of(CARETEAM), CARETEAM)
                and len(receiver.processed()) >= PARENTS
            )

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
        for client in clients:
            await client.aclose()
        await store.close()
