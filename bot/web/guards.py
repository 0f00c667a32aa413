"""Two ASGI middlewares every request passes: response headers, and a body-size cap.

SecurityHeaders: every answer may not be framed, is not sniffed and sends no referrer; every
answer but a static file is private (no-store: a shared phone's browser keeps no read-back
of a parent's words); HSTS when the public address is https. A route that sets its own
header (the dashboard's stricter policy, for one) keeps it.

BodyLimit: a body larger than its route's cap is refused with 413 before anything parses it
(form, JSON, the Twilio signature check): at once when Content-Length says so, else as
soon as the streamed bytes pass the cap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS: Mapping[str, str] = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
HSTS = "max-age=31536000; includeSubDomains"
CACHEABLE = ("/static/",)


def headers_to_add(*, private: bool, hsts: bool) -> tuple[tuple[bytes, bytes], ...]:
    """The (name, value) pairs SecurityHeaders adds where the answer has none, in order."""
    wanted = list(HEADERS.items())
    if private:
        wanted.append(("cache-control", "no-store"))
    if hsts:
        wanted.append(("strict-transport-security", HSTS))
    return tuple((name.encode("latin-1"), value.encode("latin-1")) for name, value in wanted)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts
        # Encoded once: MutableHeaders.setdefault encodes and scans per header, ~3 us each,
        # six per answer.
        self._private = headers_to_add(private=True, hsts=hsts)
        self._public = headers_to_add(private=False, hsts=hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        adding = self._public if str(scope["path"]).startswith(CACHEABLE) else self._private

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_defaults(message.get("headers", ()), adding)
            await send(message)

        await self.app(scope, receive, with_headers)


def with_defaults(
    raw: Iterable[tuple[bytes, bytes]], adding: Sequence[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """`raw` with each of `adding` appended unless a header of that exact name is there (as
    MutableHeaders.setdefault: a route's own header wins)."""
    headers = list(raw)
    present = {name for name, _ in headers}
    headers.extend(pair for pair in adding if pair[0] not in present)
    return headers


KIB = 1024
# (path prefix, most bytes) in order, the first match deciding; DEFAULT_LIMIT otherwise.
# A text is at most 1,600 characters; a dashboard form or API change a few thousand.
LIMITS: Sequence[tuple[str, int]] = (
    ("/chat/messages", 16 * KIB),
    ("/twilio/", 64 * KIB),
    ("/api/v1/", 64 * KIB),
    ("/care/", 64 * KIB),
)
DEFAULT_LIMIT = 64 * KIB


def limit_for(path: str) -> int:
    return next((most for prefix, most in LIMITS if path.startswith(prefix)), DEFAULT_LIMIT)


class BodyTooLarge(HTTPException):
    """Raised while a streamed body is read; app.py answers it like the early refusal."""

    def __init__(self, most: int) -> None:
        super().__init__(413, too_large_message(most))
        self.most = most


def too_large_message(most: int) -> str:
    return f"The request body is too large: this address takes at most {most // KIB} KB."


def too_large(most: int) -> JSONResponse:
    body = {"error": "too_large", "message": too_large_message(most)}
    return JSONResponse(body, status_code=413, headers={"connection": "close"})


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        most = limit_for(str(scope["path"]))
        declared = _content_length(scope)
        if declared is not None and declared > most:
            await too_large(most)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > most:
                    raise BodyTooLarge(most)
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
