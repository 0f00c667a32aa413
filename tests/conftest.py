"""Fixtures shared by every test: engines over the fixture flows and the shipped flows."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import bot.careteam.directory.loading
import bot.careteam.wiring
import bot.engine.machine
import bot.flows
from bot.careteam.directory import load_directory, team_view
from bot.engine.crisis import CRISIS_FILE, CrisisDetector
from bot.engine.crisis_encoder import ENCODER_FILE
from bot.engine.crisis_model import MODEL_FILE, CrisisModel
from bot.engine.loader import FlowSet
from bot.engine.machine import Engine
from bot.engine.resources import ResourceFinder
from bot.engine.sharing import TeamView
from bot.flows import build_engine, resource_finder
from bot.i18n_catalogs import shipped_locales
from bot.resources import load_resource_directory
from bot.store.local_cluster import start_cluster

# Property tests check what code does, never how fast: no per-example deadline (hypothesis's
# default 200 ms failed a crypto property once on a machine loaded by other work), no
# too-slow health check. Examples counts stay as each test sets them.
settings.register_profile("safestart", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("safestart")


def _digest(paths: Iterable[Path]) -> tuple[tuple[str, str], ...]:
    """What the files say (not their times): a changed or added file is a new key."""
    return tuple(
        (str(p.resolve()), hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "")
        for p in paths
    )


def _parsed_once() -> None:
    """Every app a test starts parses the same flow files (twice: engine and care team),
    the same crisis word lists and a care-team file: about 0.6 s per app, several hundred
    apps per run.
    Parse each set of files once per test process and hand out the same result: a FlowSet
    and a CrisisDetector are never changed after they are built. The key is the files'
    contents, so a test that writes its own flows or lists gets its own, freshly checked
    (and failures are never kept). The loaders' own tests call bot.engine.loader directly."""
    flows_cache: dict[object, FlowSet] = {}
    detectors: dict[object, CrisisDetector] = {}
    real_flows: Callable[[Path], FlowSet] = bot.flows.load_flows
    real_detector: Callable[[Path, Iterable[str]], CrisisDetector] = bot.flows.load_detector

    def load_flows(directory: Path) -> FlowSet:
        key = (str(directory), _digest(sorted(Path(directory).glob("*.yaml"))))
        if key not in flows_cache:
            flows_cache[key] = real_flows(directory)
        return flows_cache[key]

    def load_detector(locales_dir: Path, locales: Iterable[str]) -> CrisisDetector:
        wanted = tuple(dict.fromkeys(["en", *locales]))
        key = (wanted, _digest(Path(locales_dir) / loc / CRISIS_FILE for loc in wanted))
        if key not in detectors:
            detectors[key] = real_detector(locales_dir, wanted)
        return detectors[key]

    parsed_texts: dict[str, Any] = {}
    real_parse: Callable[[str], Any] = bot.careteam.directory.loading.load_with_lines

    def parse_directory(text: str) -> Any:
        """Each test writes its own care-team file, mostly the same few texts; the loader
        fills secrets into what it parsed, so every caller gets its own copy."""
        if text not in parsed_texts:
            parsed_texts[text] = real_parse(text)
        return copy.deepcopy(parsed_texts[text])

    bot.careteam.directory.loading.load_with_lines = parse_directory
    bot.flows.load_flows = load_flows  # type: ignore[assignment]
    bot.careteam.wiring.load_flows = load_flows  # type: ignore[assignment]
    bot.flows.load_detector = load_detector  # type: ignore[assignment]
    bot.engine.machine.load_detector = load_detector  # type: ignore[assignment]

    models: dict[object, dict[str, CrisisModel]] = {}
    real_models: Callable[[Path, Iterable[str]], dict[str, CrisisModel]] = bot.flows.load_models

    def load_models(locales_dir: Path, locales: Iterable[str]) -> dict[str, CrisisModel]:
        wanted = tuple(dict.fromkeys(locales))
        files = [Path(locales_dir) / MODEL_FILE, Path(locales_dir) / ENCODER_FILE]
        key = (wanted, _digest(files))
        if key not in models:
            models[key] = real_models(locales_dir, wanted)
        return models[key]

    bot.flows.load_models = load_models  # type: ignore[assignment]
    bot.engine.machine.load_models = load_models  # type: ignore[assignment]


_parsed_once()

FIXTURE_FLOWS = Path(__file__).resolve().parent / "engine" / "flows"
SAMPLE_RESOURCES = Path(__file__).resolve().parents[1] / "resources" / "sample"
EXAMPLE_DIRECTORY = Path(__file__).resolve().parents[1] / "careteam.yaml"


def sample_finder() -> ResourceFinder:
    """Local help from the shipped sample HSDS directory, as `make run` offers it."""
    return resource_finder(load_resource_directory(SAMPLE_RESOURCES))


@pytest.fixture(scope="session")
def fixture_engine() -> Engine:
    return build_engine(flows_dir=FIXTURE_FLOWS)


def example_team() -> TeamView:
    """The example care-team directory (careteam.yaml), as the app shows it in consent."""
    return team_view(load_directory(EXAMPLE_DIRECTORY))


@pytest.fixture(scope="session")
def shipped_engine() -> Engine:
    """The shipped flows in English only: golden English transcripts stay independent of
    which other languages ship."""
    return build_engine(resource_finder=sample_finder(), team=example_team())


@pytest.fixture(scope="session")
def i18n_engine() -> Engine:
    """The shipped flows with every shipped catalog, as the app runs them."""
    return build_engine(
        locales=tuple(shipped_locales()), resource_finder=sample_finder(), team=example_team()
    )


@pytest.fixture(scope="session")
def redis_cluster_url() -> Iterator[str]:
    """A 3-primary Redis Cluster of this test process (free ports, stopped at the end).

    Tests that use it carry `pytest.mark.xdist_group("cluster")`, so under
    `pytest -n 2 --dist loadgroup` one worker runs them all and starts one cluster (~2 s).
    """
    cluster = start_cluster()
    try:
        yield cluster.url
    finally:
        cluster.stop()
