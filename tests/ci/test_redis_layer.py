"""Redis only behind bot/store/ (issue #16): no module elsewhere imports redis. The modules
that still do are listed by name, and the list may only shrink: a new one fails this test,
and so does a listed one that no longer imports redis (take it off the list)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.ci.test_layers import imported

BOT = Path(__file__).resolve().parents[2] / "bot"
STORE = BOT / "store"
# Every module once listed here moved behind bot/store/ (issue #16): the dashboard, the
# flood guard, the care team and the reminders. None may come back.
NOT_YET_MOVED: set[str] = set()


def imports_redis(path: Path) -> bool:
    return any(
        module.split(".")[0] == "redis" for module, _ in imported(ast.parse(path.read_text()))
    )


def modules_importing_redis_outside_store() -> set[str]:
    return {
        str(path.relative_to(BOT.parent))
        for path in BOT.rglob("*.py")
        if STORE not in path.parents and imports_redis(path)
    }


def test_redis_is_imported_only_inside_bot_store() -> None:
    found = modules_importing_redis_outside_store()
    assert sorted(found - NOT_YET_MOVED) == [], "Redis belongs behind bot/store/"
    assert sorted(NOT_YET_MOVED - found) == [], "moved: take these off NOT_YET_MOVED"


def test_the_check_sees_a_redis_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f() -> None:\n    from redis.asyncio import Redis\n")
    assert imports_redis(module)
    module.write_text("import redistribute\n")
    assert not imports_redis(module)
