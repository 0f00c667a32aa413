"""Build the engine the app and the terminal share: flows, catalogs, program names, ZIP data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.engine.answers import ZipInfo
from bot.engine.crisis import CRISIS_FILE, CrisisDetector, load_detector
from bot.engine.crisis_encoder import ENCODER_FILE
from bot.engine.crisis_model import MODEL_FILE, CrisisModel, load_models
from bot.engine.loader import load_flows
from bot.engine.machine import Engine, EngineSettings
from bot.engine.resources import Offer, ResourceFinder
from bot.engine.sharing import TeamView
from bot.geo import zip_info
from bot.i18n import LOCALES_DIR, Catalogs
from bot.resources import ResourceDirectory
from bot.resources.offer import LINE_LIMIT, display_phone, fit_name

FLOWS_DIR = Path(__file__).resolve().parent.parent / "conversations"


def build_engine(
    *,
    locales: tuple[str, ...] = ("en",),
    program: str = "Safe Start",
    plan_name: str = "Plan of Safe Care",
    default_timezone: str = "America/New_York",
    quiet_hours: str = "20:00-09:00",
    flows_dir: Path = FLOWS_DIR,
    locales_dir: Path = LOCALES_DIR,
    resource_finder: ResourceFinder | None = None,
    team: TeamView | None = None,
) -> Engine:
    """Load and check every flow and catalog; raises FlowError or ConfigError when one is bad."""
    catalogs = Catalogs(locales, locales_dir)
    readers = crisis_readers(locales_dir, tuple(catalogs.locales))
    return Engine(
        load_flows(flows_dir),
        catalogs,
        EngineSettings(
            program=program,
            plan_name=plan_name,
            default_timezone=default_timezone,
            quiet_hours=quiet_hours,
        ),
        zip_lookup=zip_info,
        resource_finder=resource_finder,
        team=team,
        crisis=readers.detector,
        crisis_models=readers.models,
    )


@dataclass(frozen=True)
class CrisisReaders:
    """The crisis word rules and the learned model of some languages, loaded once."""

    detector: CrisisDetector
    models: Mapping[str, CrisisModel]


def crisis_readers(locales_dir: Path, locales: tuple[str, ...]) -> CrisisReaders:
    """The readers for these languages, shared by every engine of the process while their
    files are unchanged: loading them takes about a second (the model is 13 MB of JSON), and
    both are pure (their caches hold answers of pure functions), so engines may share them."""
    files = [locales_dir / locale / CRISIS_FILE for locale in dict.fromkeys(["en", *locales])]
    files += [locales_dir / MODEL_FILE, locales_dir / ENCODER_FILE]
    return _load_readers(locales_dir, locales, tuple(_stamp(p) for p in files))


def _stamp(path: Path) -> tuple[int, int] | None:
    """A file's change time and size; None when it is missing (the load then says so)."""
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return found.st_mtime_ns, found.st_size


@lru_cache(maxsize=4)  # a few sets of languages; a changed file's old load is let go
def _load_readers(
    locales_dir: Path, locales: tuple[str, ...], stamps: tuple[tuple[int, int] | None, ...]
) -> CrisisReaders:
    del stamps  # part of the key only: a changed file loads again
    return CrisisReaders(load_detector(locales_dir, locales), load_models(locales_dir, locales))


def resource_finder(directory: ResourceDirectory) -> ResourceFinder:
    """The engine's view of the resource directory: up to 3 services near the parent."""

    def find(need: str, where: ZipInfo | None, locale: str) -> Sequence[Offer]:
        found = directory.match(
            need,
            state=where.state if where else None,
            county=where.county if where else None,
            locale=locale,
        )
        offers = []
        for service in found:
            contact = display_phone(service)
            room = LINE_LIMIT - len("99. , ") - len(contact)
            offers.append(Offer(service.id, fit_name(service.name, room), contact))
        return offers

    return find
