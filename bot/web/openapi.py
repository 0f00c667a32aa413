"""The OpenAPI description made true to what the app answers: error bodies and media types.

FastAPI documents a 422 as its own HTTPValidationError, but install_error_handlers answers
{"error", "message", "fields"}, and HTTPException answers {"detail"}. Statuses that guards
and dependencies raise (400 unparsable body, 401/403/429 token checks, 404, 413 too large)
are not seen by FastAPI's generator either. `make schemathesis` checks the result.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "fields": {"type": "array", "items": {"type": "string"}},
    },
}
DETAIL = {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}
EITHER = {
    "anyOf": [{"$ref": "#/components/schemas/Error"}, {"$ref": "#/components/schemas/Detail"}]
}
HEALTH = {"type": "object", "required": ["redis"], "properties": {"redis": {"type": "string"}}}

# Responses that are not application/json, by path (status 200).
TEXT = {"type": "string"}
MEDIA_TYPES: dict[str, tuple[str, dict[str, Any]]] = {
    "/api/v1/plans/{plan_id}/fhir": ("application/fhir+json", {"type": "object"}),
    "/api/v1/reports/program.csv": ("text/csv", TEXT),
    "/metrics": ("text/plain", TEXT),
}


def _json(description: str, schema: dict[str, Any] = EITHER) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def describe_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a generated description in place (and return it)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components["Error"] = ERROR
    components["Detail"] = DETAIL
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})

            def add(
                code: int,
                description: str,
                body: dict[str, Any] | None = None,
                responses: dict[str, Any] = responses,
            ) -> None:
                responses.setdefault(str(code), body or _json(description))

            if "422" in responses:
                responses["422"] = _json("The request is missing something or has the wrong shape")
            if method in ("post", "put", "patch"):
                add(400, "A body that cannot be parsed")
                add(413, "The body is too large")
            if path.startswith("/api/"):
                add(401, "No valid bearer token")
                add(403, "The token may not do this")
                add(429, "Too many failed token checks; try later")
                if "{" in path:
                    add(404, "No such plan (or not one you may see)")
            if path.startswith("/twilio/"):
                text = {"text/plain": {"schema": {"type": "string"}}}
                responses["403"] = {
                    "description": "Twilio signature missing or wrong",
                    "content": text,
                }
                add(400, "A required Twilio field is missing")
            if path in ("/twilio/sms", "/chat/messages"):
                add(503, "Redis is not answering (or the answer's outcome is not known yet): retry")
            if path == "/healthz":
                responses["200"] = _json("Redis answers", HEALTH)
                add(503, "Redis is not answering", _json("Redis is not answering", HEALTH))
            if path in MEDIA_TYPES and "200" in responses:
                media, body = MEDIA_TYPES[path]
                responses["200"]["content"] = {media: {"schema": body}}
    return schema


def install_openapi(app: FastAPI) -> None:
    """app.openapi() builds (once) the corrected description."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            generated = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = describe_errors(generated)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
