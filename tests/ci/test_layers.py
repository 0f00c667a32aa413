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


# Every part of bot/ (a package or a top-level module), bottom first. A part may import only
# parts in a lower layer (issue #16: imports between packages only downward). A new part, or
# an arrow that runs up or sideways, fails test_imports_between_packages_run_only_downward.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"errors", "settings", "observability"}),
    frozenset({"engine"}),  # pure (tests/engine/test_engine_is_pure.py)
    frozenset({"i18n", "i18n_catalogs", "i18n_extract", "geo", "corpus", "disclosures"}),
    frozenset({"reports", "resources"}),
    frozenset({"flows"}),
    frozenset({"store"}),
    frozenset({"scheduling"}),  # the one scheduler for timed work, below its users
    frozenset({"careteam"}),
    frozenset({"floods"}),
    frozenset({"service"}),
    frozenset({"channels"}),
    frozenset({"reminders"}),
    frozenset({"dashboard"}),
    frozenset({"web"}),
    frozenset({"__main__", "__init__"}),
)
LAYER_OF = {part: number for number, layer in enumerate(LAYERS) for part in layer}


def part_of(module: str) -> str | None:
    """The part of bot/ a dotted module name belongs to ("bot.store.keys" -> "store")."""
    names = module.split(".")
    return names[1] if names[0] == "bot" and len(names) > 1 else None


def arrows() -> set[tuple[str, str, str]]:
    """(from part, to part, file) for every import of another part of bot/."""
    found: set[tuple[str, str, str]] = set()
    for path in BOT.rglob("*.py"):
        relative = path.relative_to(BOT.parent)
        source = part_of(".".join(relative.with_suffix("").parts))
        for module, name in imported(ast.parse(path.read_text())):
            target = part_of(f"bot.{name}" if module == "bot" else module)
            if source and target and target != source:
                found.add((source, target, str(relative)))
    return found


def test_every_part_of_bot_has_a_layer() -> None:
    parts = {p.stem for p in BOT.glob("*.py")}
    parts |= {p.name for p in BOT.iterdir() if (p / "__init__.py").exists()}
    missing = sorted(parts - set(LAYER_OF))
    assert missing == [], f"give these a place in LAYERS: {missing}"


def test_imports_between_packages_run_only_downward() -> None:
    upward = sorted(
        f"{path}: {source} (layer {LAYER_OF[source]}) imports {target} (layer {LAYER_OF[target]})"
        for source, target, path in arrows()
        if source in LAYER_OF and target in LAYER_OF and LAYER_OF[target] >= LAYER_OF[source]
    )
    assert upward == [], "imports must run down the LAYERS order:\n" + "\n".join(upward)


def test_the_layer_check_sees_an_upward_arrow() -> None:
    """The walker reads `from bot import x` and `import bot.x.y` as arrows to x."""
    tree = ast.parse("from bot import service\nimport bot.web.chat\nfrom bot.store.keys import K\n")
    targets = {part_of(f"bot.{n}" if m == "bot" else m) for m, n in imported(tree)}
    assert targets == {"service", "web", "store"}
    assert LAYER_OF["web"] > LAYER_OF["store"] > LAYER_OF["engine"]
