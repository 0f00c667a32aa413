"""ZIP code to state, county and timezone, from the `zipcodes` package's bundled data."""

from __future__ import annotations

from functools import lru_cache

import zipcodes

from bot.engine.answers import ZipInfo


@lru_cache(maxsize=8192)
def zip_info(code: str) -> ZipInfo | None:
    """What we know of a 5-digit US ZIP code, or None when it is not a real one."""
    try:
        matches = zipcodes.matching(code)  # type: ignore[no-untyped-call]
    except (TypeError, ValueError):
        return None
    if not matches:
        return None
    found = matches[0]
    timezone = found.get("timezone") or ""
    if not timezone:
        return None
    return ZipInfo(state=found["state"], county=found.get("county", ""), timezone=timezone)
