"""The need-kind map (resources/taxonomy.yaml): which taxonomy terms satisfy each need kind.

The file is data, validated at load:

    spec_version: 1
    needs:
      housing: [safestart:housing, BH-1800, Emergency Shelter]

A term matches a directory's taxonomy term by its code or its name, case-insensitively. A
code also matches every code below it in the AIRS/211 hierarchy ("BD-1800" matches
"BD-1800.2000"), and a directory term matches whatever its parent term matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.resources.errors import ResourceDirectoryError
from bot.resources.model import NEED_KINDS

SPEC_VERSION = 1
_CODE_BREAKS = re.compile(r"[.-]")
Nodes = dict[str, tuple[yaml.Node, yaml.Node]]  # key -> (key node, value node)


@dataclass(frozen=True, slots=True)
class TaxonomyMap:
    """Need kinds by folded term (code or name), as read from the map file."""

    kinds_by_term: Mapping[str, frozenset[str]]

    def kinds_for(self, code: str, name: str) -> frozenset[str]:
        """The need kinds a term serves: by name, by code, or by a code above it."""
        found: set[str] = set(self.kinds_by_term.get(name.strip().casefold(), ()))
        for prefix in code_ancestors(code.strip().casefold()):
            found.update(self.kinds_by_term.get(prefix, ()))
        return frozenset(found)


def code_ancestors(code: str) -> Iterable[str]:
    """A code and each code above it: "bd-1800.2000" -> itself, "bd-1800", "bd"."""
    if not code:
        return
    yield code
    for found in reversed(list(_CODE_BREAKS.finditer(code))):
        if found.start() > 0:
            yield code[: found.start()]


def load_taxonomy(path: Path) -> TaxonomyMap:
    """Read and check the map; a ResourceDirectoryError names the line of any mistake."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResourceDirectoryError(path.name, None, f"cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ResourceDirectoryError(path.name, line, f"not YAML: {exc}") from exc
    top = _mapping(path, root, "the file")
    version = top.get("spec_version")
    if version is None or _scalar(path, version[1]) != str(SPEC_VERSION):
        line = version[1].start_mark.line + 1 if version else 1
        raise ResourceDirectoryError(path.name, line, f"spec_version must be {SPEC_VERSION}")
    if "needs" not in top:
        raise ResourceDirectoryError(path.name, 1, "no 'needs:' mapping")
    kinds_by_term: dict[str, set[str]] = {}
    for kind, (key_node, terms_node) in _mapping(path, top["needs"][1], "'needs'").items():
        if kind not in NEED_KINDS:
            raise ResourceDirectoryError(
                path.name, key_node.start_mark.line + 1, f"unknown need kind {kind!r}"
            )
        if not isinstance(terms_node, yaml.SequenceNode):
            raise ResourceDirectoryError(
                path.name, terms_node.start_mark.line + 1, f"{kind}: give a list of terms"
            )
        for term_node in terms_node.value:
            term = _scalar(path, term_node).strip().casefold()
            if not term:
                raise ResourceDirectoryError(
                    path.name, term_node.start_mark.line + 1, f"{kind}: empty term"
                )
            kinds_by_term.setdefault(term, set()).add(kind)
    return TaxonomyMap({term: frozenset(kinds) for term, kinds in kinds_by_term.items()})


def _mapping(path: Path, node: yaml.Node | None, what: str) -> Nodes:
    if not isinstance(node, yaml.MappingNode):
        line = node.start_mark.line + 1 if node is not None else None
        raise ResourceDirectoryError(path.name, line, f"{what} must be a mapping")
    found: Nodes = {}
    for key_node, value_node in node.value:
        key = _scalar(path, key_node)
        if key in found:
            raise ResourceDirectoryError(
                path.name, key_node.start_mark.line + 1, f"{key!r} is given twice"
            )
        found[key] = (key_node, value_node)
    return found


def _scalar(path: Path, node: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise ResourceDirectoryError(path.name, node.start_mark.line + 1, "expected a word")
    return str(node.value)
