"""Fakes at our own boundaries (a Twilio-compatible server) and the loopback runner they share."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


class UvicornThread:
    """Serve an ASGI app with uvicorn on 127.0.0.1 in a background thread, on a free port.

    The socket is bound before the thread starts, so there is no race for the port.
    """

    def __init__(self, app: Any, *, log_level: str = "warning", **config: Any) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.app = app
        self.port: int = self._sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        cfg = uvicorn.Config(app, log_level=log_level, lifespan="on", **config)
        self.server = uvicorn.Server(cfg)
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self, timeout: float = 10.0) -> UvicornThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError("uvicorn stopped before it started (see its log)")
            if time.monotonic() > deadline:
                raise TimeoutError("uvicorn did not start in time")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self._thread.join(timeout)
        self._sock.close()

    def __enter__(self) -> UvicornThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
