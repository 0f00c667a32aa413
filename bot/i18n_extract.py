"""A Babel extractor for conversations/*.yaml: every text a flow sends, with its line."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from bot.engine.loader import load_with_lines

FLOW_TEXTS = ("title", "intro", "done")
STEP_TEXTS = ("ask", "label", "hint", "example")
SHARED_PHONE_TEXTS = ("ask", "hint", "example")

Extracted = tuple[int, str | None, str | tuple[str, ...], list[str]]


def extract_flows(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Yield (line, None, text, comments) for each translatable text in one flow file."""
    flow = load_with_lines(fileobj.read().decode("utf-8"))
    if not isinstance(flow, dict):
        return
    flow_id = flow.get("id", "")
    line = int(flow.get("__line__", 1))
    for key in FLOW_TEXTS:
        if isinstance(flow.get(key), str):
            yield line, None, flow[key], [f"flow {flow_id}: {key}"]
    shared_flow = flow.get("shared_phone")
    if isinstance(shared_flow, dict) and isinstance(shared_flow.get("done"), str):
        note = f"flow {flow_id}: done on a shared phone (no treatment, recovery or health words)"
        yield int(shared_flow.get("__line__", line)), None, shared_flow["done"], [note]
    for step in flow.get("steps", []):
        if not isinstance(step, dict):
            continue
        where = f"{flow_id}.{step.get('id', '?')}"
        step_line = int(step.get("__line__", line))
        for key in STEP_TEXTS:
            if isinstance(step.get(key), str):
                note = f"{where}: {key}" + (" (keep under 2 SMS segments)" if key == "ask" else "")
                yield step_line, None, step[key], [note]
        shared = step.get("shared_phone")
        for key in SHARED_PHONE_TEXTS:
            if isinstance(shared, dict) and isinstance(shared.get(key), str):
                note = f"{where}: {key} on a shared phone (no treatment, recovery or health words)"
                yield int(shared.get("__line__", step_line)), None, shared[key], [note]
        for choice in step.get("choices", []):
            if isinstance(choice, dict) and isinstance(choice.get("label"), str):
                yield (
                    int(choice.get("__line__", step_line)),
                    None,
                    choice["label"],
                    [f"{where}: choice {choice.get('value')}"],
                )
            if isinstance(choice, dict) and isinstance(choice.get("shared_label"), str):
                yield (
                    int(choice.get("__line__", step_line)),
                    None,
                    choice["shared_label"],
                    [f"{where}: choice {choice.get('value')} on a shared phone"],
                )
