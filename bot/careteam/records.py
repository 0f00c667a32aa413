"""The care team's records in its own terms: consent versions as `ConsentState`, section
snapshots as `SectionSnapshot`, over a `CareRecordStore` (bot/store/care_records.py, kept
in Redis or, for the contract suite, in memory) that keeps them as plain documents.

The disclosure log is plain already and written from everywhere (delivery, the plan API,
the dashboard), so it is passed through here. The rest the store keeps (delivery jobs and
their schedule, set-aside outbox entries, erasures, token checks) the delivery worker and
the plan reader reach through `store`.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.careteam.consent import NOTHING, ConsentState
from bot.careteam.payload import SectionSnapshot
from bot.store.care_records import AuditEntry, CareRecordStore

__all__ = ["CareRecords"]


class CareRecords:
    """Consent and snapshots translated, the log passed through; `store` for the rest."""

    def __init__(self, store: CareRecordStore) -> None:
        self.store = store

    # ---- consent ----------------------------------------------------------------------

    async def latest_consent(self, contact: str) -> ConsentState:
        """The newest consent version; version 0 (nothing shared) when none was ever given."""
        return (await self.latest_consents([contact]))[contact]

    async def latest_consents(self, contacts: Sequence[str]) -> dict[str, ConsentState]:
        """contact -> newest consent version, for many contacts in one round trip."""
        newest = await self.store.newest_consents(contacts)
        return {c: NOTHING if d is None else ConsentState.from_json(d) for c, d in newest.items()}

    async def consent_history(self, contact: str) -> list[ConsentState]:
        versions = await self.store.consent_versions(contact)
        return [ConsentState.from_json(v) for v in versions]

    async def append_consent(self, contact: str, state: ConsentState) -> bool:
        """Append the next version; False when that version number was taken meanwhile."""
        return await self.store.append_consent(contact, state.version, state.to_json())

    # ---- section snapshots ------------------------------------------------------------

    async def save_snapshot(self, contact: str, snapshot: SectionSnapshot) -> bool:
        """Keep the snapshot unless this section already has that version or a newer one."""
        return await self.store.keep_snapshot(contact, snapshot.section, snapshot.to_json())

    async def snapshots(self, contact: str) -> dict[str, SectionSnapshot]:
        sections = await self.store.section_snapshots(contact)
        return {name: SectionSnapshot.from_json(data) for name, data in sections.items()}

    async def snapshot(self, contact: str, section: str) -> SectionSnapshot | None:
        return (await self.snapshots(contact)).get(section)

    # ---- the disclosure log -----------------------------------------------------------

    async def audit(self, contact: str, entry: AuditEntry) -> None:
        await self.store.audit(contact, entry)

    async def audit_access(self, entry: AuditEntry) -> None:
        """A read of a plan that does not exist (or is not this reader's): program-wide log."""
        await self.store.audit_access(entry)

    async def audit_log(self, contact: str) -> list[AuditEntry]:
        """The contact's whole log, oldest first: what the parent may ask to see."""
        return await self.store.audit_log(contact)
