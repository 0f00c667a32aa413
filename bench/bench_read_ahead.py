"""The encoder's reading off the event loop: what other parents' texts wait while one is read.

    .venv/bin/python bench/bench_read_ahead.py [--worrying 60] [--answers 300]
                                                [--redis-url redis://127.0.0.1:6379/15]

The real app (create_app, live-Twilio mode, signature-checked texts, its delivery worker
posting on-call alerts to the fake receiver on 127.0.0.1) runs in this process. Each round
sends, at once, --worrying texts the nets find worrying (probe texts, dev sets, that ask the
fine-tuned encoder: ~17 ms of one core each) from their own phones, and --answers plan answers
("yes", a name, a date...) from other phones, 8 requests in flight; a ticker measures how late
the event loop wakes it (asked every 1 ms). Two ways, alternated twice, the models' and the
encoder's remembered readings cleared before each round:

  * "read ahead" (as served): Service.handle_inbound reads a worrying text in a worker thread
    (asyncio.to_thread) before the flood guard and the step;
  * "on the loop" (before): Engine.reads_slowly says no, so the step reads it inside the
    store's transaction, on the event loop.

Prints a markdown table: the plan answers' latency (p50 / p99), the worrying texts' p50, the
ticker's worst and p99 lateness, and the wall time of a round.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import platform
import secrets
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_floods import inbound, sign, with_app  # noqa: E402
from bot.engine.machine import Engine  # noqa: E402
from tests.crisis_corpus import PROBE_DIRS, load_corpus  # noqa: E402

ANSWERS = ["yes", "Sam", "1", "06103", "no", "end of january", "ok", "2", "not yet", "si"]
IN_FLIGHT = 8


def worrying_texts(engine: Engine, count: int) -> list[str]:
    """Probe texts (dev) that ask the encoder in English, as many as asked."""
    found = []
    for directory in PROBE_DIRS[:3]:  # 35-37, as its figures in bench/README were measured
        for example in load_corpus("en", directory):
            if example.label != "ordinary" and engine.reads_slowly(example.text):
                found.append(example.text)
    if len(found) < count:
        raise SystemExit(f"only {len(found)} probe texts ask the encoder")
    return found[:count]


def forget(engine: Engine) -> None:
    for model in engine.crisis_models.values():
        model.scores.clear()
        if model.encoder is not None:
            model.encoder.readings.clear()


async def ticker(stop: asyncio.Event, late: list[float]) -> None:
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(0.001)
        late.append((time.perf_counter() - asked - 0.001) * 1000)


async def one_round(
    http: httpx.AsyncClient, engine: Engine, worrying: Sequence[str], answers: int
) -> dict[str, Any]:
    forget(engine)
    jobs = [("worrying", text) for text in worrying]
    jobs += [("answer", ANSWERS[n % len(ANSWERS)]) for n in range(answers)]
    # Interleaved: a worrying text every few answers, as they would arrive.
    step = max(1, len(jobs) // max(1, len(worrying)))
    order = sorted(range(len(jobs)), key=lambda n: (n % step, n))
    queue = asyncio.Queue[tuple[str, str]]()
    for n in order:
        queue.put_nowait(jobs[n])
    took: dict[str, list[float]] = {"worrying": [], "answer": []}

    async def client() -> None:
        while not queue.empty():
            kind, body = queue.get_nowait()
            form = inbound(f"+1860555{secrets.randbelow(10**4):04d}", body)
            started = time.perf_counter()
            response = await http.post(
                "/twilio/sms", data=form, headers={"X-Twilio-Signature": sign(form)}
            )
            response.raise_for_status()
            took[kind].append((time.perf_counter() - started) * 1000)

    stop, late = asyncio.Event(), []
    tick = asyncio.create_task(ticker(stop, late))
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(IN_FLIGHT)))
    wall = time.perf_counter() - started
    stop.set()
    await tick
    return {"took": took, "late": sorted(late), "wall": wall}


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(args: argparse.Namespace) -> None:
    await with_app(
        args.redis_url, "readahead", lambda application, _s, _r: drive(application, args)
    )


async def drive(application: Any, args: argparse.Namespace) -> None:
    engine: Engine = application.state.runtime.service.engine
    if engine.crisis_models.get("en") is None or engine.crisis_models["en"].encoder is None:
        raise SystemExit("no encoder is served (locales/crisis_encoder.npz)")
    worrying = worrying_texts(engine, args.worrying)
    served = engine.reads_slowly
    transport = httpx.ASGITransport(app=application)
    rows = []
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        await one_round(http, engine, worrying[:4], 20)  # warm up
        for way in itertools.islice(itertools.cycle(("read ahead", "on the loop")), 4):
            engine.reads_slowly = served if way == "read ahead" else (lambda text: False)  # type: ignore[method-assign]
            result = await one_round(http, engine, worrying, args.answers)
            took, late = result["took"], result["late"]
            rows.append(
                f"| {way} | {percentile(took['answer'], 0.5):.1f} / "
                f"{percentile(took['answer'], 0.99):.1f} ms | "
                f"{statistics.median(took['worrying']):.1f} ms | {late[-1]:.1f} / "
                f"{percentile(late, 0.99):.1f} ms | {result['wall']:.2f} s |"
            )
        engine.reads_slowly = served  # type: ignore[method-assign]
    print(
        f"Python {platform.python_version()}, {platform.machine()}: {args.worrying} worrying "
        f"texts and {args.answers} plan answers a round, {IN_FLIGHT} in flight\n"
    )
    print("| way | plan answers p50 / p99 | worrying p50 | loop late, worst / p99 | round |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worrying", type=int, default=60)
    parser.add_argument("--answers", type=int, default=300)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
