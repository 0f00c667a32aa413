"""Every Redis key Safe Start uses is built in this package, and nowhere else: one family
per module, one rule for where a key lives.

  contact.py    ContactKeys, KeyBuilder, OUTBOX_STREAM, field_aad: a parent's session, plan,
                address, dedupe, chat log, channel state; the outbox stream
  care.py       CareKeys: consent, snapshots, disclosure log, delivery jobs (per contact);
                careteam:due / parked / access / leader / dead / erasures (program-wide)
  reminders.py  ReminderKeys: appointments, offers, guards (per contact); the {rem} jobs,
                run times, due stream and leader (program-wide, one slot)
  dashboard.py  DashKeys: members' passwords, sessions, sign-in counters (program-wide, no
                parent data); a parent's plan links (per contact)

The rule erasure and Redis Cluster slotting rest on: every key that holds anything about a
parent starts with the key prefix and the parent's contact id `{c:<hex>}`, so it is in that
contact's slot and DELETE MY DATA finds it by that tag alone. Program-wide keys carry no
parent data in clear, and those one script touches together share a tag ({rem}, {outbox…}).
tests/store/test_key_families.py holds every family to it.
"""

from bot.store.keys.contact import OUTBOX_STREAM, ContactKeys, KeyBuilder, field_aad

__all__ = ["OUTBOX_STREAM", "ContactKeys", "KeyBuilder", "field_aad"]
