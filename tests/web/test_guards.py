"""Every answer carries the security headers (no-store where a parent's words may be), HSTS
behind https, /docs runs no script; a body over its route's cap is refused before parsing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import KeySpace, make_settings, running_app, sign

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]

PLAN_ID = "0" * 32
PRIVATE_ROUTES = (
    ("GET", "/chat", None),
    ("POST", "/chat/messages", {"text": "hi"}),
    ("GET", "/care/sign-in", None),
    ("GET", "/care", None),
    ("GET", "/care/reports", None),
    ("GET", f"/api/v1/plans/{PLAN_ID}", None),
    ("GET", f"/api/v1/plans/{PLAN_ID}/fhir", None),
    ("GET", f"/plan/{PLAN_ID}/not-a-token", None),
    ("GET", "/docs", None),
)


async def answers(client: httpx.AsyncClient) -> dict[str, httpx.Response]:
    found = {}
    for method, path, body in PRIVATE_ROUTES:
        found[path] = await client.request(method, path, json=body)
    return found


async def test_every_answer_carries_the_headers_and_hsts_behind_https(
    client: httpx.AsyncClient,
) -> None:
    for path, response in (await answers(client)).items():
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "no-referrer", path
        assert headers["cache-control"] == "no-store", path
        assert headers["strict-transport-security"].startswith("max-age="), path
    # The chat page's policy lets its own script run and no other.
    chat = (await client.get("/chat")).headers["content-security-policy"]
    assert "script-src 'self'" in chat
    # The dashboard keeps its stricter policy: no script at all.
    sign_in = (await client.get("/care/sign-in")).headers["content-security-policy"]
    assert "script-src 'none'" in sign_in
    # A static file may be cached.
    script = await client.get("/static/chat.js")
    assert script.status_code == 200
    assert "no-store" not in script.headers.get("cache-control", "")


async def test_no_hsts_on_plain_http(tmp_path: Path, keyspace: KeySpace) -> None:
    settings = make_settings(tmp_path, public_base_url="http://localhost:8000")
    async with running_app(settings, keyspace) as application:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/chat")
    assert "strict-transport-security" not in response.headers
    assert response.headers["cache-control"] == "no-store"


async def test_docs_load_nothing_from_another_site(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "<script" not in page.text
    assert "http" not in page.text.replace('href="/openapi.json"', "")
    assert "/api/v1/plans/{plan_id}/fhir" in page.text
    assert (await client.get("/redoc")).status_code == 404
    assert (await client.get("/openapi.json")).status_code == 200


class Stream:
    """A large body made on demand, counting what the server really read."""

    def __init__(self, megabytes: int) -> None:
        self.chunks = megabytes * 16  # 64 KiB each
        self.made = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.made += 1
            yield b"a" * (64 * 1024)


def refused(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["error"] == "too_large"
    assert "too large" in body["message"]


async def test_a_huge_streamed_body_is_refused_before_the_signature_check(
    client: httpx.AsyncClient,
) -> None:
    body = Stream(100)
    response = await client.post(
        "/twilio/sms",
        content=body,  # no Content-Length: the bytes are counted as they arrive
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": sign("/twilio/sms", {}),
        },
    )
    refused(response)
    assert body.made <= 2  # the cap is 64 KiB: the rest of the 100 MB was never read


async def test_a_declared_huge_body_is_refused_unread(client: httpx.AsyncClient) -> None:
    body = Stream(100)
    response = await client.post(
        "/twilio/sms",
        content=body,
        headers={
            "content-type": "multipart/form-data; boundary=x",
            "content-length": str(100 * 1024 * 1024),
        },
    )
    refused(response)
    assert body.made == 0


async def test_a_huge_json_patch_is_refused_before_the_token_check(
    client: httpx.AsyncClient,
) -> None:
    body = Stream(100)
    response = await client.patch(
        f"/api/v1/plans/{PLAN_ID}/needs/housing",
        content=body,
        headers={"content-type": "application/json"},
    )
    refused(response)
    assert body.made <= 2
    small = await client.patch(
        f"/api/v1/plans/{PLAN_ID}/needs/housing", json={"status": "referred"}
    )
    assert small.status_code == 401  # an ordinary body goes on to the token check


async def test_a_chat_message_over_its_cap_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/chat/messages", json={"text": "a" * (20 * 1024)})
    refused(response)
