"""One error tree (issue #16): every exception class bot/ defines is a SafeStartError, and
bot/errors.py's tree names it; only bot/web/ defines HTTP errors."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from starlette.exceptions import HTTPException

import bot
import bot.errors
from bot.errors import SafeStartError


def exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(bot.__path__, "bot."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            ):
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_error_of_ours_is_a_safe_start_error() -> None:
    stray = sorted(
        name
        for name, kind in exception_classes().items()
        if not issubclass(kind, SafeStartError)
        and not (issubclass(kind, HTTPException) and name.startswith("bot.web."))
    )
    assert stray == [], "derive these from SafeStartError (bot/errors.py):\n" + "\n".join(stray)


def test_the_tree_in_bot_errors_names_every_one() -> None:
    tree = bot.errors.__doc__ or ""
    missing = sorted(
        name
        for name, kind in exception_classes().items()
        if issubclass(kind, SafeStartError) and kind.__name__ not in tree
    )
    assert missing == [], "add these to the tree in bot/errors.py:\n" + "\n".join(missing)


def test_the_walk_finds_errors_in_subpackages() -> None:
    found = exception_classes()
    assert "bot.careteam.errors.PlanNotFound" in found
    assert "bot.dashboard.handoff.SendFailed" in found
    assert "bot.web.guards.BodyTooLarge" in found
