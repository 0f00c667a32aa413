"""No module in bot/ over 400 lines (issue #16), so a newcomer can read any one in a sitting.

Today's exceptions are listed with the issue that splits them. The list only shrinks: a listed
module that is back under the limit fails until its entry is removed, and a new long module
fails at once."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 400
# Module -> the issue that splits it.
EXCEPTIONS: dict[str, int] = {}


def lines_of() -> dict[str, int]:
    return {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in (ROOT / "bot").rglob("*.py")
    }


def test_no_module_in_bot_is_over_the_limit() -> None:
    long = sorted(
        f"{name}: {count} lines"
        for name, count in lines_of().items()
        if count > LIMIT and name not in EXCEPTIONS
    )
    assert long == [], f"split these (at most {LIMIT} lines a module):\n" + "\n".join(long)


def test_the_exceptions_only_shrink() -> None:
    counts = lines_of()
    done = sorted(name for name in EXCEPTIONS if counts.get(name, 0) <= LIMIT)
    assert done == [], f"now within {LIMIT} lines (or gone): remove from EXCEPTIONS: {done}"
