"""Build the engine the app and the terminal share: flows, catalogs, program names, ZIP data."""

from __future__ import annotations

from pathlib import Path

from bot.engine.loader import load_flows
from bot.engine.machine import Engine, EngineSettings
from bot.engine.resources import ResourceFinder
from bot.geo import zip_info
from bot.i18n import LOCALES_DIR, Catalogs

FLOWS_DIR = Path(__file__).resolve().parent.parent / "conversations"


def build_engine(
    *,
    locales: tuple[str, ...] = ("en",),
    program: str = "Safe Start",
    plan_name: str = "Plan of Safe Care",
    default_timezone: str = "America/New_York",
    flows_dir: Path = FLOWS_DIR,
    locales_dir: Path = LOCALES_DIR,
    resource_finder: ResourceFinder | None = None,
) -> Engine:
    """Load and check every flow and catalog; raises FlowError or ConfigError when one is bad."""
    return Engine(
        load_flows(flows_dir),
        Catalogs(locales, locales_dir),
        EngineSettings(program=program, plan_name=plan_name, default_timezone=default_timezone),
        zip_lookup=zip_info,
        resource_finder=resource_finder,
    )
