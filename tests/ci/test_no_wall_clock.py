"""No test reads the wall clock or sleeps a fixed time (issue #12). Tests run on an injected
clock (tests/clock.py) and wait on conditions (tests/waiting.py). This scans every Python file
under tests/ and lists the offenders.

Flagged: datetime.now(), datetime.utcnow(), date.today(), time.time(), time.time_ns(), and a
time.sleep / asyncio.sleep of a fixed positive number outside a loop (a fixed wait; inside a
loop it is the step of a bounded poll, and sleep(0) only yields to the event loop)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

# (file relative to tests/, call) -> why it must stay. Keep this short.
ALLOWED: dict[tuple[str, str], str] = {
    ("reminders/test_scheduler.py", "datetime.now"): (
        "APScheduler fires jobs on the machine's clock (not injectable without a product "
        "change): jobs must be due relative to it; under faketime both move together"
    ),
    ("fakes/twilio_server.py", "datetime.now"): (
        "Twilio dates a message by its own clock, which a takeover compares with the "
        "machine's (bot/reminders/sending.py); the app's claims age by the machine's clock"
    ),
}

WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
}
SLEEPS = {("time", "sleep"), ("asyncio", "sleep")}


def _name(call: ast.Call) -> tuple[str, str] | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        base = func.value
        if isinstance(base, ast.Name):
            return base.id, func.attr
        if isinstance(base, ast.Attribute):  # datetime.datetime.now
            return base.attr, func.attr
    return None


def _fixed_positive(call: ast.Call) -> bool:
    if not call.args:
        return False
    arg = call.args[0]
    return (
        isinstance(arg, ast.Constant)
        and isinstance(arg.value, int | float)
        and not isinstance(arg.value, bool)
        and arg.value > 0
    )


def offenders_in(source: str, relative: str) -> list[str]:
    tree = ast.parse(source)
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node

    def in_loop(node: ast.AST) -> bool:
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.While | ast.For | ast.AsyncFor):
                return True
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                return False
        return False

    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node)
        if name is None:
            continue
        dotted = ".".join(name)
        if name in WALL_CLOCK:
            if (relative, dotted) not in ALLOWED:
                found.append(f"{relative}:{node.lineno}: {dotted}() reads the wall clock")
        elif name in SLEEPS and _fixed_positive(node) and not in_loop(node):
            found.append(f"{relative}:{node.lineno}: {dotted}() waits a fixed time")
    return found


def test_the_scan_finds_each_kind_of_offence() -> None:
    source = """
import asyncio, time
from datetime import UTC, date, datetime
import datetime as dt

async def f() -> None:
    datetime.now(UTC)
    dt.datetime.utcnow()
    date.today()
    time.time()
    time.sleep(0.5)
    await asyncio.sleep(1)
    await asyncio.sleep(0)
    while True:
        await asyncio.sleep(0.01)
"""
    found = offenders_in(source, "example.py")
    assert [line.split(": ", 1)[1] for line in found] == [
        "datetime.now() reads the wall clock",
        "datetime.utcnow() reads the wall clock",
        "date.today() reads the wall clock",
        "time.time() reads the wall clock",
        "time.sleep() waits a fixed time",
        "asyncio.sleep() waits a fixed time",
    ]


def test_no_test_reads_the_wall_clock_or_sleeps_a_fixed_time() -> None:
    found: list[str] = []
    for path in sorted(TESTS.rglob("*.py")):
        relative = path.relative_to(TESTS).as_posix()
        found += offenders_in(path.read_text(encoding="utf-8"), relative)
    assert not found, "use tests/clock.py and tests/waiting.py:\n" + "\n".join(found)


def test_every_allowance_is_still_needed() -> None:
    for relative, dotted in ALLOWED:
        path = TESTS / relative
        assert path.exists(), relative
        assert f"{dotted.split('.')[-1]}(" in path.read_text(encoding="utf-8"), relative
