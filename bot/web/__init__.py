"""HTTP routes only: routers per area, and how the error tree maps onto HTTP status codes."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from bot.channels.webchat import ChatInputError
from bot.errors import BadSignature, ChannelError, StoreError
from bot.observability import Metrics
from bot.web.guards import BodyTooLarge, too_large

log = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI, metrics: Metrics) -> None:
    """Errors raised below the routes become responses here, and only here."""

    async def bad_signature(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("Forbidden", status_code=403)

    async def chat_input(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ChatInputError)
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=422)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        fields = [".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()]
        return JSONResponse(
            {
                "error": "invalid_request",
                "message": "The request is missing something or has the wrong shape.",
                "fields": fields,
            },
            status_code=422,
        )

    async def body_too_large(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BodyTooLarge)
        metrics.rejected.labels("http", "too_large").inc()
        return too_large(exc.most)

    async def channel_error(request: Request, exc: Exception) -> Response:
        metrics.rejected.labels("http", "bad_request").inc()
        return JSONResponse({"error": "bad_request", "message": str(exc)}, status_code=400)

    async def store_error(request: Request, exc: Exception) -> Response:
        metrics.errors.labels(type(exc).__name__).inc()
        log.error(
            "store error",
            extra={"event": "store_error", "path": request.url.path, "reason": type(exc).__name__},
        )
        return JSONResponse(
            {
                "error": "unavailable",
                "message": "We're having trouble right now. Please try again.",
            },
            status_code=503,
            headers={"Retry-After": "5"},
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        metrics.errors.labels("unhandled").inc()
        log.error(
            "unhandled error", exc_info=exc, extra={"event": "unhandled", "path": request.url.path}
        )
        return JSONResponse(
            {"error": "internal", "message": "Something went wrong."}, status_code=500
        )

    app.add_exception_handler(BadSignature, bad_signature)
    app.add_exception_handler(ChatInputError, chat_input)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(BodyTooLarge, body_too_large)
    app.add_exception_handler(ChannelError, channel_error)
    app.add_exception_handler(StoreError, store_error)
    app.add_exception_handler(Exception, unexpected)
