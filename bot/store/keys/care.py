"""The care team's keys: per contact under its `{c:<hex>}` tag (consent, snapshots, the
disclosure log, delivery jobs), and program-wide queues and leases (`careteam:*`)."""

from __future__ import annotations


class CareKeys:
    """Every care-team key, built here; `prefix` matches the conversation store's."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix

    def consents(self, contact: str) -> str:
        return f"{self.prefix}{contact}:ct:consents"

    def snapshots(self, contact: str) -> str:
        return f"{self.prefix}{contact}:ct:snapshots"

    def log(self, contact: str) -> str:
        return f"{self.prefix}{contact}:ct:log"

    # Written before 2026-12 (see the module docstring): read, folded in, never written.
    def consent(self, contact: str) -> str:
        return f"{self.prefix}{contact}:ct:consent"

    def audit(self, contact: str) -> str:
        return f"{self.prefix}{contact}:ct:audit"

    def sections(self, contact: str) -> str:
        return f"{self.prefix}{contact}:ct:sections"

    def job(self, contact: str, webhook_id: str) -> str:
        return f"{self.prefix}{contact}:ct:job:{webhook_id}"

    def done(self, contact: str) -> str:
        return f"{self.prefix}{contact}:ct:done"

    @property
    def due(self) -> str:
        return f"{self.prefix}careteam:due"

    @property
    def parked(self) -> str:
        return f"{self.prefix}careteam:parked"

    @property
    def access(self) -> str:
        return f"{self.prefix}careteam:access"

    @property
    def leader(self) -> str:
        return f"{self.prefix}careteam:leader"

    @property
    def dead(self) -> str:
        return f"{self.prefix}careteam:dead"

    def token_checks(self, address: str) -> str:
        """Failed bearer-token checks from one client address (a counter with a TTL)."""
        return f"{self.prefix}careteam:token-checks:{address}"

    @property
    def erasures(self) -> str:
        return f"{self.prefix}careteam:erasures"
