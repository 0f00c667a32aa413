"""A small Twilio-compatible REST server on loopback that checks and records Messages.create.

It speaks the part of Twilio's 2010 API the bot uses, with HTTP Basic auth: POST
/2010-04-01/Accounts/{AccountSid}/Messages.json (create) and GET on the same path (the
list, filtered by To, From and DateSent, newest first, paged by PageSize and PageToken;
its query checked against the operation's parameters, the page shaped as
ListMessageResponse). Every accepted message reads as sent at its creation. Requests are checked
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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes import Dropped, Gate, UvicornThread

SPEC_PATH = Path("/work/shared/twilio/twilio_api_v2010.json")
MESSAGES_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"


@dataclass(frozen=True, slots=True)
class SentMessage:
    """One accepted Messages.create call, as the fake stored it."""

    sid: str
    account_sid: str
    params: dict[str, list[str]]
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

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


def load_list_parameters(spec_path: Path = SPEC_PATH) -> set[str] | None:
    """The query parameters Twilio's list of Messages takes, from its OpenAPI file."""
    if not spec_path.exists():
        return None
    spec = json.loads(spec_path.read_text())
    operation = spec["paths"][MESSAGES_PATH]["get"]
    return {p["name"] for p in operation["parameters"] if p["in"] == "query"}


def _date_filter(name: str, value: str) -> Callable[[datetime], bool] | None:
    """DateSent, DateSent< and DateSent> as Twilio reads them: a GMT day (YYYY-MM-DD), on,
    on or before, on or after it; the SDK's full form (YYYY-MM-DDTHH:MM:SSZ) to the second."""
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC).date()
            if name == "DateSent<":
                return lambda sent: sent.date() <= day
            if name == "DateSent>":
                return lambda sent: sent.date() >= day
            return lambda sent: sent.date() == day
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    if name == "DateSent<":
        return lambda sent: sent <= moment
    if name == "DateSent>":
        return lambda sent: sent >= moment
    return lambda sent: sent.replace(microsecond=0) == moment


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
        # Holds the answer to a create Twilio has accepted (to kill a sender before it reads it).
        self.reply_gate = Gate()
        self._schema = load_request_schema() if self.check_schema else None
        self._list_parameters = load_list_parameters() if self.check_schema else None
        self.app = Starlette(
            routes=[
                Route(
                    "/2010-04-01/Accounts/{account_sid}/Messages.json",
                    self._create,
                    methods=["POST"],
                ),
                Route(
                    "/2010-04-01/Accounts/{account_sid}/Messages.json",
                    self._list,
                    methods=["GET"],
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
        try:
            await self.gate.passing((params.get("To") or [""])[0])
        except Dropped:
            # Never reached Twilio: nothing recorded (the sender is gone by now).
            return _twilio_error(503, 20500, "Service unavailable")
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
        await self.reply_gate.passing(message.to or "")
        return JSONResponse(self._resource(message, sent=False), status_code=201)

    async def _list(self, request: Request) -> JSONResponse:
        account_sid = request.path_params["account_sid"]
        query = dict(request.query_params)
        params = {key: [value] for key, value in query.items()}
        path = request.url.path
        if not self._authorized(request, account_sid):
            return self._refuse(path, params, 401, 20003, "Authenticate")
        known = self._list_parameters
        unknown = sorted(set(query) - known) if known is not None else []
        if unknown:
            return self._refuse(path, params, 400, 21000, f"Unknown parameter {unknown[0]}")
        with self._lock:
            found = [m for m in self.messages if m.account_sid == account_sid]
            self.requests.append(RecordedRequest(path, 200, params))
        for name in ("To", "From"):
            if name in query:
                found = [m for m in found if m.get(name) == query[name]]
        for name in ("DateSent", "DateSent<", "DateSent>"):
            if name in query:
                keep = _date_filter(name, query[name])
                if keep is None:
                    return self._refuse(path, params, 400, 21000, f"Invalid {name}")
                found = [m for m in found if keep(m.created)]
        found.sort(key=lambda m: m.created, reverse=True)
        size = int(query.get("PageSize", "50"))
        page = int(query.get("Page", "0"))
        chunk = found[page * size : (page + 1) * size]
        base = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        filters = [(k, v) for k, v in query.items() if k not in ("Page", "PageSize", "PageToken")]

        def uri(number: int) -> str:
            pairs = [*filters, ("PageSize", str(size)), ("Page", str(number))]
            if number:
                pairs.append(("PageToken", f"PA{number}"))
            return f"{base}?{urlencode(pairs)}"

        more = (page + 1) * size < len(found)
        return JSONResponse(
            {
                "end": page * size + max(len(chunk) - 1, 0),
                "first_page_uri": uri(0),
                "next_page_uri": uri(page + 1) if more else None,
                "page": page,
                "page_size": size,
                "previous_page_uri": uri(page - 1) if page else None,
                "start": page * size,
                "uri": uri(page),
                "messages": [self._resource(m, sent=True) for m in chunk],
            }
        )

    @staticmethod
    def _resource(message: SentMessage, *, sent: bool) -> dict[str, Any]:
        """The Message resource: as create answers it (queued or accepted), or as the list
        shows it later (sent, at its creation)."""
        now = format_datetime(message.created).replace("GMT", "+0000")
        base = f"/2010-04-01/Accounts/{message.account_sid}/Messages/{message.sid}"
        body = message.body or ""
        return {
            "account_sid": message.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": now if sent else None,
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
            "status": "sent"
            if sent
            else ("accepted" if message.get("MessagingServiceSid") else "queued"),
            "subresource_uris": {"media": f"{base}/Media.json"},
            "to": message.to,
            "uri": f"{base}.json",
        }
