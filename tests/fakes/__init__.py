"""Fakes at our own boundaries (a Twilio-compatible server) and the loopback runner they share."""

from __future__ import annotations

import asyncio
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

    def start(self, timeout: float = 30.0) -> UvicornThread:
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


class Dropped(Exception):
    """A held request the test dropped: the fake answers it as if it never arrived."""


class Gate:
    """Holds the requests that reach a fake until the test opens it (or admits some, or
    drops those held), to kill a sender while its requests are in flight. Open by default;
    `seen` is what arrived (one key each: a webhook-id, a To), `held` how many wait now.
    Thread-safe: the fake runs in its own thread, the test in another."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self.seen: list[str] = []
        self.held = 0
        self._admits = 0
        self._drops = 0  # drop_held() calls so far; a request held across one is dropped

    def drop_held(self) -> None:
        """Every request held now raises Dropped (the gate stays as it is)."""
        with self._lock:
            self._drops += 1

    def close(self) -> None:
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    def admit(self, count: int) -> None:
        """Let `count` requests through (held ones first), the gate staying closed."""
        with self._lock:
            self._admits += count

    def _may_pass(self) -> bool:
        if self._open.is_set():
            return True
        with self._lock:
            if self._admits > 0:
                self._admits -= 1
                return True
        return False

    async def passing(self, key: str) -> None:
        """Called by the fake's handler once the request's body is in; returns when open."""
        with self._lock:
            self.seen.append(key)
            self.held += 1
            drops = self._drops
        try:
            # A drop wins over an opening that follows it at once.
            while self._drops == drops and not self._may_pass():
                await asyncio.sleep(0.005)
            if self._drops != drops:
                raise Dropped(key)
        finally:
            with self._lock:
                self.held -= 1
