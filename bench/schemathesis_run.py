"""Schemathesis over every operation of the app, on loopback, against a real Redis of its own.

`make schemathesis` runs this. It starts a private redis-server (tests/fakes/redis_server.py)
and the app under uvicorn on 127.0.0.1, then `st run` with every check, bounded in examples
per operation and in total time. Exit status: schemathesis's (0 = no failure found).
Nothing leaves the machine: the app's base URL, Redis and the Twilio sender are all local
(no Twilio credentials: the dev outbox sends).
"""

from __future__ import annotations

import argparse
import base64
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.fakes.redis_server import PrivateRedis  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-examples", type=int, default=25, help="per operation")
    parser.add_argument("--max-time", type=int, default=240, help="seconds for the whole run")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="safestart-st-") as tmp:
        data = Path(tmp) / "redis"
        data.mkdir()
        redis_server = PrivateRedis(data)
        redis_server.start()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        settings = Settings(
            _env_file=None,
            redis_url=redis_server.url,
            public_base_url=base,
            data_encryption_key=base64.b64encode(secrets.token_bytes(32)).decode(),
            var_dir=Path(tmp) / "var",
            log_level="ERROR",
        )
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            for _ in range(500):
                if server.started:
                    break
                time.sleep(0.02)
            st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
            command = [
                st,
                "run",
                f"{base}/openapi.json",
                "--checks",
                "all",
                # "Schema-valid request rejected": the reports' from <= to, at most 20 years,
                # is a rule across two fields that OpenAPI cannot state; answered 422.
                "--exclude-checks",
                "positive_data_acceptance",
                "--max-examples",
                str(args.max_examples),
                "--max-time",
                str(args.max_time),
                "--workers",
                str(args.workers),
                "--generation-deterministic",
                "--request-timeout",
                "10",
            ]
            print("$", " ".join(command), flush=True)
            return subprocess.call(command)
        finally:
            server.should_exit = True
            thread.join(10)
            redis_server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
