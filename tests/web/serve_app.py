"""One app process for tests that need several (tests/web/test_on_cluster.py).

    python -m tests.web.serve_app   # Settings from the environment, keys under TEST_KEY_PREFIX

Like `python app.py`, plus the key prefix of a test's keyspace and its fixed clock
(TEST_NOW, ISO 8601).
"""

from __future__ import annotations

import os
from datetime import datetime

import uvicorn

from app import create_app, server_config
from bot.settings import Settings


def main() -> None:
    settings = Settings(_env_file=None)
    now = datetime.fromisoformat(os.environ["TEST_NOW"])
    app = create_app(
        settings,
        key_prefix=os.environ["TEST_KEY_PREFIX"],
        clock=lambda: now,
        freeze_heap=False,
    )
    uvicorn.Server(server_config(settings, app)).run()


if __name__ == "__main__":
    main()
