"""Which client a REDIS_URL gives: redis-py's cluster client for redis+cluster://, else plain."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from bot.store.client import client_for_url, is_cluster, is_cluster_url, worker_client

pytestmark = pytest.mark.anyio


async def test_a_cluster_url_gives_the_cluster_client_and_others_the_plain_one() -> None:
    cluster = client_for_url("redis+cluster://127.0.0.1:7001")
    plain = client_for_url("redis://127.0.0.1:6379/3")
    try:
        assert isinstance(cluster, RedisCluster)
        assert is_cluster(cluster)
        assert isinstance(plain, Redis)
        assert not is_cluster(plain)
        assert [(n.host, n.port) for n in cluster.nodes_manager.startup_nodes.values()] == [
            ("127.0.0.1", 7001)
        ]
        assert cluster.get_connection_kwargs()["decode_responses"] is False
        worker = worker_client(cluster)
        assert is_cluster(worker)
        assert worker is not cluster
        await worker.aclose()
    finally:
        await cluster.aclose()
        await plain.aclose()


def test_only_the_cluster_schemes_name_a_cluster() -> None:
    assert is_cluster_url("redis+cluster://h:1")
    assert is_cluster_url("rediss+cluster://h:1")
    assert not is_cluster_url("redis://h:1/0")
    assert not is_cluster_url("unix:///tmp/r.sock")
