"""The need-kind map: the shipped one is complete; mistakes are named by line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.resources import NEED_KINDS, ResourceDirectoryError
from bot.resources.loader import DEFAULT_TAXONOMY, ROOT
from bot.resources.taxonomy import code_ancestors, load_taxonomy


def test_shipped_map_covers_every_kind_with_the_project_vocabulary() -> None:
    """Each need kind has its `safestart:<kind>` term, so a program can tag directly."""
    taxonomy = load_taxonomy(DEFAULT_TAXONOMY)
    for kind in NEED_KINDS:
        assert kind in taxonomy.kinds_for(f"safestart:{kind}", "")


def test_codes_match_below_themselves_and_names_match_whole() -> None:
    """ "BD-1800" serves a food pantry's "BD-1800.2000"; names ignore case but not words."""
    taxonomy = load_taxonomy(DEFAULT_TAXONOMY)
    assert taxonomy.kinds_for("BD-1800.2000-620", "") == {"food"}
    assert taxonomy.kinds_for("bh-1800.8500", "") == {"housing"}
    assert taxonomy.kinds_for("", "food PANTRIES") == {"food"}
    assert taxonomy.kinds_for("", "Pantries") == frozenset()
    assert taxonomy.kinds_for("BD1800", "") == frozenset()
    assert list(code_ancestors("bd-1800.2000")) == ["bd-1800.2000", "bd-1800", "bd"]


def test_household_support_finds_family_groups() -> None:
    """Help for a family whose household member uses is found under the names 2-1-1
    directories give family groups, not under the parent's own treatment."""
    taxonomy = load_taxonomy(DEFAULT_TAXONOMY)
    for name in ("Al-Anon", "nar-anon", "Family Support Groups"):
        assert taxonomy.kinds_for("", name) == {"household_support"}
    assert "household_support" in taxonomy.kinds_for("", "Family Counseling")
    assert "treatment" not in taxonomy.kinds_for("", "Al-Anon")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("spec_version: 1\nneeds:\n  housing: [a]\n  hosing: [b]\n", 4, "unknown need kind"),
        ("spec_version: 2\nneeds: {}\n", 1, "spec_version must be 1"),
        ("needs: {}\n", 1, "spec_version must be 1"),
        ("spec_version: 1\n", 1, "no 'needs:'"),
        ("spec_version: 1\nneeds:\n  food: BD-1800\n", 3, "give a list"),
        ("spec_version: 1\nneeds:\n  food:\n    - ''\n", 4, "empty term"),
        ("spec_version: 1\nneeds:\n  food: [a]\n  food: [b]\n", 4, "given twice"),
        ("spec_version: 1\nneeds: [food]\n", 2, "must be a mapping"),
        ("spec_version: 1\nneeds:\n  food: [a\n", 4, "not YAML"),
    ],
)
def test_mistakes_name_their_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    """Each mistake in the map raises the typed error with the file and line."""
    path = tmp_path / "taxonomy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ResourceDirectoryError, match=message) as caught:
        load_taxonomy(path)
    assert (caught.value.file, caught.value.row) == ("taxonomy.yaml", line)


def test_a_missing_map_is_named(tmp_path: Path) -> None:
    """A map that is not there is an error about that file."""
    with pytest.raises(ResourceDirectoryError, match="cannot read") as caught:
        load_taxonomy(tmp_path / "nope.yaml")
    assert caught.value.file == "nope.yaml"
    assert caught.value.row is None


def test_need_kinds_are_the_ones_the_flows_tag() -> None:
    """NEED_KINDS and the `need:` tags in conversations/*.yaml are the same set of words."""

    def tags(node: object) -> set[str]:
        if isinstance(node, dict):
            own = {str(node["need"])} if "need" in node else set()
            return own.union(*(tags(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(tags(v) for v in node))
        return set()

    flows = (ROOT / "conversations").glob("*.yaml")
    tagged = set().union(*(tags(yaml.safe_load(p.read_text(encoding="utf-8"))) for p in flows))
    assert tagged == set(NEED_KINDS)
