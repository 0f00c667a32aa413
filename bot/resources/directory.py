"""The local services Safe Start can offer, indexed once so that a match is a few lookups.

How `match` chooses, for a need kind, the parent's state and county, and their locale:

1. Only services whose taxonomy serves the need (resources/taxonomy.yaml).
2. Where: a service listed for the parent's county comes first; then one for the whole of
   the parent's state; then one with no service area (national, or the directory did not
   say). A service whose areas are all elsewhere (another state, or only other counties of
   this state) is never offered. With no state known, only services with no area are
   offered; with no county known, county services are not.
3. Language: within each of those, services that speak the parent's language ("es" for
   locale "es", "pt" for "pt_BR") come first. A service that lists no language is taken to
   speak English.
4. Then by name (case-folded), then id, so the same question always gets the same answer.

`scan_match` applies the same rule by looking at every service: the reference the indexes
are tested against, and the baseline of bench/bench_resources.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from bot.resources.model import Service, county_key, language_of, speaks

# Where a service stands for a parent: in their county, their whole state, or everywhere.
COUNTY, STATE, NATIONAL = 0, 1, 2


def _order(service: Service) -> tuple[str, str]:
    return (service.name.casefold(), service.id)


@dataclass(frozen=True, slots=True)
class _Bucket:
    """Services in one place for one need, in name order, and the same split by language."""

    everyone: tuple[Service, ...]
    by_language: Mapping[str, tuple[Service, ...]]

    @classmethod
    def of(cls, services: Iterable[Service]) -> _Bucket:
        ordered = tuple(sorted(services, key=_order))
        by_language: defaultdict[str, list[Service]] = defaultdict(list)
        for service in ordered:
            for language in service.languages or ("en",):
                by_language[language].append(service)
        return cls(ordered, {lang: tuple(group) for lang, group in by_language.items()})

    def ordered(self, language: str) -> Iterator[Service]:
        """Those that speak `language` first, then the rest; each in name order."""
        speaking = self.by_language.get(language, ())
        yield from speaking
        if speaking:
            yield from (s for s in self.everyone if not speaks(s, language))
        else:
            yield from self.everyone


@dataclass(frozen=True, slots=True)
class _NeedIndex:
    national: _Bucket
    states: Mapping[str, _Bucket]
    counties: Mapping[tuple[str, str], _Bucket]


class ResourceDirectory:
    """Services by id, and by need kind and place for `match`. Immutable once built."""

    def __init__(self, services: Iterable[Service], *, notes: Sequence[str] = ()) -> None:
        self.services: tuple[Service, ...] = tuple(sorted(services, key=_order))
        self.notes: tuple[str, ...] = tuple(notes)
        self._by_id = {service.id: service for service in self.services}
        if len(self._by_id) != len(self.services):
            raise ValueError("service ids must be unique")
        self._by_need = _index(self.services)

    def __len__(self) -> int:
        return len(self.services)

    def get(self, service_id: str) -> Service | None:
        return self._by_id.get(service_id)

    def match(
        self, need: str, *, state: str | None, county: str | None, locale: str, limit: int = 3
    ) -> list[Service]:
        """Up to `limit` services for a need, best first (see the module docstring)."""
        index = self._by_need.get(need)
        if index is None or limit < 1:
            return []
        buckets: list[_Bucket | None] = []
        if state:
            code = state.strip().upper()
            if county:
                buckets.append(index.counties.get((code, county_key(county))))
            buckets.append(index.states.get(code))
        buckets.append(index.national)
        language = language_of(locale)
        found: dict[str, Service] = {}
        for bucket in buckets:
            for service in bucket.ordered(language) if bucket else ():
                found.setdefault(service.id, service)
                if len(found) == limit:
                    return list(found.values())
        return list(found.values())

    def scan_match(
        self, need: str, *, state: str | None, county: str | None, locale: str, limit: int = 3
    ) -> list[Service]:
        """What `match` returns, found by ranking every service: slow, for tests and benches."""
        language = language_of(locale)
        code = state.strip().upper() if state else None
        place = county_key(county) if county and code else None
        ranked = []
        for service in self.services:
            where = placement(service, code, place)
            if need in service.needs and where is not None:
                ranked.append((where, not speaks(service, language), *_order(service), service))
        ranked.sort(key=lambda row: row[:4])
        return [row[-1] for row in ranked[: max(limit, 0)]]


def placement(service: Service, state: str | None, county: str | None) -> int | None:
    """COUNTY, STATE or NATIONAL for a parent there (county folded), or None: not served."""
    if not service.service_areas:
        return NATIONAL
    best: int | None = None
    for area_state, area_county in service.service_areas:
        if area_state != state:
            continue
        if area_county is None:
            best = STATE if best is None else min(best, STATE)
        elif county is not None and county_key(area_county) == county:
            return COUNTY
    return best


def _index(services: Iterable[Service]) -> dict[str, _NeedIndex]:
    national: defaultdict[str, list[Service]] = defaultdict(list)
    states: dict[str, defaultdict[str, list[Service]]] = {}
    counties: dict[str, defaultdict[tuple[str, str], list[Service]]] = {}
    for service in services:
        places = {(st, county_key(co) if co else None) for st, co in service.service_areas}
        for need in service.needs:
            if not places:
                national[need].append(service)
            for st, co in places:
                if co is None:
                    states.setdefault(need, defaultdict(list))[st].append(service)
                else:
                    counties.setdefault(need, defaultdict(list))[(st, co)].append(service)
    needs = set(national) | set(states) | set(counties)
    return {
        need: _NeedIndex(
            national=_Bucket.of(national.get(need, ())),
            states={st: _Bucket.of(group) for st, group in states.get(need, {}).items()},
            counties={at: _Bucket.of(group) for at, group in counties.get(need, {}).items()},
        )
        for need in needs
    }
