"""Chat with the engine in a terminal, with an in-memory session: no Redis, Twilio or browser."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from bot.engine.machine import Engine
from bot.engine.session import Session

BANNER = (
    "Safe Start terminal chat. Type as a parent would; "
    "Ctrl-D or /quit to leave, /events to show events.\n"
)


def run_chat(
    engine: Engine,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Session:
    """Read a line, step the engine, print its replies (the bot answers your first text)."""
    session = Session()
    show_events = False
    stdout.write(BANNER)
    stdout.write("you> ")
    stdout.flush()
    for line in stdin:
        text = line.rstrip("\n")
        if text == "/quit":
            break
        if text == "/events":
            show_events = not show_events
            stdout.write(f"(events {'on' if show_events else 'off'})\nyou> ")
            stdout.flush()
            continue
        result = engine.step(session, text, clock())
        session = result.session
        for reply in result.replies:
            stdout.write("bot> " + reply.replace("\n", "\n     ") + "\n")
        if show_events:
            for event in result.events:
                stdout.write(f"  [event] {event!r}\n")
        stdout.write("you> ")
        stdout.flush()
    stdout.write("\n")
    return session
