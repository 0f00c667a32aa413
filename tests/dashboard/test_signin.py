"""Sign-in: argon2 passwords, the session cookie, lockout, the address cap, idle timeout."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.web.dashboard import COOKIE
from tests.dashboard.conftest import PASSWORD, Running, csrf_of, sign_in, signed_in
from tests.dashboard.test_cli import run_cli

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db11")]


def configure(running: Running, **changes: object) -> None:
    """A different DashboardConfig from the next request on (as app.py would set it)."""
    running.configure(**changes)


async def test_pages_need_a_signed_in_member(running: Running) -> None:
    """Every page sends a stranger to the sign-in page, which is a plain labelled form."""
    for path in ("/care", "/care/inbox", f"/care/plans/{'0' * 32}", f"/care/inbox/{'0' * 32}"):
        response = await running.http.get(path)
        assert (response.status_code, response.headers["location"]) == (303, "/care/sign-in")
    page = await running.http.get("/care/sign-in")
    assert page.status_code == 200
    assert '<label for="member_id">Member ID</label>' in page.text
    assert '<label for="password">Password</label>' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_signing_in_sets_a_new_strict_httponly_secure_cookie(running: Running) -> None:
    """The session id changes at sign-in, and the cookie cannot be read by script or sent
    cross-site; the plans page then opens."""
    form = await running.http.get("/care/sign-in")
    before = running.http.cookies.get(COOKIE)  # none: the form starts no session
    response = await running.http.post(
        "/care/sign-in",
        data={"csrf": csrf_of(form), "member_id": "hope_sw", "password": PASSWORD},
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    for attribute in ("HttpOnly", "SameSite=strict", "Secure", "Path=/care"):
        assert attribute in cookie, cookie
    assert running.http.cookies[COOKIE] != before
    plans = await running.http.get("/care")
    assert plans.status_code == 200
    assert "Rosa Díaz" in plans.text


async def test_passwords_are_kept_only_as_argon2id_hashes(running: Running) -> None:
    """What Redis holds is an argon2id hash; the password itself is nowhere in the keyspace."""
    await running.dash.passwords.set("hope_nurse", "a brand new passphrase")
    stored = await running.dash.records.store.redis.get(running.keys.password("hope_nurse"))
    assert stored is not None
    assert stored.startswith(b"$argon2id$")
    client = running.dash.records.store.redis
    prefix = running.dash.records.store.keys.prefix
    async for key in client.scan_iter(match=f"{prefix}*"):
        if await client.type(key) == b"string":
            assert b"brand new passphrase" not in (await client.get(key) or b"")
    assert (await sign_in(running.http, "hope_nurse", "a brand new passphrase")).status_code == 303


async def test_wrong_password_and_unknown_member_get_the_same_answer(running: Running) -> None:
    wrong = await sign_in(running.http, "hope_sw", "not the password")
    unknown = await sign_in(running.client(), "nobody_here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match" in wrong.text
    assert "do not match" in unknown.text
    assert 'value="hope_sw"' in wrong.text  # the id stays filled in; the password does not
    assert "not the password" not in wrong.text


async def test_lockout_after_repeated_failures_even_for_the_right_password(
    running: Running,
) -> None:
    """Five wrong passwords lock the member id for the lockout time, whatever comes next;
    after it the right password works again."""
    configure(running, max_failures=5, lockout=timedelta(minutes=15))
    statuses = [
        (await sign_in(running.http, "hope_sw", f"guess {i}")).status_code for i in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 423]
    right = await sign_in(running.http, "hope_sw")
    assert right.status_code == 423
    assert "locked" in right.text
    other = await sign_in(running.client(), "hope_nurse")
    assert other.status_code == 303  # another member is not affected
    running.clock.advance(timedelta(minutes=16))
    assert (await sign_in(running.http, "hope_sw")).status_code == 303


async def test_unknown_ids_lock_too_so_a_lockout_reveals_no_account(running: Running) -> None:
    configure(running, max_failures=3)
    statuses = [(await sign_in(running.http, "made_up_id", "x")).status_code for _ in range(3)]
    assert statuses == [401, 401, 423]


async def test_one_address_is_rate_limited_across_member_ids(running: Running) -> None:
    """Spraying passwords over many ids from one address hits the address cap (429)."""
    configure(running, attempts_per_address=4, max_failures=100)
    ids = ["hope_sw", "hope_nurse", "hope_tx", "laramie_hv", "laramie_on_call"]
    statuses = [(await sign_in(running.http, m, "wrong password")).status_code for m in ids]
    assert statuses == [401, 401, 401, 401, 429]
    limited = await sign_in(running.http, "hope_sw")
    assert limited.status_code == 429
    assert "retry-after" in limited.headers
    running.clock.advance(timedelta(minutes=31))
    assert (await sign_in(running.http, "hope_sw")).status_code == 303


async def test_the_address_cap_slides_rather_than_resetting_on_the_clock(
    running: Running,
) -> None:
    """Attempts spread over 14 minutes still count together: no fresh allowance at :15."""
    configure(running, attempts_per_address=4, max_failures=100)
    ids = ["hope_sw", "hope_nurse", "hope_tx", "laramie_hv", "laramie_on_call"]
    statuses = []
    for member in ids:
        statuses.append((await sign_in(running.http, member, "wrong password")).status_code)
        running.clock.advance(timedelta(minutes=3, seconds=30))
    assert statuses == [401, 401, 401, 401, 429]
    running.clock.advance(timedelta(minutes=5))  # the first attempts are now out of the window
    assert (await sign_in(running.http, "hope_sw")).status_code == 303


async def test_idle_timeout_signs_the_member_out(running: Running) -> None:
    """Activity keeps a session; 30 quiet minutes end it, and the old cookie is dead."""
    configure(running, idle=timedelta(minutes=30))
    http = await signed_in(running, "hope_sw")
    running.clock.advance(timedelta(minutes=20))
    assert (await http.get("/care")).status_code == 200
    running.clock.advance(timedelta(minutes=20))
    assert (await http.get("/care")).status_code == 200  # 40 minutes in, never 30 idle
    running.clock.advance(timedelta(minutes=31))
    ended = await http.get("/care")
    assert (ended.status_code, ended.headers["location"]) == (303, "/care/sign-in?ended=idle")
    page = await http.get(ended.headers["location"])
    assert "signed out after 30 minutes without activity" in page.text
    assert (await http.get("/care")).status_code == 303


async def test_a_session_ends_after_its_maximum_age_however_busy(running: Running) -> None:
    configure(running, idle=timedelta(minutes=30), session_max=timedelta(hours=1))
    http = await signed_in(running, "hope_sw")
    for _ in range(2):
        running.clock.advance(timedelta(minutes=25))
        assert (await http.get("/care")).status_code == 200
    running.clock.advance(timedelta(minutes=15))  # 65 minutes since sign-in, 15 idle
    assert (await http.get("/care")).status_code == 303


async def test_signing_out_ends_the_session(running: Running) -> None:
    http = await signed_in(running, "hope_sw")
    page = await http.get("/care")
    token = http.cookies[COOKIE]
    replay = running.client()
    replay.headers["cookie"] = f"{COOKIE}={token}"
    assert (await replay.get("/care")).status_code == 200  # the cookie is all it takes
    out = await http.post("/care/sign-out", data={"csrf": csrf_of(page)})
    assert (out.status_code, out.headers["location"]) == (303, "/care/sign-in?ended=out")
    assert (await http.get("/care")).status_code == 303
    replay.headers["cookie"] = f"{COOKIE}={token}"
    assert (await replay.get("/care")).status_code == 303  # the old id opens nothing


def from_address(running: Running, address: str) -> httpx.AsyncClient:
    """A browser at another client address."""
    transport = httpx.ASGITransport(app=running.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="https://testserver")


async def test_wrong_tries_from_many_addresses_lock_no_one_out(running: Running) -> None:
    """Five wrong passwords, each from its own address, then the member from a sixth (or
    from one of the five): the right password signs in. Lockouts hold per address."""
    configure(running, max_failures=5)
    for n in range(5):
        wrong = await sign_in(from_address(running, f"198.51.100.{n}"), "hope_sw", "guess")
        assert wrong.status_code == 401
    assert (await sign_in(from_address(running, "203.0.113.7"), "hope_sw")).status_code == 303
    assert (await sign_in(from_address(running, "198.51.100.0"), "hope_sw")).status_code == 303
    # One address guessing on is locked out, and only that address.
    attacker = from_address(running, "192.0.2.66")
    statuses = [(await sign_in(attacker, "hope_sw", f"guess {i}")).status_code for i in range(5)]
    assert statuses == [401, 401, 401, 401, 423]
    assert (await sign_in(attacker, "hope_sw")).status_code == 423
    assert (await sign_in(from_address(running, "203.0.113.8"), "hope_sw")).status_code == 303


async def test_guessing_spread_over_addresses_gets_one_try_per_address(running: Running) -> None:
    configure(running, max_failures=5, member_failures=4)
    for n in range(4):
        await sign_in(from_address(running, f"198.51.100.{n}"), "hope_sw", "guess")
    late = from_address(running, "198.51.100.99")
    assert (await sign_in(late, "hope_sw", "guess")).status_code == 423  # its first wrong try
    assert (await sign_in(late, "hope_sw")).status_code == 423
    assert (await sign_in(from_address(running, "203.0.113.7"), "hope_sw")).status_code == 303


async def test_an_operator_unlock_lets_the_right_password_through_for_a_while(
    running: Running, tmp_path: Path
) -> None:
    configure(running, max_failures=3)
    shared = from_address(running, "198.51.100.20")  # the ward's one address, say
    for _ in range(3):
        await sign_in(shared, "hope_sw", "guess")
    assert (await sign_in(shared, "hope_sw")).status_code == 423
    done = run_cli(running, tmp_path, "unlock", "hope_sw")
    assert done.returncode == 0, done.stderr
    assert "30 minutes" in done.stdout
    # Locked again by more guessing: the right password still passes while the unlock holds.
    for _ in range(3):
        await sign_in(shared, "hope_sw", "guess")
    assert (await sign_in(shared, "hope_sw", "guess")).status_code == 423
    assert (await sign_in(shared, "hope_sw")).status_code == 303
    # Another member locked at that address is not unlocked by it.
    other = from_address(running, "198.51.100.20")
    for _ in range(3):
        await sign_in(other, "hope_nurse", "guess")
    assert (await sign_in(other, "hope_nurse")).status_code == 423
