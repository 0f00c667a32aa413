"""Reading a directory file: YAML with line numbers, secrets from the environment, every
problem named by file, line and field, and the rules that span entries."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.careteam.directory.model import ApiToken, Directory
from bot.careteam.directory.promises import not_child_protection, on_call_everywhere
from bot.engine.loader import load_with_lines
from bot.errors import ConfigError


@dataclass(frozen=True, slots=True)
class DirectoryProblem:
    file: str
    line: int
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.where}: {self.message}"


class DirectoryError(ConfigError):
    """The care-team directory cannot be used; each problem names file, line and field."""

    def __init__(self, problems: list[DirectoryProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _strip_lines(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_lines(v) for k, v in node.items() if k != "__line__"}
    if isinstance(node, list):
        return [_strip_lines(v) for v in node]
    return node


def _line_of(raw: Any, loc: tuple[Any, ...]) -> int:
    node, line = raw, int(raw.get("__line__", 1)) if isinstance(raw, dict) else 1
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict):
            line = int(node.get("__line__", line))
    return line


def _where(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"


def load_directory(path: Path, env: Mapping[str, str] | None = None) -> Directory:
    """Read and check a directory file; DirectoryError lists every problem with its line.

    An endpoint may give `secret_env: NAME` instead of `secret`, read from `env` (default:
    the process environment), so real secrets need not sit in the file.
    """
    name = str(path)
    env = os.environ if env is None else env
    try:
        raw = load_with_lines(path.read_text(encoding="utf-8"))
    except OSError as exc:
        problem = DirectoryProblem(name, 0, "(file)", exc.strerror or "unreadable")
        raise DirectoryError([problem]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = DirectoryProblem(name, line, "(file)", f"not valid YAML: {exc}")
        raise DirectoryError([problem]) from None
    if not isinstance(raw, dict):
        raise DirectoryError([DirectoryProblem(name, 1, "(file)", "must be a mapping")])
    problems = _resolve_secret_env(name, raw, env)
    try:
        directory = Directory.model_validate({**_strip_lines(raw), "source": name})
    except ValidationError as exc:
        errors = exc.errors()
        for err in errors:
            loc = tuple(err["loc"])
            if err["type"] == "too_short" and any(
                len(e["loc"]) > len(loc) and tuple(e["loc"][: len(loc)]) == loc for e in errors
            ):
                continue  # pydantic's echo of an item already reported ("at least 1 item")
            # Literal errors list every allowed value; say it once, plainly.
            message = err["msg"].replace("Input should be", "should be")
            problems.append(DirectoryProblem(name, _line_of(raw, loc), _where(loc), message))
        raise DirectoryError(problems) from None
    problems += _check_references(name, raw, directory)
    if not problems:
        problems += [
            DirectoryProblem(name, _line_of(raw, loc), _where(loc), message)
            for loc, message in (*not_child_protection(directory), *on_call_everywhere(directory))
        ]
    if problems:
        raise DirectoryError(problems)
    return directory


def _resolve_secret_env(name: str, raw: dict[str, Any], env: Mapping[str, str]) -> list[Any]:
    problems: list[DirectoryProblem] = []
    endpoints = raw.get("endpoints")
    for i, endpoint in enumerate(endpoints if isinstance(endpoints, list) else []):
        if not isinstance(endpoint, dict) or "secret_env" not in endpoint:
            continue
        var = endpoint.pop("secret_env")
        where = f"endpoints[{i}].secret_env"
        line = int(endpoint.get("__line__", 0))
        if "secret" in endpoint:
            problems.append(
                DirectoryProblem(name, line, where, "give secret or secret_env, not both")
            )
        elif not isinstance(var, str) or var not in env:
            problems.append(
                DirectoryProblem(name, line, where, f"environment variable {var} unset")
            )
            endpoint["secret"] = "whsec_" + "A" * 44  # placeholder so other checks still run
        else:
            endpoint["secret"] = env[var]
    return problems


def _check_references(name: str, raw: dict[str, Any], d: Directory) -> list[DirectoryProblem]:
    """Rules across entries: unique ids and token ids, known organizations and members, no
    cross-organization serving."""
    problems: list[DirectoryProblem] = []

    def problem(loc: tuple[Any, ...], message: str) -> None:
        problems.append(DirectoryProblem(name, _line_of(raw, loc), _where(loc), message))

    seen: dict[str, str] = {}
    ids = [("organizations", i, o.id) for i, o in enumerate(d.organizations)]
    ids += [("members", i, m.id) for i, m in enumerate(d.members)]
    ids += [("endpoints", i, e.id) for i, e in enumerate(d.endpoints)]
    ids += [("operators", i, o.id) for i, o in enumerate(d.operators)]
    for kind, i, ident in ids:
        if ident in seen:
            problem((kind, i, "id"), f"id {ident!r} is already used by {seen[ident]}")
        seen[ident] = f"{kind}[{i}]"
    orgs = d.organization_by_id
    owners: list[tuple[str, int, str, ApiToken | None]] = [
        ("members", i, m.organization, m.api_token) for i, m in enumerate(d.members)
    ]
    owners += [("endpoints", i, e.organization, e.api_token) for i, e in enumerate(d.endpoints)]
    for kind, i, organization, _ in owners:
        if organization not in orgs:
            problem((kind, i, "organization"), f"no organization {organization!r}")
    owners += [("operators", i, "", o.api_token) for i, o in enumerate(d.operators)]
    tokens: dict[str, str] = {}
    for kind, i, _, token in owners:
        if token is not None:
            if token.id in tokens:
                problem((kind, i, "api_token", "id"), f"token id repeats {tokens[token.id]}")
            tokens[token.id] = f"{kind}[{i}]"
    for i, e in enumerate(d.endpoints):
        if not e.serves.roles and not e.serves.members:
            problem(("endpoints", i, "serves"), "serves no role and no member")
        for j, member_id in enumerate(e.serves.members):
            member = d.member_by_id.get(member_id)
            if member is None:
                problem(("endpoints", i, "serves", "members", j), f"no member {member_id!r}")
            elif member.organization != e.organization:
                # An endpoint receives for its own organization only, or consent leaks across.
                problem(
                    ("endpoints", i, "serves", "members", j),
                    f"member {member_id!r} belongs to {member.organization!r}, "
                    f"not to this endpoint's organization {e.organization!r}",
                )
    fallback = d.program.crisis_fallback
    if fallback is not None and fallback not in orgs:
        problem(("program", "crisis_fallback"), f"no organization {fallback!r}")
    return problems
