"""A bare FastAPI app serving only some routers, with only the parts they read: what app.py's
composition root would put in the Runtime, for the routes under test."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from fastapi import FastAPI


def serve_parts(app: FastAPI, **parts: Any) -> FastAPI:
    """`app.state.runtime` with just these parts (careteam=..., reminders=...); the others are
    None, as a route would find them before the app has started."""
    app.state.runtime = SimpleNamespace(**{"careteam": None, "reminders": None, **parts})
    return app
