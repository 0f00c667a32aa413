"""What the care-team records hold, one item each: an entry of a parent's disclosure log (who
received or read what, when, with what result) and a delivery job to one endpoint. Plain
records, kept as they are by the store (bot/store/care_records.py), where they are defined."""

from __future__ import annotations

from bot.store.care_records import AuditEntry, Job

__all__ = ["AuditEntry", "Job"]
