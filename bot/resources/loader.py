"""Build a ResourceDirectory from an HSDS folder (CSV or JSON) and the need-kind map.

Read per service: `services` (id and name required; a status of inactive, defunct or
temporarily closed leaves it out), its organization (name, website), phones (the service's
own, else at its locations, else the organization's; never a fax), languages (the
service's and its locations'), service areas (see areas.py), schedules (the service's, else
its locations'), the city of its first location's address, and its taxonomy terms through
`attributes` (HSDS 3) or `services_taxonomy` (HSDS 2.0). A row pointing at a service, term or
service-at-location the folder does not have is an error naming the file and row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from bot.resources.areas import parse_areas
from bot.resources.directory import ResourceDirectory
from bot.resources.languages import language_code
from bot.resources.model import Area, Service
from bot.resources.tables import Record, Tables, read_tables
from bot.resources.taxonomy import TaxonomyMap, load_taxonomy
from bot.resources.values import Opening, hours_text, phone_number, short_description, weekdays

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TAXONOMY = ROOT / "resources" / "taxonomy.yaml"
_CLOSED = frozenset({"inactive", "defunct", "temporarily closed"})
_NOT_VOICE = frozenset({"fax"})
_TEXT_FIRST = frozenset({"", "voice", "cell", "main"})  # then text, textphone, video, pager


def load_resource_directory(path: Path, taxonomy: Path | None = None) -> ResourceDirectory:
    """Every active service in the folder, indexed for matching; ResourceDirectoryError else."""
    kinds = load_taxonomy(taxonomy or DEFAULT_TAXONOMY)
    links = _Links(read_tables(path))
    services = [links.service(record, kinds) for record in links.active]
    return ResourceDirectory(services, notes=links.notes)


def _by_id(records: Iterable[Record]) -> dict[str, Record]:
    """Records by id; the first wins (nested JSON repeats an organization per service)."""
    found: dict[str, Record] = {}
    for record in records:
        if not (key := record.text("id")):
            raise record.error("'id' is empty")
        found.setdefault(key, record)
    return found


class _Links:
    """The tables, joined once: what belongs to which service."""

    def __init__(self, tables: Tables) -> None:
        self.notes: list[str] = []
        self.services: dict[str, Record] = {}
        for record in tables["services"]:
            key = record.text("id")
            if not key or not record.text("name"):
                raise record.error("a service needs an 'id' and a 'name'")
            if key in self.services:
                raise record.error(f"service id {key!r} is given twice")
            self.services[key] = record
        self.active = [
            r for r in self.services.values() if r.text("status").casefold() not in _CLOSED
        ]
        if closed := len(self.services) - len(self.active):
            self.notes.append(f"{closed} service(s) left out: inactive, defunct or closed")
        self.organizations = _by_id(tables["organizations"])
        self.terms = _by_id(tables["taxonomy_terms"])
        self.sal_service: dict[str, str] = {}
        self.locations: defaultdict[str, list[str]] = defaultdict(list)
        for record in tables["service_at_locations"]:
            service = self._service_id(record, record.text("service_id"))
            if sal := record.text("id"):
                self.sal_service.setdefault(sal, service)
            if location := record.text("location_id"):
                self.locations[service].append(location)
        self.own = {
            table: self._group(tables[table])
            for table in ("phones", "languages", "service_areas", "schedules")
        }
        self.at_location = {
            table: _group_by(tables[table], "location_id")
            for table in ("phones", "languages", "schedules", "addresses")
        }
        self.org_phones = _group_by(tables["phones"], "organization_id")
        self.term_ids = self._terms(tables["attributes"], tables["services_taxonomy"])
        self._unknown_languages: set[str] = set()
        self._term_kinds: dict[str, frozenset[str]] = {}

    def _service_id(self, record: Record, key: str) -> str:
        if key not in self.services:
            raise record.error(f"no service has id {key!r}")
        return key

    def _owner(self, record: Record) -> str | None:
        """The service a phone, language, area or schedule row belongs to, if any."""
        if key := record.text("service_id"):
            return self._service_id(record, key)
        if sal := record.text("service_at_location_id"):
            if sal not in self.sal_service:
                raise record.error(f"no service_at_location has id {sal!r}")
            return self.sal_service[sal]
        return None

    def _group(self, records: Iterable[Record]) -> dict[str, list[Record]]:
        grouped: defaultdict[str, list[Record]] = defaultdict(list)
        for record in records:
            if owner := self._owner(record):
                grouped[owner].append(record)
        return grouped

    def _terms(self, attributes: list[Record], legacy: list[Record]) -> dict[str, list[Record]]:
        """Per service, the taxonomy-term records it is tagged with."""
        found: defaultdict[str, list[Record]] = defaultdict(list)
        tagged = [(r, r.text("service_id"), r.text("taxonomy_id")) for r in legacy]
        for record in attributes:
            entity, link = record.text("link_entity").casefold(), record.text("link_id")
            if entity == "service" or (not entity and link in self.services):
                tagged.append((record, link, record.text("taxonomy_term_id")))
            elif entity == "service_at_location" or (not entity and link in self.sal_service):
                if link not in self.sal_service:
                    raise record.error(f"no service_at_location has id {link!r}")
                tagged.append((record, self.sal_service[link], record.text("taxonomy_term_id")))
        for record, service, term in tagged:
            if term not in self.terms:
                raise record.error(f"no taxonomy term has id {term!r}")
            found[self._service_id(record, service)].append(self.terms[term])
        return found

    def service(self, record: Record, taxonomy: TaxonomyMap) -> Service:
        key = record.text("id")
        organization = self.organizations.get(record.text("organization_id"))
        locations = self.locations.get(key, [])
        phone, extension = self._phone(key, locations, record.text("organization_id"))
        url = record.text("url") or (
            organization.text("website") or organization.text("url") if organization else ""
        )
        return Service(
            id=key,
            name=" ".join(record.text("name").split()),
            organization=organization.text("name") if organization else "",
            description=short_description(record.text("description")),
            phone=phone,
            extension=extension,
            languages=self._languages(key, locations),
            needs=self._needs(key, taxonomy),
            service_areas=self._areas(key),
            city=self._city(locations),
            hours=self._hours(key, locations),
            url=url,
        )

    def _phone(self, key: str, locations: list[str], organization: str) -> tuple[str, str]:
        tiers = [
            self.own["phones"].get(key, []),
            [r for loc in locations for r in self.at_location["phones"].get(loc, [])],
            self.org_phones.get(organization, []) if organization else [],
        ]
        for tier in tiers:
            usable = [r for r in tier if r.text("type").casefold() not in _NOT_VOICE]
            usable.sort(key=lambda r: r.text("type").casefold() not in _TEXT_FIRST)
            for record in usable:
                if not (number := record.text("number")):
                    raise record.error("a phone needs a 'number'")
                return phone_number(number, record.text("extension"))
        return "", ""

    def _languages(self, key: str, locations: list[str]) -> tuple[str, ...]:
        at_locations = (r for loc in locations for r in self.at_location["languages"].get(loc, []))
        rows = [*self.own["languages"].get(key, []), *at_locations]
        codes: dict[str, None] = {}
        for record in rows:
            word = record.text("code") or record.text("name") or record.text("language")
            if code := language_code(word):
                codes[code] = None
            elif word and word.casefold() not in self._unknown_languages:
                self._unknown_languages.add(word.casefold())
                self.notes.append(str(record.error(f"language {word!r} is not known; left out")))
        return tuple(codes)

    def _needs(self, key: str, taxonomy: TaxonomyMap) -> tuple[str, ...]:
        kinds: set[str] = set()
        for term in self.term_ids.get(key, []):
            term_id = term.text("id")
            if term_id not in self._term_kinds:
                self._term_kinds[term_id] = _term_kinds(term, self.terms, taxonomy)
            kinds |= self._term_kinds[term_id]
        return tuple(sorted(kinds))

    def _areas(self, key: str) -> tuple[Area, ...]:
        areas: set[Area] = set()
        for record in self.own["service_areas"].get(key, []):
            text = record.text("name") or record.text("service_area")
            if not text and record.text("extent_type").casefold() == "text":
                text = record.text("extent")
            try:
                found = parse_areas(text)
            except ValueError as exc:
                raise record.error(str(exc)) from exc
            if found is None:
                return ()  # the whole country
            areas.update(found)
        return tuple(sorted(areas, key=lambda a: (a[0], a[1] or "")))

    def _city(self, locations: list[str]) -> str:
        for location in locations:
            for record in self.at_location["addresses"].get(location, []):
                physical = record.text("address_type").casefold() in ("", "physical")
                if physical and record.text("city"):
                    return record.text("city")
        return ""

    def _hours(self, key: str, locations: list[str]) -> str:
        rows = self.own["schedules"].get(key) or [
            r for loc in locations for r in self.at_location["schedules"].get(loc, [])
        ]
        openings = []
        for record in rows:
            try:
                days = weekdays(record.text("byday") or record.text("weekday"))
            except ValueError as exc:
                raise record.error(str(exc)) from exc
            note = record.text("description") or record.text("notes")
            openings.append(Opening(days, record.text("opens_at"), record.text("closes_at"), note))
        return hours_text(openings)


def _group_by(records: Iterable[Record], field: str) -> dict[str, list[Record]]:
    grouped: defaultdict[str, list[Record]] = defaultdict(list)
    for record in records:
        if key := record.text(field):
            grouped[key].append(record)
    return grouped


def _term_kinds(term: Record, terms: Mapping[str, Record], taxonomy: TaxonomyMap) -> frozenset[str]:
    """The kinds a term serves, its own and its ancestors' (a loop in parents is cut)."""
    kinds: set[str] = set()
    seen: set[str] = set()
    node: Record | None = term
    while node is not None and node.text("id") not in seen:
        seen.add(node.text("id"))
        code = node.text("code") if "code" in node.fields else node.text("id")
        kinds |= taxonomy.kinds_for(code, node.text("name"))
        node = terms.get(node.text("parent_id"))
    return frozenset(kinds)
