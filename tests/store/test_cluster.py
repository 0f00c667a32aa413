"""The store on a 3-primary Redis Cluster (tests/conftest.py starts it once per worker)."""

from __future__ import annotations

import secrets

import pytest

from bot.store.client import client_for_url
from bot.store.crypto import Cipher
from bot.store.redis_store import RedisConversationStore

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("cluster")]


async def test_scripts_load_on_every_primary_and_a_contact_reads_back(
    redis_cluster_url: str,
) -> None:
    client = client_for_url(redis_cluster_url)
    store = RedisConversationStore(client, Cipher(secrets.token_bytes(32)), prefix="t:")
    try:
        await store.prepare()
        primaries = client.get_primaries()  # type: ignore[attr-defined]
        assert len(primaries) == 3
        for node in primaries:
            loaded = await client.execute_command(
                "SCRIPT EXISTS", store._commit.sha, target_nodes=node
            )
            assert loaded == [True]
        assert await store.ping()
        assert await store.load("+15550001111") is None
    finally:
        await store.close()
