"""One rule for every key family (bot/store/keys/): a key about a parent starts with the
prefix and the parent's `{c:<hex>}` tag (its Cluster slot; what DELETE MY DATA erases by),
and a program-wide key names no parent."""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Iterator
from typing import Any

from bot.store.keys import ContactKeys, KeyBuilder
from bot.store.keys.care import CareKeys
from bot.store.keys.dashboard import DashKeys
from bot.store.keys.reminders import ReminderKeys

PREFIX = "t:"
# Program-wide names that carry a contact id (a keyed hash, never the number): the reminders'
# job ids (fields of the {rem} job hash) and fired/sent guards live in the {rem} slot with the
# job's contact inside; these patterns are how DELETE MY DATA finds them
# (Scheduler.forget).
ERASED_BY_PATTERN = {"ReminderKeys.job_match", "ReminderKeys.guards_match"}
CONTACT = KeyBuilder(secrets.token_bytes(32), PREFIX).contact_id("+18605550142")
FAMILIES: list[Any] = [
    ContactKeys(CONTACT, PREFIX),
    KeyBuilder(secrets.token_bytes(32), PREFIX),
    CareKeys(PREFIX),
    ReminderKeys(PREFIX),
    DashKeys(PREFIX),
]


def keys_of(family: Any) -> Iterator[tuple[str, bool, Any]]:
    """(name, about a contact?, what it builds) for every public key a family builds."""
    for name, member in inspect.getmembers(type(family)):
        if name.startswith("_") or name in {"prefix", "contact"}:
            continue
        if isinstance(member, property):
            yield name, isinstance(family, ContactKeys), getattr(family, name)
        elif inspect.isfunction(member):
            params = list(inspect.signature(member).parameters)[1:]
            if not params:
                continue
            args = [CONTACT if p == "contact" else f"x{i}" for i, p in enumerate(params)]
            if params == ["address"]:
                continue  # address -> contact id or ContactKeys: checked through ContactKeys
            about = isinstance(family, ContactKeys) or params[0] == "contact"
            yield name, about, member(family, *args)


def flat(built: Any) -> list[str]:
    if isinstance(built, str):
        return [built]
    if isinstance(built, tuple):
        return [k for part in built for k in flat(part)]
    return []  # not a key (e.g. ContactKeys from for_contact)


def test_every_key_about_a_parent_is_under_their_tag_and_no_other_names_one() -> None:
    checked = 0
    for family in FAMILIES:
        for name, about_contact, built in keys_of(family):
            for key in flat(built):
                checked += 1
                where = f"{type(family).__name__}.{name}: {key}"
                if f"{type(family).__name__}.{name}" in ERASED_BY_PATTERN:
                    assert CONTACT in key, where  # a pattern over job ids and guard keys
                    continue
                assert key.startswith(PREFIX), where
                if about_contact:
                    assert key.startswith(PREFIX + CONTACT), where
                else:
                    assert "{c:" not in key, where
    assert checked > 40  # the walk really saw the families


def test_the_contact_tag_is_the_first_braces_so_the_cluster_slots_by_it() -> None:
    assert CONTACT.startswith("{c:")
    assert CONTACT.endswith("}")
    for key in flat(ReminderKeys(PREFIX).per_contact(CONTACT)):
        assert key.index("{") == len(PREFIX)
