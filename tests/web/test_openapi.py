"""The OpenAPI description says what the app answers (make schemathesis fuzzes it in full)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import Match, Route

pytestmark = pytest.mark.anyio


async def description(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


async def test_422_is_described_as_the_bodies_the_app_sends(client: httpx.AsyncClient) -> None:
    """A 422 is {"error", "message", "fields"} (validation) or {"detail"} (HTTPException):
    described as exactly that, never as FastAPI's HTTPValidationError."""
    schema = await description(client)
    assert "HTTPValidationError" not in str(schema)
    with_422 = [op for _, _, op in operations(schema) if "422" in op["responses"]]
    assert with_422
    for operation in with_422:
        refs = operation["responses"]["422"]["content"]["application/json"]["schema"]["anyOf"]
        assert refs == [
            {"$ref": "#/components/schemas/Error"},
            {"$ref": "#/components/schemas/Detail"},
        ]
    bad = await client.post("/chat/messages", json={"nothing": 1})
    assert bad.status_code == 422
    assert set(bad.json()) <= set(schema["components"]["schemas"]["Error"]["properties"])


async def test_statuses_raised_outside_the_routes_are_described(client: httpx.AsyncClient) -> None:
    """Token checks (401/403/429), unknown plans (404), bad bodies (400/413), signatures."""
    schema = await description(client)
    for method, path, operation in operations(schema):
        codes = set(operation["responses"])
        if path.startswith("/api/"):
            assert {"401", "403", "429"} <= codes, (method, path)
        if path.startswith("/api/") and "{" in path:
            assert "404" in codes, (method, path)
        if method in ("post", "put", "patch"):
            assert {"400", "413"} <= codes, (method, path)
        if path.startswith("/twilio/"):
            assert "text/plain" in operation["responses"]["403"]["content"], path


async def test_media_types_and_the_chat_text(client: httpx.AsyncClient) -> None:
    schema = await description(client)
    paths = schema["paths"]
    fhir = paths["/api/v1/plans/{plan_id}/fhir"]["get"]["responses"]["200"]["content"]
    assert list(fhir) == ["application/fhir+json"]
    csv = paths["/api/v1/reports/program.csv"]["get"]["responses"]["200"]["content"]
    assert list(csv) == ["text/csv"]
    chat = schema["components"]["schemas"]["ChatMessageIn"]["properties"]["text"]
    assert chat["type"] == "string"
    assert (await client.post("/chat/messages", json={"text": None})).status_code == 422


async def test_the_sms_webhook_is_served_by_the_plain_route_and_still_described(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """POST /twilio/sms is answered by a Starlette route placed before FastAPI's (its
    machinery cost ~100 us a text); the FastAPI route behind it keeps it in the description."""
    scope = {"type": "http", "method": "POST", "path": "/twilio/sms", "root_path": ""}
    serving = next(r for r in app.router.routes if r.matches(scope)[0] is Match.FULL)
    assert type(serving) is Route
    schema = await description(client)
    assert "post" in schema["paths"]["/twilio/sms"]
