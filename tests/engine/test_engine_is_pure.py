"""The engine imports nothing that does I/O: no web, Redis, Twilio, scheduler or HTTP client."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "bot" / "engine"
BANNED = (
    "fastapi",
    "starlette",
    "redis",
    "twilio",
    "apscheduler",
    "httpx",
    "requests",
    "socket",
    "bot.store",
    "bot.web",
    "bot.channels",
    "bot.careteam",
    "bot.reminders",
    "bot.scheduling",
    "bot.service",
    "bot.i18n",
    "bot.settings",
    "os",
    "subprocess",
    "time",
)


def test_engine_imports_nothing_with_io() -> None:
    """Every module under bot/engine imports only pure code."""
    for path in ENGINE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not any(name == b or name.startswith(b + ".") for b in BANNED), (
                    f"{path.name} imports {name}"
                )
