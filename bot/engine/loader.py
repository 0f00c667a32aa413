"""Load conversations/*.yaml into validated flows and check the rules a schema cannot see."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.engine.discretion import says_sensitive
from bot.engine.model import Flow, Step
from bot.errors import FlowError, FlowProblem

END = "end"
# Placeholders a flow text may use; the engine fills them in.
FLOW_PLACEHOLDERS = frozenset({"program", "plan", "name"})
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class LineLoader(yaml.SafeLoader):
    """A YAML loader that keeps each mapping's line number under '__line__'."""


def _mapping_with_line(loader: LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def load_with_lines(text: str) -> Any:
    """Parse YAML safely; every mapping carries its line number under '__line__'."""
    return yaml.load(text, Loader=LineLoader)  # noqa: S506 - a SafeLoader subclass


@dataclass(frozen=True, slots=True)
class FlowSet:
    """Every flow, by id, in a fixed order: onboarding, sections by number, the rest."""

    flows: Mapping[str, Flow]

    @property
    def onboarding(self) -> Flow:
        return next(f for f in self.flows.values() if f.kind == "onboarding")

    @property
    def sections(self) -> list[Flow]:
        return sorted(
            (f for f in self.flows.values() if f.kind == "section"), key=lambda f: f.number or 0
        )

    @property
    def menu_flows(self) -> list[Flow]:
        """What the menu lists: the sections by number, then extras such as reminders."""
        extras = [f for f in self.flows.values() if f.kind == "reminders"]
        return [*self.sections, *extras]

    def __getitem__(self, flow_id: str) -> Flow:
        return self.flows[flow_id]


def load_flows(directory: Path) -> FlowSet:
    """Load and check every flow; raise FlowError listing every problem found."""
    flows, problems = read_flows(directory)
    problems.extend(check_flows(flows))
    if problems:
        raise FlowError(problems)
    return FlowSet({flow.id: flow for flow in flows})


def read_flows(directory: Path) -> tuple[list[Flow], list[FlowProblem]]:
    flows: list[Flow] = []
    problems: list[FlowProblem] = []
    files = sorted(directory.glob("*.yaml"))
    if not files:
        problems.append(FlowProblem(str(directory), 0, "-", None, "no flow files found"))
    for path in files:
        flow, found = read_flow(path)
        problems.extend(found)
        if flow is not None:
            flows.append(flow)
    return flows, problems


def read_flow(path: Path) -> tuple[Flow | None, list[FlowProblem]]:
    name = str(path)
    try:
        raw = load_with_lines(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        return None, [FlowProblem(name, line, path.stem, None, f"not valid YAML: {exc}")]
    if not isinstance(raw, dict):
        return None, [FlowProblem(name, 1, path.stem, None, "a flow file must be a mapping")]
    try:
        flow = Flow.model_validate({**raw, "source": name})
    except ValidationError as exc:
        return None, [_schema_problem(name, path.stem, raw, err) for err in exc.errors()]
    if flow.id != path.stem:
        return flow, [
            FlowProblem(name, 1, flow.id, None, f"flow id must match file name {path.stem!r}")
        ]
    return flow, []


def _schema_problem(file: str, flow_id: str, raw: dict[str, Any], error: Any) -> FlowProblem:
    """Turn a pydantic error into a problem at the deepest mapping's line."""
    node: Any = raw
    line = int(raw.get("__line__", 1))
    step_id: str | None = None
    for part in error["loc"]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict):
            line = int(node.get("__line__", line))
            if "id" in node and "ask" in node:
                step_id = str(node["id"])
    where = ".".join(str(p) for p in error["loc"])
    return FlowProblem(file, line, str(raw.get("id", flow_id)), step_id, f"{where}: {error['msg']}")


def check_flows(flows: Iterable[Flow]) -> list[FlowProblem]:
    """The rules across steps and flows: ids, references, reachability, exits, texts."""
    flows = list(flows)
    problems: list[FlowProblem] = []
    seen_flows: dict[str, Flow] = {}
    for flow in flows:
        if flow.id in seen_flows:
            problems.append(_at(flow, None, f"flow id repeats {seen_flows[flow.id].source}"))
        seen_flows[flow.id] = flow
    kinds = [f.kind for f in flows]
    if flows and kinds.count("onboarding") != 1:
        problems.append(
            FlowProblem("conversations", 0, "-", None, "exactly one onboarding flow is needed")
        )
    numbers = [f.number for f in flows if f.kind == "section"]
    if len(numbers) != len(set(numbers)):
        problems.append(
            FlowProblem("conversations", 0, "-", None, f"section numbers repeat: {numbers}")
        )
    all_steps = {(f.id, s.id) for f in flows for s in f.steps}
    for flow in flows:
        problems.extend(_check_flow(flow, all_steps))
        problems.extend(_check_shared_phone(flow))
        problems.extend(_check_same_as(flow, seen_flows))
    return problems


def _check_same_as(flow: Flow, flows: Mapping[str, Flow]) -> list[FlowProblem]:
    """A `same_as` names an existing step of another flow, both ways, with choices that fit."""
    problems: list[FlowProblem] = []
    for step in flow.steps:
        same = step.same_as
        if same is None:
            continue
        other = flows.get(same.flow_id)
        target = next((s for s in other.steps if s.id == same.step_id), None) if other else None
        if other is None or target is None:
            problems.append(_at(flow, step, f"same_as {same.step!r}: no such step"))
            continue
        back = target.same_as
        if back is None or (back.flow_id, back.step_id) != (flow.id, step.id):
            problems.append(_at(flow, step, f"same_as {same.step!r} must name this step back"))
        own = {c.value for c in step.choices}
        theirs = {c.value for c in target.choices}
        for mine, mapped in same.values.items():
            if mine not in own or mapped not in theirs:
                problems.append(_at(flow, step, f"same_as values {mine!r}: {mapped!r} unknown"))
    return problems


def _check_shared_phone(flow: Flow) -> list[FlowProblem]:
    """What a shared phone is texted names nothing private (discretion.SENSITIVE_WORDS, in
    the flow's own English; tests check the catalogs): a question that does is marked
    `private_question` (it waits for the private chat) or worded by its `shared_phone` texts,
    a choice that does is `sensitive` (named by number) or has a `shared_label`."""
    problems: list[FlowProblem] = []
    said = [flow.done_text(discreet=True)]
    said += [] if flow.sensitive else [flow.title]
    said += [] if flow.private_questions or not flow.intro else [flow.intro]
    for text in said:
        if says_sensitive(text):
            problems.append(_at(flow, None, f"{text!r} names something private on a shared phone"))
    for step in flow.steps:
        if flow.asks_privately(step):
            continue
        texts = [step.text(key, discreet=True) for key in ("ask", "hint", "example")]
        texts += [c.shared_label or c.label for c in step.choices if not c.sensitive]
        for text in (t for t in texts if t and says_sensitive(t)):
            problems.append(
                _at(
                    flow,
                    step,
                    f"{text!r} names something private on a shared phone: mark the "
                    "step private_question or give it shared_phone words",
                )
            )
    return problems


def _at(flow: Flow, step: Step | None, message: str) -> FlowProblem:
    return FlowProblem(
        flow.source, step.line if step else flow.line, flow.id, step.id if step else None, message
    )


def _check_flow(flow: Flow, all_steps: set[tuple[str, str]]) -> list[FlowProblem]:
    problems: list[FlowProblem] = []
    ids: set[str] = set()
    for step in flow.steps:
        if step.id in ids:
            problems.append(_at(flow, step, f"step id {step.id!r} repeats"))
        ids.add(step.id)
    order = [s.id for s in flow.steps]
    for position, step in enumerate(flow.steps):
        for branch in step.next:
            if branch.goto != END and branch.goto not in ids:
                problems.append(_at(flow, step, f"goto {branch.goto!r}: no such step"))
        conditions = [b.condition for b in step.next if b.condition] + (
            [step.when] if step.when else []
        )
        for condition in conditions:
            for ref in condition.refs:
                problems.extend(_check_ref(flow, step, ref, order[: position + 1], all_steps))
        problems.extend(_check_texts(flow, step))
        if step.upcoming is not None:
            day = step.upcoming.date
            earlier = {s.id: s for s in flow.steps[:position]}
            if day not in earlier or earlier[day].type != "date":
                problems.append(_at(flow, step, f"upcoming {day!r}: not a date step before it"))
    if not problems:
        problems.extend(_check_graph(flow))
    shared_done = flow.shared_phone.done if flow.shared_phone else None
    for text, what in ((flow.title, "title"), (flow.done, "done"), (shared_done, "shared done")):
        if text is not None:
            problems.extend(_check_text(flow, None, text, what))
    return problems


def _check_ref(
    flow: Flow, step: Step, ref: str, earlier: list[str], all_steps: set[tuple[str, str]]
) -> list[FlowProblem]:
    if "." in ref:
        other, name = ref.split(".", 1)
        if (other, name) not in all_steps:
            return [_at(flow, step, f"condition reads {ref!r}: no such step")]
        return []
    if ref not in earlier:
        return [_at(flow, step, f"condition reads {ref!r}: not a step asked before this one")]
    return []


def _check_texts(flow: Flow, step: Step) -> list[FlowProblem]:
    problems = _check_text(flow, step, step.ask, "ask") + _check_text(
        flow, step, step.label, "label"
    )
    for text, what in ((step.hint, "hint"), (step.example, "example")):
        if text is not None:
            problems += _check_text(flow, step, text, what)
    shared = step.shared_phone
    for key in ("ask", "hint", "example") if shared else ():
        text = getattr(shared, key)
        if text is not None:
            problems += _check_text(flow, step, text, f"shared_phone {key}")
    for choice in step.choices:
        problems += _check_text(flow, step, choice.label, f"choice {choice.value!r} label")
        if choice.shared_label is not None:
            where = f"choice {choice.value!r} shared_label"
            problems += _check_text(flow, step, choice.shared_label, where)
    return problems


def _check_text(flow: Flow, step: Step | None, text: str, what: str) -> list[FlowProblem]:
    if not text.strip():
        return [_at(flow, step, f"{what} text is missing")]
    unknown = set(_PLACEHOLDER.findall(text)) - FLOW_PLACEHOLDERS
    if unknown:
        return [_at(flow, step, f"{what} uses unknown placeholder(s) {sorted(unknown)}")]
    return []


def successors(flow: Flow, index: int) -> list[str]:
    """Where a step can lead: its branches, else (or when skipped) the next step in order."""
    step = flow.steps[index]
    following = flow.steps[index + 1].id if index + 1 < len(flow.steps) else END
    targets = [b.goto for b in step.next]
    if not step.next or step.next[-1].condition is not None:
        targets.append(following)
    if step.when is not None:
        targets.append(following)
    return targets


def _check_graph(flow: Flow) -> list[FlowProblem]:
    index = {s.id: i for i, s in enumerate(flow.steps)}
    edges = {s.id: successors(flow, i) for i, s in enumerate(flow.steps)}
    reached: set[str] = set()
    todo = [flow.steps[0].id]
    while todo:
        current = todo.pop()
        if current in reached or current == END:
            continue
        reached.add(current)
        todo.extend(edges[current])
    problems = [
        _at(flow, step, "unreachable: no path from the first step leads here")
        for step in flow.steps
        if step.id not in reached
    ]
    exits: set[str] = {END}
    changed = True
    while changed:
        changed = False
        for step_id, targets in edges.items():
            if step_id not in exits and any(t in exits for t in targets):
                exits.add(step_id)
                changed = True
    problems += [
        _at(flow, flow.steps[index[s]], "loop with no way out: this step can never reach the end")
        for s in sorted(reached - exits, key=index.__getitem__)
    ]
    return problems
