"""Reminder scheduling at scale: APScheduler 3.11 (Scheduler) vs a plain sorted set.

    .venv/bin/python bench/bench_reminders.py [--count 100000] [--due 10000]
                                              [--redis-url redis://127.0.0.1:6379/13]
                                              [--baseline-first] [--no-freeze]

Everything goes under a fresh key prefix in the given Redis (db 13 by default) and is
deleted at the end. One run measures, for both ways of keeping future reminders, and prints
each goal row (issue 17) against its goal and against the sorted-set baseline:
  * time to schedule `--count` reminders (APScheduler: Scheduler.schedule_many, what
    the app calls; baseline: pipelined ZADD of the same ids and times);
  * Redis bytes per reminder (MEMORY USAGE of the job keys, exact: other databases' traffic
    on the shared server does not count);
  * start-up with them all loaded, for reference;
  * `--due` reminders due at the same second while the `--count` others wait, all sent by the
    real dispatcher (encrypted appointment, session check, send guard; no rate limit here):
    how many were sent and how many twice, the fire and send lags, and the longest
    event-loop stall meanwhile from a lag probe (the overshoot of `asyncio.sleep(0.01)`).
    The batch is added a day ahead first (as another process would), then moved to a due
    second with a head start of twice that add time plus a lease renewal: adding 10,000
    used to take most of a fixed 4 s head start, and the fire lags came out empty.
    Next to it, the same probe in a separate idle process (the machine's own stalls: the
    2-core machine is shared) and the load average as the window began and ended.
Like app.py once started, the bench freezes its start-up heap (gc.freeze) before the due
batches (`--no-freeze` to skip it: each full collection then walks every module, 30-45 ms).
The baseline poller: every 50 ms, one Lua call pops up to 1,000 due members (ZRANGEBYSCORE +
ZREM), then the same idempotent fire as the APScheduler job. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import platform
import secrets
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis.asyncio import Redis  # noqa: E402

from bot.engine.events import Event  # noqa: E402
from bot.engine.session import Session  # noqa: E402
from bot.i18n import Catalogs  # noqa: E402
from bot.reminders.dispatcher import GROUP as DISPATCH_GROUP  # noqa: E402
from bot.reminders.dispatcher import Dispatcher  # noqa: E402
from bot.reminders.planner import Planner  # noqa: E402
from bot.reminders.ratelimit import TokenBucket  # noqa: E402
from bot.reminders.rules import QuietHours, Timing  # noqa: E402
from bot.reminders.store import Appointment, ReminderStore  # noqa: E402
from bot.scheduling.firing import Firer  # noqa: E402
from bot.scheduling.scheduler import JobSpec, Scheduler  # noqa: E402
from bot.store.client import client_for_url  # noqa: E402
from bot.store.crypto import Cipher  # noqa: E402
from bot.store.keys.reminders import ReminderKeys, job_id  # noqa: E402
from bot.store.redis_store import RedisConversationStore  # noqa: E402
from bot.store.reminder_jobs_redis import RedisDueLog  # noqa: E402
from bot.store.reminder_records_redis import RedisReminderRecords  # noqa: E402
from bot.store.reminder_redis import RedisReminderStorage  # noqa: E402
from bot.store.stream_group import GroupReader  # noqa: E402

# Pops due members atomically, so two pollers would never both take one.
_POP_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due
"""
POLL_S = 0.05
# The leader's lease renewal (Scheduler's default): jobs added by another process
# are seen at the next one.
RENEW_S = 2.0
GOALS = {"schedule": 10.0, "stall": 0.100, "memory": 1024}


class TimingSender:
    """Records when and to whom each text would have gone; sends nothing."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.addresses: list[str] = []

    async def send(self, address: str, text: str) -> str:
        self.times.append(time.time())
        self.addresses.append(address)
        return "SMbench"

    def clear(self) -> None:
        self.times.clear()
        self.addresses.clear()

    def twice(self) -> int:
        """Texts beyond the first to one address (each parent has one reminder due)."""
        return len(self.addresses) - len(set(self.addresses))

    async def close(self) -> None:
        return None


class GcWatch:
    """The longest garbage-collector pass while watching: it stops every thread, so a full
    pass over a large heap shows up as an event-loop stall whatever the scheduler does."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._began = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.worst = max(self.worst, time.perf_counter() - self._began)

    def take(self) -> float:
        worst, self.worst = self.worst, 0.0
        return worst


class LagProbe:
    """Event-loop lag probe: how late each `sleep(0.01)` wakes up. The worst overshoot is
    the longest time something kept the loop from running a ready task."""

    tick = 0.01

    def __init__(self) -> None:
        self.worst = 0.0
        self.worst_at = 0.0  # wall-clock time the worst stall ended
        self._task: asyncio.Task[None] | None = None

    async def _probe(self) -> None:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(self.tick)
            lag = time.perf_counter() - began - self.tick
            if lag > self.worst:
                self.worst, self.worst_at = lag, time.time()

    def start(self) -> None:
        self.worst = 0.0
        self._task = asyncio.create_task(self._probe())

    async def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        return self.worst


# The same probe in a separate, idle Python process: how late the machine itself wakes a
# sleeping process (a shared 2-core VM stalls everything now and then). Prints "time lag".
_MACHINE_PROBE = """
import os, time
parent = os.getppid()
while os.getppid() == parent:  # ends with the bench, even one killed outright
    began = time.perf_counter()
    time.sleep(0.01)
    lag = time.perf_counter() - began - 0.01
    if lag > 0.002:
        print(f"{time.time():.3f} {lag:.4f}", flush=True)
"""


class MachineProbe:
    """LagProbe's twin in its own process, read back per window (see _MACHINE_PROBE)."""

    def __init__(self) -> None:
        self._proc: asyncio.subprocess.Process | None = None
        self._lags: list[tuple[float, float]] = []
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _MACHINE_PROBE,
            stdout=asyncio.subprocess.PIPE,
            # Its own session: with autogroup scheduling (Linux's default) it would share
            # the bench's CPU share and inherit the bench's own waits.
            start_new_session=True,
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._proc is not None
        assert self._proc.stdout is not None
        async for line in self._proc.stdout:
            at, lag = line.split()
            self._lags.append((float(at), float(lag)))

    def worst(self, since: float, until: float) -> float:
        return max((lag for at, lag in self._lags if since <= at <= until), default=0.0)

    async def stop(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            self._proc.kill()
            await self._proc.wait()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


def contact(n: int) -> str:
    return "{c:" + f"{n:032x}" + "}"


async def used_memory(redis: Redis) -> int:
    info = await redis.info("memory")
    return int(info["used_memory"])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.2f} ms"


def lags(values: Sequence[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    p95 = ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]
    return f"{ms(statistics.median(ordered))} / {ms(p95)} / {ms(ordered[-1])}"


async def wait_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.time()))


async def make_parents(conversations: RedisConversationStore, due: int) -> list[str]:
    """Active parents with no quiet hours in the way (the bench may run at night)."""

    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        session.status = "active"
        session.timezone = "America/New_York"
        return session, [], []

    contacts = []
    for n in range(due):
        address = f"+1860555{n:04d}"
        await conversations.transact(address, None, apply)
        contacts.append(conversations.keys_for(address).contact)
    return contacts


async def put_appointments(
    store: ReminderStore, contacts: list[str], item: str, at: float
) -> list[JobSpec]:
    """One appointment 3 h after `at` per parent, and its reminder's job (not added)."""
    when = datetime.fromtimestamp(at, UTC)
    starts = when + timedelta(hours=3)
    specs = []
    for who in contacts:
        local = starts.astimezone(ZoneInfo("America/New_York"))
        await store.put(Appointment(item, who, "other", local.date(), local.time()))
        specs.append(JobSpec(job_id(who, item, "3h"), when, starts, timedelta(hours=3)))
    return specs


def due_at(specs: list[JobSpec], at: float) -> list[JobSpec]:
    when = datetime.fromtimestamp(at, UTC)
    return [JobSpec(s.job_id, when, s.occurrence, s.grace) for s in specs]


def head_start(add_s: float) -> float:
    """When a batch that took `add_s` to add is due: after adding it again (the due times)
    with room to spare, and after the leader's next lease renewal has woken it up."""
    return math.ceil(time.time() + 2 * add_s + RENEW_S + 1.0)


async def fire_lags(redis: Redis, keys: ReminderKeys, after: str, at: float) -> list[float]:
    entries = await redis.xrange(keys.due, min=f"({after}", max="+")
    return [int(entry_id.split(b"-")[0]) / 1000 - at for entry_id, _ in entries]


async def last_id(redis: Redis, keys: ReminderKeys) -> str:
    entries = await redis.xrevrange(keys.due, count=1)
    return entries[0][0].decode() if entries else "0-0"


async def job_bytes(redis: Redis, *keys: str) -> int:
    """MEMORY USAGE (exact) of the given keys: other databases' traffic does not count."""
    total = 0
    for key in keys:
        total += int(await redis.memory_usage(key, samples=0) or 0)
    return total


async def wait_sent(sender: TimingSender, due: int, at: float) -> None:
    while len(sender.times) < due and time.time() < at + 120:
        await asyncio.sleep(0.05)


async def run(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    redis: Redis = client_for_url(args.redis_url, timeout=30)
    prefix = f"bench:rem:{secrets.token_hex(4)}:"
    keys = ReminderKeys(prefix)
    cipher = Cipher(secrets.token_bytes(32))
    conversations = RedisConversationStore(redis, cipher, prefix=prefix)
    store = ReminderStore(RedisReminderRecords(redis, cipher, keys))
    aps: dict[str, Any] = {}
    base: dict[str, Any] = {}
    machine = MachineProbe()
    count, due = args.count, args.due
    try:
        # ---- schedule `count` reminders ----------------------------------------------
        await redis.set(keys.leader, b"bench", px=600_000)  # the adder never leads
        adder_storage = RedisReminderStorage.open(redis, cipher, keys)
        adder = Scheduler(adder_storage)
        await adder.start(contend=False)
        start = datetime.now(UTC) + timedelta(days=1)
        specs = [
            JobSpec(
                job_id(contact(n), f"a{n}", "3h"),
                start + timedelta(seconds=n),
                start + timedelta(seconds=n, hours=3),
                timedelta(hours=3),
            )
            for n in range(count)
        ]
        began = time.perf_counter()
        for chunk in range(0, count, 10_000):
            await adder.schedule_many(specs[chunk : chunk + 10_000])
            print(f"  scheduled {min(chunk + 10_000, count):,}", file=sys.stderr, flush=True)
        took = time.perf_counter() - began
        aps["schedule"] = took
        aps["schedule_s"] = f"{took:.2f} s ({count / took:,.0f}/s)"
        aps["memory"] = await job_bytes(redis, keys.jobs, keys.run_times) / count

        zkey = f"{prefix}{{zs}}:due"
        began = time.perf_counter()
        for chunk in range(0, count, 1_000):
            async with redis.pipeline(transaction=False) as pipe:
                for spec in specs[chunk : chunk + 1_000]:
                    member = f"{spec.job_id}|{spec.occurrence.isoformat()}"
                    pipe.zadd(zkey, {member: spec.send_at.timestamp()})
                await pipe.execute()
        took = time.perf_counter() - began
        base["schedule"] = took
        base["schedule_s"] = f"{took:.2f} s ({count / took:,.0f}/s)"
        base["memory"] = await job_bytes(redis, zkey) / count

        # ---- start-up with them loaded -------------------------------------------------
        await redis.delete(keys.leader)
        leader_storage = RedisReminderStorage.open(redis, cipher, keys)
        leader = Scheduler(leader_storage)
        began = time.perf_counter()
        await leader.start()
        took = time.perf_counter() - began
        assert leader.is_leader
        began = time.perf_counter()
        first = await leader.planned(specs[0].job_id)
        assert first is not None
        # The app keeps no list of its reminders in memory: neither does the rest of the run
        # (100,000 specs made the garbage collector's full passes longer for both schedulers).
        del specs
        gc.collect()
        if not args.no_freeze:
            # What app.py does once started: the start-up heap (modules, catalogs, flows)
            # leaves the collector's full passes (30-45 ms each over it here otherwise).
            gc.freeze()
        aps["startup"] = f"{ms(took)} (then one job read: {ms(time.perf_counter() - began)})"
        pop = redis.register_script(_POP_DUE)
        await redis.script_load(_POP_DUE)  # loading the script is not the poll's cost
        began = time.perf_counter()
        await pop(keys=[zkey], args=[time.time(), 1000])
        base["startup"] = f"{ms(time.perf_counter() - began)} (first poll)"

        # ---- `due` reminders due at once --------------------------------------------
        print(f"  making {due:,} parents", file=sys.stderr, flush=True)
        contacts = await make_parents(conversations, due)
        sender = TimingSender()
        timing = Timing(quiet=QuietHours.parse("00:00-00:00"))
        planner = Planner(store, adder, conversations, timing=timing)
        bucket = TokenBucket(1e9, 1e9)
        dispatcher = Dispatcher(
            group=GroupReader(redis, keys.due, DISPATCH_GROUP, "bench"),
            planner=planner,
            sender=sender,
            bucket=bucket,
            translator=Catalogs(("en",)),
            block_ms=50,
        )
        await dispatcher.ensure_group()
        sending = asyncio.create_task(dispatcher.run())
        probe = LagProbe()
        gcs = GcWatch()
        await machine.start()

        firer = Firer(RedisDueLog(redis, keys))

        async def poller() -> None:
            while True:
                for member in await pop(keys=[zkey], args=[time.time(), 1000]):
                    job, occurrence, planned = member.decode().split("|")
                    await firer.fire(job, occurrence, planned)
                await asyncio.sleep(POLL_S)

        async def measure(row: dict[str, Any], at: float, mark: str) -> None:
            sender.clear()
            await wait_until(at - 0.5)
            began = time.time()
            row["load"] = os.getloadavg()[0]
            probe.start()
            gcs.take()
            await wait_sent(sender, due, at)
            row["stall"] = await probe.stop()
            row["machine"] = machine.worst(began, time.time())
            row["load"] = f"{row['load']:.1f} / {os.getloadavg()[0]:.1f}"
            row["gc"] = ms(gcs.take())
            row["stall_at"] = f"{probe.worst_at - at:+.1f} s"
            row["fire"] = lags(await fire_lags(redis, keys, mark, at))
            row["send"] = lags([t - at for t in sender.times])
            row["all"] = ms(max(sender.times) - at) if sender.times else "-"
            row["sent"] = f"{len(sender.times):,} of {due:,}, {sender.twice()} twice"
            row["sent_ok"] = len(sender.times) == due and sender.twice() == 0

        async def aps_phase(item: str) -> None:
            # Added first (a day ahead, as another process would), then moved to one due
            # second with a head start proportional to the time the first add took.
            batch = await put_appointments(store, contacts, item, time.time() + 86400)
            began = time.perf_counter()
            await adder.schedule_many(batch)
            at = head_start(time.perf_counter() - began)
            await adder.schedule_many(due_at(batch, at))  # seen at the leader's renewal
            await measure(aps, at, await last_id(redis, keys))

        async def base_phase(item: str) -> None:
            batch = await put_appointments(store, contacts, item, time.time() + 86400)
            at = head_start(0.0)
            async with redis.pipeline(transaction=False) as pipe:
                for spec in due_at(batch, at):
                    member = (
                        f"{spec.job_id}|{spec.occurrence.isoformat()}|{spec.send_at.isoformat()}"
                    )
                    pipe.zadd(zkey, {member: spec.send_at.timestamp()})
                await pipe.execute()
            mark = await last_id(redis, keys)
            polling = asyncio.create_task(poller())
            try:
                await measure(base, at, mark)
            finally:
                polling.cancel()
                await asyncio.wait([polling], timeout=2)

        # Each runs alone: the other's scheduler has nothing due meanwhile.
        if args.baseline_first:
            await base_phase("d1")
            await aps_phase("d2")
        else:
            await aps_phase("d1")
            await base_phase("d2")
        await leader.stop()
        dispatcher.request_stop()
        sending.cancel()
        await asyncio.wait([sending], timeout=2)
        await bucket.close()
        await adder.stop()
        adder_storage.close()
        leader_storage.close()
    finally:
        await machine.stop()
        doomed = [key async for key in redis.scan_iter(match=f"{prefix}*", count=1000)]
        for chunk in range(0, len(doomed), 1000):
            await redis.delete(*doomed[chunk : chunk + 1000])
        await redis.aclose()
    return {"aps": aps, "base": base}


def table(result: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    aps, base = result["aps"], result["base"]
    for row in (aps, base):
        row["machine_s"] = ms(row["machine"])

    def met(ok: bool) -> str:
        return "yes" if ok else "**no**"

    goal_rows = [
        (
            f"schedule {args.count:,} reminders",
            aps["schedule_s"],
            f"<= {GOALS['schedule']:.0f} s",
            base["schedule_s"],
            met(aps["schedule"] <= GOALS["schedule"]),
        ),
        (
            f"longest event-loop stall while {args.due:,} fall due and are sent (lag probe)",
            ms(aps["stall"]),
            f"<= {GOALS['stall'] * 1000:.0f} ms",
            ms(base["stall"]),
            met(aps["stall"] <= GOALS["stall"]),
        ),
        (
            f"{args.due:,} due at once: sent (none twice)",
            aps["sent"],
            f"{args.due:,}, 0 twice",
            base["sent"],
            met(aps["sent_ok"]),
        ),
        (
            "Redis per reminder (MEMORY USAGE of the job keys)",
            f"{aps['memory']:,.0f} B",
            f"<= {GOALS['memory']:,} B",
            f"{base['memory']:,.0f} B",
            met(aps["memory"] <= GOALS["memory"]),
        ),
    ]
    info_rows = [
        (f"start-up with {args.count:,} loaded", "startup"),
        (f"{args.due:,} due at once: fire lag p50 / p95 / max", "fire"),
        (f"{args.due:,} due at once: send lag p50 / p95 / max", "send"),
        (f"{args.due:,} due at once: last one sent after", "all"),
        ("the longest stall ended, from the due second", "stall_at"),
        ("longest garbage-collector pass meanwhile", "gc"),
        ("the same probe in a separate idle process (the machine's own stall)", "machine_s"),
        ("load average (1 min) as the window began / ended", "load"),
    ]
    lines = [
        f"Reminders bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores, load "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}, loopback Redis, one process",
        "",
        "| row | APScheduler 3.11 (Scheduler) | goal | sorted set + 50 ms poller | met |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(row)} |" for row in goal_rows]
    lines += [f"| {label} | {aps[key]} | - | {base[key]} | |" for label, key in info_rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="skip the gc.freeze() app.py does once started (full passes walk every module)",
    )
    parser.add_argument(
        "--baseline-first",
        action="store_true",
        help="send the sorted set's batch first (the first batch sent was the slower one)",
    )
    args = parser.parse_args()
    began = time.perf_counter()
    result = asyncio.run(run(args))
    print(table(result, args))
    print(f"\n(bench ran {time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
