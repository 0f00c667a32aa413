"""What the care-team records hold, one item each: an entry of a parent's disclosure log (who
received or read what, when, with what result) and a delivery job to one endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the disclosure log: who, what (section and version), when, result."""

    at: datetime
    actor: str
    organization: str
    action: str  # deliver | withhold | supersede | park | retry | read | deny | stop
    what: str  # "recovery v2", "plan.crisis", "plan.json: basic_needs v1, health v3"
    result: str  # "200", "503", "ConnectError", "no consent", ...
    webhook_id: str | None = None
    attempt: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "organization": self.organization,
            "action": self.action,
            "what": self.what,
            "result": self.result,
            "webhook_id": self.webhook_id,
            "attempt": self.attempt,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AuditEntry:
        return cls(**{**data, "at": datetime.fromisoformat(data["at"])})


@dataclass(frozen=True, slots=True)
class Job:
    """One delivery to one endpoint; its webhook id is stable across every retry."""

    webhook_id: str
    contact: str
    kind: str  # a webhook type (directory.EVENT_TYPES, or plan.deleted)
    endpoint: str
    created_at: float
    section: str | None = None
    version: int | None = None
    body: Mapping[str, Any] | None = None  # sections build theirs at send; the rest carry it
    step: str | None = None  # needs: the answer that shows it (a private one needs its own yes)
    status: str = "pending"
    attempts: int = 0
    last_result: str = ""

    @property
    def member(self) -> str:
        return f"{self.contact}|{self.webhook_id}"

    def sealed_fields(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "endpoint": self.endpoint,
            "created_at": self.created_at,
            "section": self.section,
            "version": self.version,
            "body": dict(self.body) if self.body is not None else None,
            "step": self.step,
        }
