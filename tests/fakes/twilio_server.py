"""A small Twilio-compatible REST server on loopback that checks and records Messages.create.

It speaks the part of Twilio's 2010 API the bot uses: POST
/2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP Basic auth. Requests are checked
against Twilio's rules (To; Body, MediaUrl or ContentSid; From or MessagingServiceSid;
WhatsApp From with WhatsApp To; ContentVariables a JSON object with a ContentSid) and,
when the OpenAPI description in ../shared/twilio is at hand, against that operation's
request schema (no unknown parameters, patterns, lengths, types). Errors look like
Twilio's: a JSON body with code, message, more_info and status.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes import Gate, UvicornThread

SPEC_PATH = Path("/work/shared/twilio/twilio_api_v2010.json")
MESSAGES_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"


@dataclass(frozen=True, slots=True)
class SentMessage:
    """One accepted Messages.create call, as the fake stored it."""

    sid: str
    account_sid: str
    params: dict[str, list[str]]

    def get(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[0] if values else None

    @property
    def to(self) -> str | None:
        return self.get("To")

    @property
    def body(self) -> str | None:
        return self.get("Body")

    @property
    def content_sid(self) -> str | None:
        return self.get("ContentSid")

    @property
    def content_variables(self) -> dict[str, str] | None:
        raw = self.get("ContentVariables")
        return json.loads(raw) if raw else None


@dataclass(slots=True)
class RecordedRequest:
    """Every request the fake saw, accepted or not: for asserting on refusals."""

    path: str
    status: int
    params: dict[str, list[str]]
    error_code: int | None = None


def load_request_schema(spec_path: Path = SPEC_PATH) -> dict[str, Any] | None:
    """The CreateMessageRequest schema from Twilio's OpenAPI file, refs resolved one level."""
    if not spec_path.exists():
        return None
    spec = json.loads(spec_path.read_text())
    operation = spec["paths"][MESSAGES_PATH]["post"]
    schema = dict(
        operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    )
    props: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        ref = prop.get("$ref")
        if ref:
            prop = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        props[name] = prop
    schema["properties"] = props
    return schema


def _twilio_error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status_code=status,
    )


def _schema_problem(schema: dict[str, Any], params: dict[str, list[str]]) -> str | None:
    """The first way `params` breaks the request schema, or None."""
    props: dict[str, Any] = schema["properties"]
    for name in schema.get("required", []):
        if name not in params:
            return f"missing required parameter {name}"
    for name, values in params.items():
        prop = props.get(name)
        if prop is None:
            return f"unknown parameter {name}"
        if prop.get("type") != "array" and len(values) > 1:
            return f"parameter {name} given more than once"
        for value in values:
            problem = _value_problem(prop, value)
            if problem:
                return f"{name}: {problem}"
    return None


def _value_problem(prop: dict[str, Any], value: str) -> str | None:
    kind = prop.get("type")
    if kind == "array":
        prop = prop.get("items", {})
        kind = prop.get("type")
    if kind == "boolean" and value not in ("true", "false", "True", "False"):
        return "not a boolean"
    if kind == "integer" and not re.fullmatch(r"-?\d+", value):
        return "not an integer"
    if kind == "number" and not re.fullmatch(r"-?\d+(\.\d+)?", value):
        return "not a number"
    if "enum" in prop and value not in prop["enum"]:
        return f"not one of {prop['enum']}"
    if "minLength" in prop and len(value) < prop["minLength"]:
        return "too short"
    if "maxLength" in prop and len(value) > prop["maxLength"]:
        return "too long"
    if "pattern" in prop and not re.search(prop["pattern"], value):
        return "does not match the pattern"
    checks_uri = prop.get("format") == "uri" and not (prop.get("x-twilio") or {}).get(
        "ignoreFormat"
    )
    if checks_uri and not re.match(r"^https?://[^/_\s]+", value):
        return "not a URL Twilio accepts"
    return None


def _channel_problem(params: dict[str, list[str]]) -> tuple[int, str] | None:
    """Twilio's channel rules, as its API answers them: a WhatsApp To needs a WhatsApp From
    (21910, unless a Messaging Service picks the sender), ContentVariables only with a
    ContentSid (21656), and the variables a JSON object of strings (21656)."""
    to = (params.get("To") or [""])[0]
    sender = (params.get("From") or [""])[0]
    if sender and to.startswith("whatsapp:") != sender.startswith("whatsapp:"):
        return 21910, "Invalid From and To pair. From and To should be of the same channel"
    variables = params.get("ContentVariables")
    if variables is not None:
        if not params.get("ContentSid"):
            return 21656, "ContentVariables given without a ContentSid"
        try:
            parsed = json.loads(variables[0])
        except ValueError:
            return 21656, "The ContentVariables Parameter is invalid"
        if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
            return 21656, "The ContentVariables Parameter is invalid"
    return None


@dataclass
class FakeTwilio:
    """The fake's state and its Starlette app; `with FakeTwilio(...) as fake:` serves it."""

    account_sid: str
    auth_token: str
    check_schema: bool = True
    messages: list[SentMessage] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        # Holds Messages.create calls until the test opens it (to kill a sender mid-send).
        self.gate = Gate()
        self._schema = load_request_schema() if self.check_schema else None
        self.app = Starlette(
            routes=[
                Route(
                    "/2010-04-01/Accounts/{account_sid}/Messages.json",
                    self._create,
                    methods=["POST"],
                ),
            ]
        )
        self._server: UvicornThread | None = None

    # ---- serving -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake Twilio server is not running")
        return self._server.base_url

    def start(self) -> FakeTwilio:
        self._server = UvicornThread(self.app).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- helpers for tests ---------------------------------------------------------

    @property
    def schema_checked(self) -> bool:
        return self._schema is not None

    def wait_for(self, count: int, timeout: float = 5.0) -> list[SentMessage]:
        """Block until `count` messages were accepted; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.requests.clear()

    @staticmethod
    def status_params(
        message: SentMessage, status: str, error_code: str | None = None
    ) -> dict[str, str]:
        """The form Twilio posts to a message's StatusCallback for a new status."""
        params = {
            "AccountSid": message.account_sid,
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": message.to or "",
            "From": message.get("From") or "",
            "ApiVersion": "2010-04-01",
        }
        if error_code:
            params["ErrorCode"] = error_code
        return params

    # ---- the endpoint --------------------------------------------------------------

    def _authorized(self, request: Request, account_sid: str) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return (
            secrets.compare_digest(user, self.account_sid)
            and secrets.compare_digest(password, self.auth_token)
            and account_sid == self.account_sid
        )

    def _refuse(
        self, path: str, params: dict[str, list[str]], status: int, code: int, message: str
    ) -> JSONResponse:
        with self._lock:
            self.requests.append(RecordedRequest(path, status, params, code))
        return _twilio_error(status, code, message)

    async def _create(self, request: Request) -> JSONResponse:
        account_sid = request.path_params["account_sid"]
        form = await request.form()
        params: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            params.setdefault(key, []).append(str(value))
        await self.gate.passing((params.get("To") or [""])[0])
        path = request.url.path
        if not self._authorized(request, account_sid):
            return self._refuse(path, params, 401, 20003, "Authenticate")
        if not params.get("To"):
            return self._refuse(path, params, 400, 21604, "A 'To' phone number is required.")
        if not (params.get("Body") or params.get("MediaUrl") or params.get("ContentSid")):
            return self._refuse(path, params, 400, 21602, "Message body is required.")
        if not (params.get("From") or params.get("MessagingServiceSid")):
            return self._refuse(path, params, 400, 21603, "A 'From' phone number is required.")
        problem = _channel_problem(params)
        if problem:
            return self._refuse(path, params, 400, *problem)
        if self._schema is not None:
            problem = _schema_problem(self._schema, params)
            if problem:
                return self._refuse(path, params, 400, 21000, f"Invalid request: {problem}")
        sid = "SM" + secrets.token_hex(16)
        message = SentMessage(sid, account_sid, params)
        with self._lock:
            self.messages.append(message)
            self.requests.append(RecordedRequest(path, 201, params))
        return JSONResponse(self._resource(message), status_code=201)

    @staticmethod
    def _resource(message: SentMessage) -> dict[str, Any]:
        now = formatdate(usegmt=True).replace("GMT", "+0000")
        base = f"/2010-04-01/Accounts/{message.account_sid}/Messages/{message.sid}"
        body = message.body or ""
        return {
            "account_sid": message.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": message.get("From"),
            "messaging_service_sid": message.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1"
            if (message.to or "").startswith("whatsapp:")
            else str(max(1, -(-len(body) // 153))),
            "price": None,
            "price_unit": "USD",
            "sid": message.sid,
            "status": "accepted" if message.get("MessagingServiceSid") else "queued",
            "subresource_uris": {"media": f"{base}/Media.json"},
            "to": message.to,
            "uri": f"{base}.json",
        }
