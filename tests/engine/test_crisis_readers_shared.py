"""The crisis readers (word rules and learned model) load once per process and files: every
engine the app or a test builds shares them, and a changed file loads again."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from bot.engine.crisis import CRISIS_FILE
from bot.flows import build_engine, crisis_readers
from bot.i18n import LOCALES_DIR

LOCALES = ("en", "es", "pt_BR")


def test_engines_share_one_load_of_the_readers() -> None:
    first = build_engine(locales=LOCALES)
    second = build_engine(locales=LOCALES)
    assert first.crisis is second.crisis
    assert first.crisis_models is second.crisis_models
    assert crisis_readers(LOCALES_DIR, ("en", "es", "pt_BR")).detector is first.crisis


def test_a_changed_crisis_file_is_read_again(tmp_path: Path) -> None:
    copy = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, copy)
    before = crisis_readers(copy, ("en",))
    assert crisis_readers(copy, ("en",)) is before
    words = copy / "en" / CRISIS_FILE
    stat = words.stat()
    os.utime(words, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    after = crisis_readers(copy, ("en",))
    assert after is not before
    assert after.detector.find("i want to kill myself") is not None
