"""Floods: one phone's 200 signed texts and 30 cookie-less chats asking for a person.

    .venv/bin/python bench/bench_floods.py [--texts 200] [--chats 30]
                                            [--redis-url redis://127.0.0.1:6379/15]

The real app (create_app, live-Twilio mode so texts are signature-checked, default flood
settings) runs in this process with its lifespan, its delivery worker posting on-call
alerts to the fake care-team receiver (tests/fakes/receiver.py) on 127.0.0.1. Requests go
through httpx's ASGI transport, all from one client address: nothing leaves loopback.

  * one phone sends --texts signed inbound texts (onboarding answers, TALK every 20th);
  * --chats web chats, each started without a cookie, send hi / YES / Sam / TALK.

Then it waits for the delivery worker to go quiet and prints, as a markdown table, what
got through against each limit: texts answered, kind "too many" texts, silences; chats
started; open requests in the inbox; on-call pages per parent. Keys live under a private
prefix and are deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import secrets
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from bench.bench_webhook import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    DATA_KEY,
    FROM_NUMBER,
    PUBLIC_BASE_URL,
)
from bot.careteam.directory import new_webhook_secret  # noqa: E402
from bot.channels.webchat import COOKIE_NAME  # noqa: E402
from bot.dashboard.inbox import wants_person  # noqa: E402
from bot.floods import OVER_LIMIT  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.fakes.receiver import Receiver, on_call_directory  # noqa: E402

CLIENT = ("198.51.100.7", 50000)
PHONE_SCRIPT = ["hi", "yes", "Sam", "1", "06103", "menu", "help me", "ok", "2", "no"]
CHAT_SCRIPT = ["hi", "YES", "Sam", "TALK"]
SETTLE_S, SETTLE_CAP_S = 2.0, 20.0
HANDOFF = "plan.handoff_requested"


def sign(form: dict[str, str]) -> str:
    from twilio.request_validator import RequestValidator

    return str(
        RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + "/twilio/sms", form)
    )


def inbound(phone: str, body: str) -> dict[str, str]:
    sid = "SM" + secrets.token_hex(16)
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": phone,
        "To": FROM_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }


@dataclass
class Tally:
    answered: int = 0
    told: int = 0
    silent: int = 0

    def add(self, replies: list[str], over_text: str) -> None:
        if not replies:
            self.silent += 1
        elif replies[0] == over_text:
            self.told += 1
        else:
            self.answered += 1


async def run(args: argparse.Namespace) -> None:
    await with_app(
        args.redis_url,
        "floods",
        lambda application, settings, receiver: drive(application, settings, args, receiver),
    )


# What a bench does with the running app, its settings and the on-call receiver.
Drive = Callable[[Any, Settings, Receiver], Awaitable[None]]


async def with_app(redis_url: str, name: str, drive: Drive) -> None:
    """The real app with its lifespan, live-Twilio mode, on-call alerts to the fake receiver,
    its keys under a private prefix deleted afterwards."""
    secret = new_webhook_secret()
    receiver = Receiver({"hope_on_call": secret}).start()
    prefix = f"bench:{name}:{secrets.token_hex(4)}:"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            redis_url=redis_url,
            twilio_account_sid=ACCOUNT_SID,
            twilio_auth_token=AUTH_TOKEN,
            twilio_from_number=FROM_NUMBER,
            twilio_api_base_url="http://127.0.0.1:9",  # nothing is sent: replies are TwiML
            public_base_url=PUBLIC_BASE_URL,
            data_encryption_key=DATA_KEY,
            care_team_file=on_call_directory(Path(tmp), receiver, secret),
            var_dir=Path(tmp) / "var",
            log_level="ERROR",
        )
        application = create_app(settings, key_prefix=prefix)
        try:
            async with application.router.lifespan_context(application):
                await drive(application, settings, receiver)
        finally:
            receiver.stop()
            redis = Redis.from_url(redis_url)
            async for key in redis.scan_iter(match=f"{prefix}*", count=1000):
                await redis.unlink(key)
            await redis.aclose()


async def drive(
    application: Any, settings: Settings, args: argparse.Namespace, receiver: Receiver
) -> None:
    runtime = application.state.runtime
    over_text = runtime.service.gettext("en", OVER_LIMIT)
    transport = httpx.ASGITransport(app=application, client=CLIENT)
    phone = f"+1860555{secrets.randbelow(10_000):04d}"
    sms, chats = Tally(), Tally()
    started = time.perf_counter()
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        for n in range(args.texts):
            body = "TALK" if n % 20 == 19 else PHONE_SCRIPT[n % len(PHONE_SCRIPT)]
            form = inbound(phone, body)
            response = await http.post(
                "/twilio/sms", data=form, headers={"X-Twilio-Signature": sign(form)}
            )
            response.raise_for_status()
            root = ET.fromstring(response.text)  # noqa: S314 - our own app's TwiML
            sms.add([m.text or "" for m in root.findall("Message")], over_text)
        sms_s = time.perf_counter() - started
        chat_ids = []
        started = time.perf_counter()
        for _ in range(args.chats):
            http.cookies.clear()  # each chat starts without a cookie
            for text in CHAT_SCRIPT:
                response = await http.post("/chat/messages", json={"text": text})
                response.raise_for_status()
                chats.add(response.json()["replies"], over_text)
            chat_ids.append(http.cookies[COOKIE_NAME])
        chat_s = time.perf_counter() - started
    pages = await settle(lambda: len(handoff_pages(receiver)))
    store = runtime.service.store
    sessions = [await store.load(f"web:{chat_id}") for chat_id in chat_ids]
    started_chats = [s for s in sessions if s is not None]
    inbox = sum(1 for s in started_chats if wants_person(s))
    phone_session = await store.load(phone)
    per_parent = Counter(handoff_pages(receiver))
    s = settings
    asked = "yes" if phone_session is not None and wants_person(phone_session) else "no"
    window = f"per {s.flood_window_minutes} min"
    rows = [
        ("phone: texts answered", f"{s.flood_texts_per_contact} {window}", sms.answered),
        ("phone: kind 'too many' texts", "1 per window", sms.told),
        ("phone: texts met with silence", "the rest", sms.silent),
        ("phone: asked for a person (TALK)", "", asked),
        (
            "chats started (sessions saved)",
            f"{s.flood_chats_per_client} per client",
            len(started_chats),
        ),
        ("chats told 'too many' (once each)", "", chats.told),
        ("chat messages met with silence", "", chats.silent),
        ("open requests in the inbox", "= chats started + phone", inbox + (asked == "yes")),
        ("on-call pages, all parents", f"{s.flood_handoffs_per_client} chats + phone", pages),
        (
            "on-call pages per parent, most",
            f"1 per {s.page_once_minutes} min",
            max(per_parent.values(), default=0),
        ),
    ]
    print(
        f"Python {platform.python_version()}, {platform.machine()}: {args.texts} texts in "
        f"{sms_s:.2f} s, {args.chats} chats x {len(CHAT_SCRIPT)} messages in {chat_s:.2f} s\n"
    )
    print("| what | limit | observed |")
    print("|---|---|---|")
    for what, limit, seen in rows:
        print(f"| {what} | {limit} | {seen} |")


def handoff_pages(receiver: Receiver) -> list[str]:
    """plan_id of each handoff page the on-call endpoint acted on."""
    return [r.body["plan_id"] for r in receiver.processed() if r.body["type"] == HANDOFF]


async def settle(count: Any) -> int:
    """Wait until the count stops changing for SETTLE_S (at most SETTLE_CAP_S)."""
    deadline = time.monotonic() + SETTLE_CAP_S
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = count()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= SETTLE_S:
            break
        await asyncio.sleep(0.1)
    return int(last)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=200)
    parser.add_argument("--chats", type=int, default=30)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
