"""A care-team receiver on 127.0.0.1: checks Standard Webhooks signatures, records, can be down.

Like a real receiver it verifies every request with the `standardwebhooks` package and the
endpoint's secret (a tampered body or an old timestamp gets 400), refuses an exact replay of
a request it already took (409), and treats a retry with a fresh signature but a known
webhook-id as a duplicate (200, recorded with duplicate=True, not processed twice).
Switches for tests: `down` (answer 503), `delay_s` (hold each request, to kill a sender
mid-post), `gate` (hold every request until the test opens it, or drop them: never
arrived), `reply_gate` (hold the answer to a request taken) and `arrived` (set when any
request comes in). GET /stats gives the counts, for
the bench, which runs it in its own process: `python -m tests.fakes.receiver` with the
secrets as JSON in RECEIVER_SECRETS; it prints its base URL, then serves until killed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes import Dropped, Gate, UvicornThread


@dataclass(frozen=True, slots=True)
class Received:
    """One verified request: processed (duplicate=False) or a repeat of a known webhook-id."""

    endpoint: str
    webhook_id: str
    body: dict[str, Any]
    raw: bytes
    headers: dict[str, str]
    duplicate: bool


@dataclass(frozen=True, slots=True)
class Refused:
    endpoint: str
    status: int
    reason: str


class Receiver:
    """POST /hooks/{endpoint}: one secret per endpoint id."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self._hooks = {endpoint: Webhook(secret) for endpoint, secret in secrets.items()}
        self._lock = threading.Lock()
        self._signatures: set[tuple[str, str]] = set()
        self._ids: set[str] = set()
        self.received: list[Received] = []
        self.refused: list[Refused] = []
        self.down = False
        self.delay_s = 0.0
        self.arrived = threading.Event()
        self.gate = Gate()
        # Holds the answer to a request already taken (to kill a sender before it reads it).
        self.reply_gate = Gate()
        self.app = Starlette(
            routes=[
                Route("/hooks/{endpoint}", self._handle, methods=["POST"]),
                Route("/stats", self._stats, methods=["GET"]),
            ]
        )
        self._server = UvicornThread(self.app)
        self.base_url = self._server.base_url

    def url(self, endpoint: str) -> str:
        return f"{self.base_url}/hooks/{endpoint}"

    def start(self) -> Receiver:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def reset(self, secrets: Mapping[str, str] | None = None) -> None:
        with self._lock:
            if secrets is not None:
                self._hooks = {e: Webhook(s) for e, s in secrets.items()}
            self._signatures.clear()
            self._ids.clear()
            self.received.clear()
            self.refused.clear()
            self.down = False
            self.delay_s = 0.0
            self.arrived.clear()
            self.gate = Gate()
            self.reply_gate = Gate()

    # ---- what arrived ---------------------------------------------------------------------

    def processed(self, endpoint: str | None = None) -> list[Received]:
        """Each webhook-id once: what a deduping receiver acted on."""
        with self._lock:
            return [
                r
                for r in self.received
                if not r.duplicate and (endpoint is None or r.endpoint == endpoint)
            ]

    def all_received(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    # ---- the handler ----------------------------------------------------------------------

    async def _handle(self, request: Request) -> JSONResponse:
        endpoint = request.path_params["endpoint"]
        raw = await request.body()
        self.arrived.set()
        try:
            await self.gate.passing(request.headers.get("webhook-id", ""))
        except Dropped:
            return JSONResponse({"error": "dropped"}, status_code=503)  # never arrived
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.down:
            return self._refuse(endpoint, 503, "down")
        hook = self._hooks.get(endpoint)
        if hook is None:
            return self._refuse(endpoint, 404, "no such endpoint")
        headers = dict(request.headers)
        try:
            body = hook.verify(raw, headers)
        except WebhookVerificationError as exc:
            return self._refuse(endpoint, 400, str(exc))
        wid = headers["webhook-id"]
        with self._lock:
            signature = (wid, headers["webhook-signature"])
            if signature in self._signatures:
                # The very same signed request again: a replay, not a sender's retry (a retry
                # is signed afresh with a new timestamp).
                self.refused.append(Refused(endpoint, 409, "replayed"))
                return JSONResponse({"error": "replayed"}, status_code=409)
            self._signatures.add(signature)
            duplicate = wid in self._ids
            self._ids.add(wid)
            self.received.append(Received(endpoint, wid, body, raw, headers, duplicate))
        await self.reply_gate.passing(wid)
        return JSONResponse({"ok": True, "duplicate": duplicate})

    async def _stats(self, request: Request) -> JSONResponse:
        with self._lock:
            processed = sum(1 for r in self.received if not r.duplicate)
            stats = {
                "received": len(self.received),
                "processed": processed,
                "refused": len(self.refused),
            }
        return JSONResponse(stats)

    def _refuse(self, endpoint: str, status: int, reason: str) -> JSONResponse:
        with self._lock:
            self.refused.append(Refused(endpoint, status, reason))
        return JSONResponse({"error": reason}, status_code=status)


def on_call_directory(
    folder: Path,
    receiver: Receiver,
    secret: str,
    events: Sequence[str] = ("plan.crisis", "plan.handoff_requested"),
    timeout_s: float = 10.0,
) -> Path:
    """A care-team directory (CARE_TEAM_FILE) of one organization serving Hartford, the
    program's crisis fallback, whose on-call endpoint is `receiver`'s."""
    data: dict[str, Any] = {
        "version": 1,
        "program": {"name": "Safe Start", "intermediary": "tests", "crisis_fallback": "hope"},
        "organizations": [
            {"id": "hope", "name": "Hartford Hope", "service_area": {"zip_prefixes": ["06"]}}
        ],
        "members": [
            {"id": "hope_sw", "name": "Rosa", "organization": "hope", "roles": ["on_call"]}
        ],
        "endpoints": [
            {
                "id": "hope_on_call",
                "organization": "hope",
                "url": receiver.url("hope_on_call"),
                "secret": secret,
                "serves": {"roles": ["on_call"]},
                "events": list(events),
                "timeout_s": timeout_s,
            }
        ],
    }
    path = folder / "careteam.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def main() -> None:
    receiver = Receiver(json.loads(os.environ["RECEIVER_SECRETS"])).start()
    print(receiver.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        receiver.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
