"""Redis bytes per finished plan, in English and Spanish, outbox included once delivered.

    .venv/bin/python bench/bench_plan_size.py [--keys]

On a private redis-server: one parent per language texts a whole plan (onboarding and all
eight parts, every part shared with the social worker, recovery with its three yeses) through
the real RedisConversationStore.transact, one Twilio MessageSid per text, as the webhook
does. The care-team worker then reads the outbox and delivers every job to a local
receiver (tests/fakes/receiver.py), acknowledging each entry. Measured: MEMORY USAGE summed
over every key of the parent (`<prefix>{c:<hex>}*`), plus the outbox stream and the care
team's program-wide zsets (one parent per run: all of it is theirs, less what the empty
stream with its consumer group cost before the first text). `--keys` lists each
key. Goal (issue 17): <= 8 KB per finished plan; baseline 84 KB en / 87 KB es in the parent's
keys, 122 KB with the outbox.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import secrets
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_delivery import CONSENT, ENDPOINTS, start_receiver, write_directory  # noqa: E402

from bot.careteam.delivery import DeliveryConfig, DeliveryWorker  # noqa: E402
from bot.careteam.directory import load_directory, new_webhook_secret  # noqa: E402
from bot.careteam.records import CareRecords  # noqa: E402
from bot.engine.events import Event  # noqa: E402
from bot.engine.machine import Engine  # noqa: E402
from bot.engine.session import Session  # noqa: E402
from bot.flows import build_engine  # noqa: E402
from bot.store.care_records_redis import RedisCareRecords  # noqa: E402
from bot.store.client import client_for_url  # noqa: E402
from bot.store.crypto import Cipher  # noqa: E402
from bot.store.outbox import ensure_group  # noqa: E402
from bot.store.redis_store import RedisConversationStore  # noqa: E402
from tests.drive import next_text  # noqa: E402
from tests.fakes.redis_server import PrivateRedis  # noqa: E402
from tests.timed import open_timed  # noqa: E402

GOAL_BYTES = 8 * 1024
BASELINE = {"en": "84 KB (122 KB with the outbox)", "es": "87 KB"}
LANGUAGE_COMMAND = {"en": None, "es": "ESPAÑOL", "pt_BR": "PORTUGUÊS"}


@dataclass
class Size:
    locale: str
    texts: int
    deliveries: int
    parent_keys: dict[str, int]
    shared: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.parent_keys.values()) + sum(self.shared.values())


async def drive_plan(
    store: RedisConversationStore, engine: Engine, address: str, locale: str
) -> int:
    """Text a whole plan; returns how many texts it took."""
    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    session = Session()
    switch = LANGUAGE_COMMAND[locale]
    for texts in range(600):
        text = next_text(engine, session, now.date())
        if text is None:
            return texts
        if switch and texts == 1:
            text, switch = switch, None
        elif session.mode == "ask" and session.step in CONSENT:
            text = CONSENT[session.step]
            if locale == "es" and text == "yes":
                text = "sí"
        now += timedelta(seconds=40)

        def apply(
            current: Session, text: str = text, at: datetime = now
        ) -> tuple[Session, list[str], list[Event]]:
            result = engine.step(current, text, at)
            return result.session, result.replies, list(result.events)

        outcome = await store.transact(address, "SM" + secrets.token_hex(16), apply)
        assert outcome.session is not None
        session = outcome.session
    raise RuntimeError("the plan did not finish")


async def read_as_reminders(redis: Redis, stream: str) -> None:
    """What the reminder intake does to the outbox here: read every entry and acknowledge
    it (this parent's plan asks for no reminder)."""
    reply = await redis.xreadgroup("reminders", "bench", {stream: ">"}, count=1000)
    for _name, entries in reply or []:
        if entries:
            await redis.xack(stream, "reminders", *[entry_id for entry_id, _ in entries])


async def measure(url: str, locale: str, base_url: str, directory: Path) -> Size:
    redis = client_for_url(url, timeout=5.0)
    prefix = f"bench{secrets.token_hex(4)}:"
    cipher = Cipher(secrets.token_bytes(32))
    store = RedisConversationStore(redis, cipher, prefix=prefix)
    await store.prepare()
    engine = build_engine(locales=["en", "es", "pt_BR"])
    # The stream and its consumer group exist before the parent's first text, as in the app;
    # what an empty stream costs is the program's, not the parent's.
    for group in DeliveryConfig().outbox_groups:
        await ensure_group(redis, store.outbox_stream, group)
    empty_stream = int(await redis.memory_usage(store.outbox_stream, samples=0) or 0)
    address = "+1860555" + f"{secrets.randbelow(10**4):04d}"
    try:
        texts = await drive_plan(store, engine, address, locale)
        session = await store.load(address)
        assert session is not None
        assert session.locale == locale, session.locale
        assert all(session.plan.is_done(f.id) for f in engine.flows.sections)
        records = CareRecords(RedisCareRecords(redis, cipher, prefix))
        timed, timing = open_timed(redis, cipher, prefix)
        worker = DeliveryWorker(
            store=store,
            records=records,
            coordination=records.store,
            timed=timed,
            directory=load_directory(directory),
            flows=engine.flows,
            cipher=cipher,
            config=DeliveryConfig(consumer="bench", batch=200, concurrency=4),
            client=httpx.AsyncClient(),
        )
        for _ in range(50):
            await read_as_reminders(redis, store.outbox_stream)
            read = await worker.consume()
            sent = await worker.send_due()
            if not read and not sent:
                break
        await worker.close()
        timing.close()
        contact = store.keys_for(address).contact
        deliveries = int(await redis.hlen(records.store.keys.done(contact)))
        parent: dict[str, int] = {}
        async for key in redis.scan_iter(match=f"{prefix}{{c:{contact[3:-1]}}}*", count=1000):
            name = key.decode()
            parent[name[len(prefix) + len(contact) :]] = int(
                await redis.memory_usage(key, samples=0) or 0
            )
        shared: dict[str, int] = {}
        due = worker.timer.group.stream
        for key in (store.outbox_stream, due, records.store.keys.parked):
            if await redis.exists(key):
                shared[key[len(prefix) :]] = int(await redis.memory_usage(key, samples=0) or 0)
        stream = store.outbox_stream[len(prefix) :]
        shared[stream] = max(0, shared[stream] - empty_stream)
        return Size(locale, texts, deliveries, parent, shared)
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


def rows(sizes: list[Size]) -> list[tuple[str, str, str, str, bool]]:
    """(what, measured, goal, baseline, met) for issue 17's plan-size rows."""
    return [
        (
            f"Redis per finished plan, {s.locale} (outbox included, delivered)",
            f"{s.total:,} B ({sum(s.parent_keys.values()):,} in {len(s.parent_keys)} keys "
            f"+ {sum(s.shared.values()):,} outbox/queues)",
            f"<= {GOAL_BYTES:,} B",
            BASELINE[s.locale],
            s.total <= GOAL_BYTES,
        )
        for s in sizes
    ]


async def run(show_keys: bool, locales: tuple[str, ...] = ("en", "es")) -> list[Size]:
    hook_secrets = {e: new_webhook_secret() for e in ENDPOINTS}
    proc, base_url = start_receiver(hook_secrets)
    sizes: list[Size] = []
    try:
        with tempfile.TemporaryDirectory(prefix="safestart-size-") as folder:
            private = PrivateRedis(Path(folder))
            private.start()
            try:
                directory = write_directory(Path(folder), base_url, hook_secrets)
                for locale in locales:
                    sizes.append(await measure(private.url, locale, base_url, directory))
            finally:
                private.stop()
    finally:
        proc.terminate()
        proc.wait(10)
    if show_keys:
        for size in sizes:
            print(f"\n{size.locale}: {size.texts} texts, {size.deliveries} delivery jobs")
            for name, used in sorted({**size.parent_keys, **size.shared}.items()):
                print(f"  {used:>7,} B  {name}")
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", action="store_true", help="list every key and its bytes")
    args = parser.parse_args()
    sizes = asyncio.run(run(args.keys))
    print(f"\nPython {platform.python_version()}; a private redis-server; MEMORY USAGE.")
    print("\n| row | now | goal | baseline | met |\n|---|---|---|---|---|")
    for what, now, goal, baseline, met in rows(sizes):
        print(f"| {what} | {now} | {goal} | {baseline} | {'yes' if met else 'NO'} |")


if __name__ == "__main__":
    main()
