"""HTTP stays at the edge (issue #16): FastAPI's routers, HTTP errors and request objects
are used only in bot/web/, and nothing outside bot/web/ imports from it. Checked on every
module's syntax tree, as tests/engine/test_engine_is_pure.py checks the engine."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
WEB = BOT / "web"
HTTP_ONLY = {"APIRouter", "HTTPException", "Request", "Depends", "Form", "Cookie", "Header"}


def modules_outside_web() -> list[Path]:
    return [p for p in BOT.rglob("*.py") if WEB not in p.parents]


def imported(tree: ast.AST) -> list[tuple[str, str]]:
    """(module, name) for every `from module import name`, and (module, "") for `import m`."""
    found: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
    return found


def test_http_routing_and_errors_live_only_in_bot_web() -> None:
    offenders = [
        f"{path.relative_to(BOT.parent)}: {module}.{name}"
        for path in modules_outside_web()
        for module, name in imported(ast.parse(path.read_text()))
        if module.split(".")[0] in {"fastapi", "starlette"} and name in HTTP_ONLY
    ]
    assert offenders == [], "HTTP belongs in bot/web/:\n" + "\n".join(offenders)


def test_nothing_below_the_edge_imports_the_edge() -> None:
    offenders = [
        f"{path.relative_to(BOT.parent)}: {module}"
        for path in modules_outside_web()
        for module, _ in imported(ast.parse(path.read_text()))
        if module == "bot.web" or module.startswith("bot.web.")
    ]
    assert offenders == [], "an import runs back up into bot/web/:\n" + "\n".join(offenders)


def test_the_check_sees_an_offender(tmp_path: Path) -> None:
    """The walker itself finds a router import (so an empty result means something)."""
    tree = ast.parse("from fastapi import APIRouter, HTTPException\nimport bot.web.chat\n")
    assert ("fastapi", "HTTPException") in imported(tree)
    assert ("bot.web.chat", "") in imported(tree)
