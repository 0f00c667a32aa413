"""Flatten HSDS 3 JSON objects that nest their related records into plain table rows.

What is read from inside an object (anything else nested, e.g. contacts or funding, is left):

    service              organization, phones, languages, service_areas, schedules,
                         attributes (each with its taxonomy_term), service_at_locations
    service_at_location  location, phones, schedules, service_areas
    location             addresses, phones, languages, schedules
    organization         phones

A nested list's records get their parent's id (e.g. a service's phones get `service_id`); a
nested single object gets an id if it has none, and its parent points at it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Literal

Fields = dict[str, object]
Rows = Iterator[tuple[str, Fields, str]]  # (table, fields, path inside the item)
How = Literal["one", "many"]

# parent table -> nested key -> (child table, "one" | "many", the linking field)
NESTED: Mapping[str, Mapping[str, tuple[str, How, str]]] = {
    "services": {
        "organization": ("organizations", "one", "organization_id"),
        "phones": ("phones", "many", "service_id"),
        "languages": ("languages", "many", "service_id"),
        "service_areas": ("service_areas", "many", "service_id"),
        "schedules": ("schedules", "many", "service_id"),
        "attributes": ("attributes", "many", "link_id"),
        "service_at_locations": ("service_at_locations", "many", "service_id"),
    },
    "service_at_locations": {
        "location": ("locations", "one", "location_id"),
        "phones": ("phones", "many", "service_at_location_id"),
        "schedules": ("schedules", "many", "service_at_location_id"),
        "service_areas": ("service_areas", "many", "service_at_location_id"),
    },
    "locations": {
        "addresses": ("addresses", "many", "location_id"),
        "phones": ("phones", "many", "location_id"),
        "languages": ("languages", "many", "location_id"),
        "schedules": ("schedules", "many", "location_id"),
    },
    "organizations": {"phones": ("phones", "many", "organization_id")},
    "attributes": {"taxonomy_term": ("taxonomy_terms", "one", "taxonomy_term_id")},
}
# What a nested attribute is attached to, in HSDS 3's `link_entity` words.
_ENTITY = {"services": "service"}


def flatten(table: str, item: Mapping[str, object], anchor: str) -> Rows:
    """(table, fields, path) for an object and everything read from inside it.

    `anchor` ("services.json#3") makes ids for nested objects that have none. Raises
    ValueError, naming the path, when a nested value is not an object or list of objects.
    """
    yield from _flatten(table, dict(item), anchor, "")


def _flatten(table: str, fields: Fields, anchor: str, path: str) -> Rows:
    children: list[tuple[str, Fields, str]] = []
    for key, (child_table, how, link) in NESTED.get(table, {}).items():
        value = fields.pop(key, None)
        if value is None:
            continue
        where = f"{path}.{key}" if path else key
        if how == "one":
            if not isinstance(value, dict):
                raise ValueError(f"{where}: must be an object")
            child = dict(value)
            child.setdefault("id", f"{anchor}/{where}")
            fields.setdefault(link, child["id"])
            children.append((child_table, child, where))
            continue
        if not isinstance(value, list):
            raise ValueError(f"{where}: must be a list of objects")
        for number, entry in enumerate(value):
            if not isinstance(entry, dict):
                raise ValueError(f"{where}[{number}]: must be an object")
            child = dict(entry)
            child.setdefault(link, fields.get("id"))
            if table in _ENTITY and child_table == "attributes":
                child.setdefault("link_entity", _ENTITY[table])
            children.append((child_table, child, f"{where}[{number}]"))
    yield table, fields, path
    for child_table, child, where in children:
        yield from _flatten(child_table, child, anchor, where)
