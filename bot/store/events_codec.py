"""Engine events to JSON and back, for the outbox stream."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, time
from typing import Any, get_args

from bot.engine.events import AnswerRecord, Event

_TYPES: dict[str, type[Any]] = {cls.__name__: cls for cls in get_args(Event)}
# Fields holding tuple[AnswerRecord, ...]; everything else in an event is plain JSON.
_RECORD_FIELDS = frozenset({"answers"})
# Typed answers carry dates and times (AnswerRecord.value, ReminderRequested.answers):
# tagged so they come back as the same types, not as strings.
_TAGS: dict[str, Any] = {"$datetime": datetime, "$date": date, "$time": time}


def _tag(value: Any) -> dict[str, str]:
    for tag, kind in _TAGS.items():  # datetime first: it is also a date
        if isinstance(value, kind):
            return {tag: value.isoformat()}
    raise TypeError(f"an event holds a {type(value).__name__}, which the outbox cannot carry")


def _untag(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        ((tag, text),) = obj.items()
        kind = _TAGS.get(tag)
        if kind is not None and isinstance(text, str):
            return kind.fromisoformat(text)
    return obj


def event_type(event: Event) -> str:
    """The name stored in clear next to the sealed event, e.g. "SectionCompleted"."""
    return type(event).__name__


def encode_event(event: Event) -> bytes:
    """JSON bytes of the event's fields plus its type; TypeError on a value JSON cannot hold."""
    data = dataclasses.asdict(event)
    data["type"] = event_type(event)
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=_tag)
    return text.encode("utf-8")


def decode_event(raw: bytes | str) -> Event:
    data = json.loads(raw, object_hook=_untag)
    name = data.pop("type")
    cls = _TYPES.get(name)
    if cls is None:
        raise ValueError(f"unknown event type {name!r}")
    for key in _RECORD_FIELDS & data.keys():
        if isinstance(data[key], list):
            data[key] = tuple(AnswerRecord(**record) for record in data[key])
    event: Event = cls(**data)
    return event
