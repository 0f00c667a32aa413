"""The parent's commands are one table (bot/engine/commands/): every keyword command has its
handler there, or is handled before it by the fallback order (STOP, START, HELP) or by the
list it answers (the word DELETE after DELETE MY DATA)."""

from __future__ import annotations

from typing import get_args

from bot.engine.commands import COMMANDS
from bot.engine.keywords import Command

BEFORE_THE_TABLE = {"stop", "start", "help", "erase_confirm"}


def test_every_keyword_command_has_one_place() -> None:
    commands = set(get_args(Command))
    assert set(COMMANDS) == commands - BEFORE_THE_TABLE
