"""POST /twilio/sms answered in one pure-ASGI step, ahead of the app's middleware and routes.

Every text a parent sends comes here. Under the app's own stack it passed BodyLimit,
SecurityHeaders, Starlette's exception middleware, FastAPI's exit stack, the router, the
route's request/response wrappers and a Request and a Response object: about a tenth of
the server's CPU per text, for a route that needs none of it. This middleware, added last
(so it runs first among the app's own), answers the common request itself, with the
effects of the layers it skips folded in:

- BodyLimit: only a request whose Content-Length is within the route's cap is taken;
- the signature: checked with the same SignatureChecker (the SDK's RequestValidator);
- SecurityHeaders: the same pairs, appended the same way (`with_defaults`);
- the error handlers: an error from the service gets the handler the app registered for
  it (as Starlette's ExceptionMiddleware picks it); one with none propagates, as before.

Anything else (another content type, a body without Content-Length or over the cap, a
client gone mid-body, a missing or wrong signature, the app not started) goes on to the
full stack with the body it already read replayed, and is answered, logged and counted
there exactly as before: tests/web/test_inbound_asgi.py sends the same requests both ways.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.channels.twilio_sms import TwilioSms
from bot.errors import BadSignature
from bot.web.guards import headers_to_add, limit_for, with_defaults
from bot.web.twilio import TWIML, parse_form

PATH = "/twilio/sms"
_FORM = b"application/x-www-form-urlencoded"
_TWIML = TWIML.encode("latin-1")


class InboundFastPath:
    """POST /twilio/sms without the route machinery; every other request passes through."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self._adding = headers_to_add(private=True, hsts=hsts)
        # An answer's headers after its Content-Length: the same every time.
        self._after_length = with_defaults([(b"content-type", _TWIML)], self._adding)
        self._most = limit_for(PATH)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "POST"
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        runtime = getattr(scope["app"].state, "runtime", None)
        declared, signature = self._request_headers(scope)
        if runtime is None or declared is None or declared > self._most:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        chunks: list[bytes] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                await self._full_stack(scope, receive, send, messages)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sms: TwilioSms = runtime.sms
        params = parse_form(body.decode("latin-1"))
        query = scope["query_string"].decode("utf-8", "replace")
        try:
            # Not sms.verify: the full stack checks again, then logs and counts the refusal.
            sms.checker.check(PATH, query, params, signature)
        except BadSignature:
            await self._full_stack(scope, receive, send, messages)
            return
        try:
            answer = await sms.inbound(params, runtime.clock())
        except Exception as error:
            await self._handled(scope, receive, send, error)
            return
        payload = answer.encode("utf-8")
        length = (b"content-length", str(len(payload)).encode("latin-1"))
        headers = [length, *self._after_length]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    @staticmethod
    def _request_headers(scope: Scope) -> tuple[int | None, str | None]:
        """(Content-Length, X-Twilio-Signature) when the body is a urlencoded form, else
        (None, None); the first of a repeated header counts, as in Starlette's Headers."""
        content_type: bytes | None = None
        length: bytes | None = None
        signature: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value if content_type is None else content_type
            elif name == b"content-length":
                length = value if length is None else length
            elif name == b"x-twilio-signature":
                signature = value if signature is None else signature
        if content_type is None or not content_type.startswith(_FORM) or length is None:
            return None, None
        try:
            declared = int(length)
        except ValueError:
            return None, None
        return declared, signature.decode("latin-1") if signature is not None else None

    async def _full_stack(
        self, scope: Scope, receive: Receive, send: Send, read: list[Message]
    ) -> None:
        """The app's own middleware and route, reading first what was already received."""
        pending = deque(read)

        async def replay() -> Message:
            return pending.popleft() if pending else await receive()

        await self.app(scope, replay, send)

    async def _handled(self, scope: Scope, receive: Receive, send: Send, error: Exception) -> None:
        """What Starlette's ExceptionMiddleware does with an error from a route: the app's
        handler for it answers (with the security headers); without one, it propagates to
        the server-error middleware (a 500, as before)."""
        handler = _handler_for(scope["app"].exception_handlers, error)
        if handler is None:
            raise error
        response = await handler(Request(scope, receive), error)
        adding = self._adding

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_defaults(message.get("headers", ()), adding)
            await send(message)

        await response(scope, receive, with_headers)
        error.__traceback__ = None  # as Starlette: a reused instance would keep growing it


def _handler_for(handlers: Mapping[Any, Any], error: Exception) -> Any:
    """The handler Starlette's ExceptionMiddleware would call, or None: by status code for
    an HTTPException, else by class along the MRO; the catch-all for Exception (and 500)
    belongs to the server-error middleware, not to it."""
    if isinstance(error, HTTPException) and error.status_code in handlers:
        return handlers[error.status_code]
    for cls in type(error).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            return handlers[cls]
    return None
