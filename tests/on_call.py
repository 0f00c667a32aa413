"""The on-call endpoint every organization a parent can reach must have (the directory
refuses to load without it: bot/careteam/directory/promises.py), for test directories whose
tests are about something else. Its URL refuses connections: nothing is received."""

from __future__ import annotations

from typing import Any

from bot.careteam.directory import new_webhook_secret


def on_call_endpoints(*organizations: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{organization}_pager",
            "organization": organization,
            "url": f"http://127.0.0.1:9/{organization}/on-call",
            "secret": new_webhook_secret(),
            "serves": {"roles": ["on_call"]},
            "events": ["plan.crisis", "plan.handoff_requested", "plan.cant_reach"],
        }
        for organization in organizations
    ]
