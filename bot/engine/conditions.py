"""A small, safe condition language for branching on earlier answers (never eval).

Grammar:
    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" expr ")" | test
    test       := ref [("==" | "!=") value | "in" list | "contains" value
                       | "is" ("answered" | "skipped" | "yes" | "no")]
    ref        := name | flow "." name
    value      := word | 'quoted' | "quoted" | number
    list       := "[" value ("," value)* "]"
A bare ref is true when the answer is yes, a non-empty choice list, or any other value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic_core import core_schema

from bot.errors import SafeStartError

_TOKEN = re.compile(
    r"\s*(?:(?P<op>==|!=|\(|\)|\[|\]|,)|(?P<str>'[^']*'|\"[^\"]*\")|(?P<word>[A-Za-z0-9_.\-]+))"
)
_REF = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")
_KEYWORDS = {"and", "or", "not", "in", "contains", "is"}

# (present, value): whether the step was answered, and its stored value.
Lookup = Callable[[str], tuple[bool, Any]]


class ConditionSyntaxError(SafeStartError, ValueError):
    """A condition that does not fit the grammar above."""


@dataclass(frozen=True, slots=True)
class _Test:
    ref: str
    op: str
    operand: Any

    def evaluate(self, lookup: Lookup) -> bool:
        present, value = lookup(self.ref)
        if self.op == "answered":
            return present and value is not None
        if self.op == "skipped":
            return present and value is None
        if not present or value is None:
            return False
        if self.op == "truthy":
            return bool(value)
        if self.op == "==":
            return _same(value, self.operand)
        if self.op == "!=":
            return not _same(value, self.operand)
        if self.op == "in":
            return any(_same(value, item) for item in self.operand)
        if self.op == "contains":
            return isinstance(value, list) and any(_same(v, self.operand) for v in value)
        raise AssertionError(self.op)


def _same(value: Any, operand: Any) -> bool:
    if isinstance(value, bool):
        return operand in (("yes", "true") if value else ("no", "false"))
    return str(value) == str(operand)


@dataclass(frozen=True, slots=True)
class _Not:
    inner: _Node

    def evaluate(self, lookup: Lookup) -> bool:
        return not self.inner.evaluate(lookup)


@dataclass(frozen=True, slots=True)
class _All:
    parts: tuple[_Node, ...]
    any_of: bool

    def evaluate(self, lookup: Lookup) -> bool:
        results = (part.evaluate(lookup) for part in self.parts)
        return any(results) if self.any_of else all(results)


_Node = _Test | _Not | _All


class Condition:
    """A parsed condition: evaluate it against answers, list the answers it reads."""

    __slots__ = ("_root", "refs", "source")

    def __init__(self, source: str, root: _Node, refs: tuple[str, ...]) -> None:
        self.source = source
        self._root = root
        self.refs = refs

    def evaluate(self, lookup: Lookup) -> bool:
        return self._root.evaluate(lookup)

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.is_instance_schema(cls)


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokenize(source)
        self.pos = 0
        self.refs: list[str] = []

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None:
            raise ConditionSyntaxError("the condition ends too early")
        if expected is not None and token != expected:
            raise ConditionSyntaxError(f"expected {expected!r}, found {token!r}")
        self.pos += 1
        return token

    def expr(self) -> _Node:
        parts = [self.and_expr()]
        while self.peek() == "or":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else _All(tuple(parts), any_of=True)

    def and_expr(self) -> _Node:
        parts = [self.not_expr()]
        while self.peek() == "and":
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else _All(tuple(parts), any_of=False)

    def not_expr(self) -> _Node:
        if self.peek() == "not":
            self.take()
            return _Not(self.not_expr())
        if self.peek() == "(":
            self.take()
            inner = self.expr()
            self.take(")")
            return inner
        return self.test()

    def test(self) -> _Node:
        ref = self.take()
        if not _REF.match(ref) or ref in _KEYWORDS:
            raise ConditionSyntaxError(f"{ref!r} is not an answer name")
        self.refs.append(ref)
        op = self.peek()
        if op in ("==", "!="):
            self.take()
            return _Test(ref, op, self.value())
        if op == "contains":
            self.take()
            return _Test(ref, op, self.value())
        if op == "in":
            self.take()
            self.take("[")
            items = [self.value()]
            while self.peek() == ",":
                self.take()
                items.append(self.value())
            self.take("]")
            return _Test(ref, "in", tuple(items))
        if op == "is":
            self.take()
            what = self.take()
            if what in ("answered", "skipped"):
                return _Test(ref, what, None)
            if what in ("yes", "no"):
                return _Test(ref, "==", what)
            raise ConditionSyntaxError(f"'is' takes answered, skipped, yes or no, not {what!r}")
        return _Test(ref, "truthy", None)

    def value(self) -> str:
        token = self.take()
        if token in ("(", ")", "[", "]", ",", "==", "!=") or token in _KEYWORDS:
            raise ConditionSyntaxError(f"expected a value, found {token!r}")
        if token[0] in "'\"":
            return token[1:-1]
        return token


def _tokenize(source: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = source.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ConditionSyntaxError(f"cannot read {text[pos:]!r}")
        tokens.append(match.group("op") or match.group("str") or match.group("word"))
        pos = match.end()
    return tokens


def parse_condition(source: str) -> Condition:
    """Parse a condition, or raise ConditionSyntaxError saying what is wrong."""
    parser = _Parser(source)
    if not parser.tokens:
        raise ConditionSyntaxError("the condition is empty")
    root = parser.expr()
    if parser.peek() is not None:
        raise ConditionSyntaxError(f"unexpected {parser.peek()!r}")
    return Condition(source, root, tuple(parser.refs))
