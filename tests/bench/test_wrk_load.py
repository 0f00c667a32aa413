"""bench/wrk_load.py, the webhook benches' load generator: wrk sends each connection's texts
in order, one at a time (a parent never has two texts in flight), connection i to port
i mod n, none twice, and counts answers, answers that are not 2xx/3xx and its own CPU.
Against two small HTTP servers here that record what arrives. (A "having trouble" text is a
200: bench_cluster.py counts those from the app's error counters.)"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import pytest

from bench.bench_webhook import Work
from bench.wrk_load import drive_wrk


@dataclass
class Recorder:
    """What each server saw: (port, From, Body) in arrival order, and the most texts one
    parent had in flight at once."""

    seen: list[tuple[int, str, str]] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    most_in_flight: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("sockname")[1]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                form = parse_qs((await reader.readexactly(length)).decode())
                parent, body = form["From"][0], form["Body"][0]
                self.seen.append((port, parent, body))
                self.in_flight[parent] = self.in_flight.get(parent, 0) + 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight[parent])
                await asyncio.sleep(0.001 * (len(self.seen) % 3))  # answers out of step
                self.in_flight[parent] -= 1
                status = b"503 Service Unavailable" if body == "boom" else b"200 OK"
                writer.write(b"HTTP/1.1 %s\r\nContent-Length: 2\r\n\r\nok" % status)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:  # closed when cancelled at teardown too: no transport left for the GC
            writer.close()


@pytest.fixture
def servers() -> Iterator[tuple[Recorder, list[int]]]:
    recorder = Recorder()
    loop = asyncio.new_event_loop()
    started = [
        loop.run_until_complete(asyncio.start_server(recorder.serve, "127.0.0.1", 0))
        for _ in range(2)
    ]
    ports = [server.sockets[0].getsockname()[1] for server in started]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield recorder, ports
    asyncio.run_coroutine_threadsafe(shut(started), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


async def shut(started: list[asyncio.Server]) -> None:
    """Close the servers and every connection still open (wrk may keep one): cancelled and
    awaited here, so no task or transport outlives the loop and warns in a later test."""
    for server in started:
        server.close()
    handlers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in handlers:
        task.cancel()
    await asyncio.gather(*handlers, return_exceptions=True)
    for _ in range(3):  # the transports' close callbacks run on the next turns
        await asyncio.sleep(0)


def texts(parent: str, bodies: list[str]) -> list[tuple[dict[str, str], str]]:
    return [({"From": parent, "Body": body}, f"sig-{parent}-{n}") for n, body in enumerate(bodies)]


def test_each_connection_sends_its_texts_in_order_to_its_port(
    servers: tuple[Recorder, list[int]],
) -> None:
    recorder, ports = servers
    bodies = [str(n) for n in range(40)]
    work: Work = [texts(f"+1860555000{i}", bodies) for i in range(4)]
    work[3] = texts("+18605550003", [*bodies[:10], "boom", *bodies[10:]])

    load = drive_wrk(ports, work, seconds=1)

    for i, items in enumerate(work):
        parent = items[0][0]["From"]
        arrived = [(port, body) for port, who, body in recorder.seen if who == parent]
        assert arrived == [(ports[i % 2], form["Body"]) for form, _ in items]
    assert recorder.most_in_flight == 1
    assert load.sent == sum(len(items) for items in work) == len(recorder.seen)
    assert load.errors == 1  # the 503
    assert load.exhausted == 4  # every connection sent all it had
    assert load.cpu_s > 0
