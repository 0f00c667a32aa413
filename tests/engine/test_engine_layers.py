"""Inside the engine, the turn machinery imports only downward (issue 16: the engine split by
concern stays split). `step()` and its fallback order (machine) sit on the answers each mode
expects (answering), which sit on the command table (commands), which sits on walking the
flows (walker) over the engine's read-only context. The pieces below (model, parsing, render,
keywords, crisis...) import none of the machinery."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "bot" / "engine"
# Bottom first; a module may import machinery only from a lower layer.
MACHINERY: tuple[frozenset[str], ...] = (
    frozenset({"turn"}),
    frozenset({"context"}),
    frozenset({"offers", "handoff"}),
    frozenset({"walker"}),
    frozenset({"commands"}),
    frozenset({"answering"}),
    frozenset({"machine"}),
)
LAYER = {unit: number for number, layer in enumerate(MACHINERY) for unit in layer}


def unit_of(path: Path) -> str:
    """bot/engine/commands/sharing.py -> commands; bot/engine/walker.py -> walker."""
    return path.relative_to(ENGINE).with_suffix("").parts[0]


def imported_units(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[:2] == ["bot", "engine"]:
                found |= {parts[2]} if len(parts) > 2 else {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[2] for a in node.names if a.name.startswith("bot.engine.")}
    return found


def test_the_turn_machinery_imports_only_downward() -> None:
    wrong = []
    for path in ENGINE.rglob("*.py"):
        unit = unit_of(path)
        below = LAYER.get(unit, -1)  # a piece (not machinery) may import no machinery at all
        for other in imported_units(ast.parse(path.read_text(encoding="utf-8"))) - {unit}:
            if other in LAYER and LAYER[other] >= below:
                wrong.append(f"{path.relative_to(ENGINE)} imports {other}")
    assert wrong == [], "an import runs up the engine's machinery:\n" + "\n".join(sorted(wrong))


def test_the_check_reads_both_import_forms() -> None:
    tree = ast.parse("from bot.engine import commands\nfrom bot.engine.walker import Walker\n")
    assert imported_units(tree) == {"commands", "walker"}
