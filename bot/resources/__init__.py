"""Local services from a program's 2-1-1 export (Open Referral HSDS), matched to a need.

    directory = load_resource_directory(Path(RESOURCES_DIR))
    for n, service in enumerate(directory.match("housing", state="CT", county="Hartford",
                                                locale="es"), start=1):
        offer_line(n, service)   # "1. Hartford Family Housing Help, 860-555-0142"

Loading reads files and may raise ResourceDirectoryError (file and row); everything after
that is pure. See docs/resources.md.
"""

from bot.resources.directory import ResourceDirectory
from bot.resources.errors import ResourceDirectoryError
from bot.resources.loader import load_resource_directory
from bot.resources.model import NEED_KINDS, Service
from bot.resources.offer import offer_line

__all__ = [
    "NEED_KINDS",
    "ResourceDirectory",
    "ResourceDirectoryError",
    "Service",
    "load_resource_directory",
    "offer_line",
]
