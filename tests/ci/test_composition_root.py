"""One composition root (issue #16): app.py's lifespan builds every part once and hands the
routes one typed Runtime on app.state.runtime. Nothing else writes to app.state, and routes
look up nothing on it but the runtime."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from bot.careteam.wiring import start_careteam
from bot.reminders.wiring import start_reminders, stop_reminders
from bot.web.deps import Runtime

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "bot").rglob("*.py")), ROOT / "app.py"]


def state_writes(tree: ast.AST) -> list[str]:
    """Names assigned on anything's `.state` (app.state.x = ..., state.x = ...)."""
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            if isinstance(target, ast.Attribute):
                owner = target.value
                if (isinstance(owner, ast.Attribute) and owner.attr == "state") or (
                    isinstance(owner, ast.Name) and owner.id == "state"
                ):
                    found.append(target.attr)
    return found


def state_lookups(tree: ast.AST) -> list[str]:
    """Names looked up with getattr(<something>.state, "name")."""
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Attribute)
            and node.args[0].attr == "state"
            and isinstance(node.args[1], ast.Constant)
        ):
            found.append(str(node.args[1].value))
    return found


def test_only_the_runtime_is_put_on_app_state_and_only_by_app_py() -> None:
    writes = {
        str(path.relative_to(ROOT)): names
        for path in SOURCES
        if (names := state_writes(ast.parse(path.read_text())))
    }
    assert writes == {"app.py": ["runtime"]}


def test_routes_look_up_only_the_runtime() -> None:
    lookups = {name for path in SOURCES for name in state_lookups(ast.parse(path.read_text()))}
    assert lookups <= {"runtime"}


def test_subsystems_are_handed_back_not_left_on_a_state() -> None:
    for start in (start_careteam, start_reminders):
        assert not {"app", "state"} & set(inspect.signature(start).parameters)
    assert list(inspect.signature(stop_reminders).parameters) == ["reminders"]
    fields = set(Runtime.__dataclass_fields__)
    assert {"careteam", "reminders", "dashboard", "service", "sender"} <= fields


def test_the_walkers_see_a_write_and_a_lookup() -> None:
    tree = ast.parse("app.state.careteam = x\nstate.reminders = y\ngetattr(app.state, 'd')\n")
    assert state_writes(tree) == ["careteam", "reminders"]
    assert state_lookups(tree) == ["d"]
