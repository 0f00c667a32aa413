"""bot.resources loads no web, Redis, Twilio or scheduler code, so the pure engine may use it."""

from __future__ import annotations

import subprocess
import sys

from bot.resources.loader import ROOT

BANNED = ("fastapi", "starlette", "redis", "twilio", "apscheduler", "httpx", "requests",
          "socket", "subprocess", "bot.store", "bot.web", "bot.channels", "bot.careteam",
          "bot.reminders", "bot.scheduling", "bot.service", "bot.settings")  # fmt: skip


def test_resources_import_nothing_with_io() -> None:
    """Importing the package (and its check command) in a fresh interpreter pulls in none of
    the banned modules, directly or through another module."""
    script = "import sys, bot.resources, bot.resources.__main__; print(*sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    found = [m for m in loaded if any(m == b or m.startswith(b + ".") for b in BANNED)]
    assert found == []
