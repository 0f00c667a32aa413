"""Bearer-token checks: an unknown token id costs the same scrypt as a known one, and an
address that fails too many checks is refused (429) without more checking."""

from __future__ import annotations

import httpx
import pytest

from bot.careteam.directory import Directory, model
from bot.careteam.reader import FAILED_CHECKS_PER_ADDRESS
from bot.careteam.wiring import CareTeam
from tests.careteam.conftest import Credentials, bearer

pytestmark = pytest.mark.anyio

URL = f"/api/v1/plans/{'a' * 32}"


def test_an_unknown_token_id_takes_the_same_kdf_work_as_a_known_one(
    directory: Directory, credentials: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[list[str]] = []
    real = model.verify_token_secret

    def counting(secret: str, stored: str) -> bool:
        checked.append(stored.split("$")[:4])  # the KDF and its cost: scrypt, N, r, p
        return real(secret, stored)

    monkeypatch.setattr(model, "verify_token_secret", counting)
    known_id_wrong_secret = credentials.tokens["hope-sw"][:-2] + "xx"
    unknown_id = "sst_nobody-here." + "a" * 43
    assert directory.authenticate(known_id_wrong_secret) is None
    assert directory.authenticate(unknown_id) is None
    assert len(checked) == 2
    assert checked[0] == checked[1]
    assert checked[0][0] == "scrypt"


async def test_failed_checks_from_one_address_are_capped(
    careteam: tuple[httpx.AsyncClient, CareTeam], credentials: Credentials
) -> None:
    client, team = careteam
    # A good token, verified once, keeps working from the same address throughout.
    good = bearer(credentials, "hope-sw")
    assert (await client.get(URL, headers=good)).status_code == 404
    forged = {"authorization": "Bearer " + credentials.tokens["hope-sw"][:-2] + "xx"}
    statuses = [(await client.get(URL, headers=forged)).status_code for _ in range(22)]
    assert statuses == [401] * FAILED_CHECKS_PER_ADDRESS + [429] * 2
    refused = await client.get(URL, headers=forged)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert (await client.get(URL, headers=good)).status_code == 404
    # Another address is not held back by this one's failures.
    assert await team.reader.authenticate(forged["authorization"][7:], "10.0.0.9") is None
