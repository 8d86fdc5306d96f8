"""The HTTP API under load: heartbeats/s over HTTP against ``record_activity`` in-process, measured in the
same run, and one room of 1,000 live feeds (time from a heartbeat to the last feed's diff, memory per feed).

    python bench/bench_http.py [--stores memory,redis] [--rounds 3] [--seconds 3] [--connections 64]
                               [--tokens 60000] [--feeds 1000] [--samples 200] [--output bench/RESULTS-http.md]

The server is a separate process (this file with ``--serve``): ``create_app`` served by ``Served`` on the
event loop ``presence-bot`` runs (asyncio's own), one core's worth of
Python. Every token first joins ``app:bench``; the measured heartbeats are then the steady state of an
app in a room (token, 5-second limit, the person's record, the recorded heartbeat), each token once,
so none is refused. The load comes from ``wrk`` (a second process, one thread) and then from this
process's own asyncio client (``bench/http_load.py``), each for ``--seconds``. Beside the rates, the
server's CPU time per heartbeat (``/proc``), which a busy machine disturbs less than the rate.

The baselines run in this process on the same kind of loop, ``--connections`` concurrent callers:
``record_activity`` (the goal: HTTP at least 0.3x of it) and the endpoint's own work without HTTP
(``authenticate``, the limit, ``room_heartbeat``). The floors: a bare ASGI app and a plain FastAPI
route answering the same JSON with no presence work, under the same server and load. Each round runs
everything once; the report gives medians over the rounds, and every round's figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/bench_http.py``
    sys.path.insert(0, str(Path(__file__).parents[1]))

from bench.bench_stores import cpu_model
from bench.http_feeds import feed_room
from bench.http_load import Load, ServerProcess, hammer, wrk, wrk_installed
from presence_adapters.http import Served, create_app
from presence_adapters.http.heartbeat import HeartbeatLimit, beat
from presence_adapters.http.models import HeartbeatIn
from presence_core import PresenceService
from presence_core.policy import Policy
from presence_core.stores.base import Store
from presence_core.stores.memory import MemoryStore

ROOM = "app:bench"
BODY = json.dumps({"channel_id": ROOM}, separators=(",", ":")).encode()
ANSWER = {"device": "api t", "rooms": [ROOM], "next_heartbeat_ms": 30_000}
FLOORS = ("asgi", "fastapi")
# People and tokens are made this many at a time (more at once can outlast Redis's timeout on a busy machine).
SETUP_BATCH = 100


def open_store(kind: str, redis_url: str | None) -> Store:
    if kind == "redis":
        from presence_core.stores.redis import RedisStore
        assert redis_url is not None
        # A generous timeout: making tens of thousands of people and tokens on a busy shared machine
        # must not fail the run (the measured calls take well under a millisecond).
        return RedisStore(redis_url, timeout=60.0)
    return MemoryStore()


# the server process ------------------------------------------------------------------------------


def floor_app(kind: str) -> Any:
    """The HTTP stack alone, answering the heartbeat's JSON with no presence work: a bare ASGI app (what
    uvicorn itself costs), or a FastAPI route reading the same body model and ``Authorization`` header."""
    from fastapi import FastAPI, Header

    from presence_adapters.http.app import TELEMETRY
    from presence_adapters.http.models import HeartbeatOut

    payload = json.dumps(ANSWER, separators=(",", ":")).encode()
    if kind == "asgi":
        async def bare(scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                       send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
            if scope["type"] == "lifespan":
                while (await receive())["type"] != "lifespan.shutdown":
                    await send({"type": "lifespan.startup.complete"})
                await send({"type": "lifespan.shutdown.complete"})
                return
            while (await receive()).get("more_body"):
                pass
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", str(len(payload)).encode()), (b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": payload})
        return bare
    app = FastAPI(telemetry=TELEMETRY)  # type: ignore[call-arg]

    async def heartbeat(body: HeartbeatIn, authorization: str = Header()) -> dict[str, Any]:
        return ANSWER
    # Annotations as objects: this module's postponed annotations would name classes FastAPI cannot find.
    heartbeat.__annotations__ = {"body": HeartbeatIn, "authorization": str, "return": dict[str, Any]}
    app.post("/v1/heartbeat", response_model=HeartbeatOut)(heartbeat)
    return app


async def serve(kind: str, redis_url: str | None, tokens: int, token_file: Path) -> None:
    """Make the tokens (fake ones for a floor), write them down, serve until stdin closes."""
    if kind in FLOORS:
        token_file.write_text("\n".join(f"prs_floor{i}" for i in range(tokens)))
        async with Served(floor_app(kind), "127.0.0.1", 0) as served:
            print(f"ready {served.port}", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        return
    async with PresenceService(open_store(kind, redis_url), Policy()) as presence:
        made: list[str] = []
        for start in range(0, tokens, SETUP_BATCH):
            made += await asyncio.gather(*(presence.create_token(f"bench:{i}", "t")
                                           for i in range(start, min(start + SETUP_BATCH, tokens))))
        token_file.write_text("\n".join(made))
        async with Served(create_app(presence), "127.0.0.1", 0) as served:
            print(f"ready {served.port}", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


# measuring ---------------------------------------------------------------------------------------


@dataclass
class Rate:
    """Operations per second (wall clock) and CPU microseconds per operation of the process doing them."""

    per_s: float
    cpu_us: float


@dataclass
class Round:
    """One store in one round: the in-process baselines and the HTTP heartbeats under each load generator."""

    record_activity: Rate
    endpoint_work: Rate
    http: dict[str, Rate] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)


async def in_process(kind: str, redis_url: str | None, people: int, callers: int) -> tuple[Rate, Rate]:
    """``record_activity``, then the endpoint's work without HTTP, each by ``callers`` concurrent callers in
    the steady state: ``people`` already known (and in the room, with their tokens), each measured once."""
    rates: list[Rate] = []
    for what in ("record_activity", "endpoint_work"):
        async with PresenceService(open_store(kind, redis_url), Policy()) as presence:
            users = [f"bench:{i}" for i in range(people)]
            limit = HeartbeatLimit(presence)
            body = HeartbeatIn(channel_id=ROOM)
            tokens: dict[str, str] = {}
            for start in range(0, people, SETUP_BATCH):
                some = users[start:start + SETUP_BATCH]
                if what == "record_activity":
                    await asyncio.gather(*(presence.record_activity(u, {"channel_id": ROOM}) for u in some))
                    continue
                tokens |= dict(zip(some, await asyncio.gather(*(presence.create_token(u, "t") for u in some))))
                devices = await asyncio.gather(*(presence.authenticate(tokens[u]) for u in some))
                await asyncio.gather(*(presence.room_heartbeat(d.owner, d.device_id, ROOM) for d in devices if d))
            await presence.flush()
            work = iter(users)

            async def caller() -> None:
                for user in work:
                    if what == "record_activity":
                        await presence.record_activity(user, {"channel_id": ROOM})
                    else:
                        device = await presence.authenticate(tokens[user])
                        assert device is not None
                        await beat(presence, limit, device, body)

            started, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(caller() for _ in range(callers)))
            await presence.flush()
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            rates.append(Rate(people / seconds, cpu / people * 1e6))
    return rates[0], rates[1]


async def next_window() -> None:
    """Sleep into the next 5-second rate-limit window of the server's clock."""
    now = time.time()
    await asyncio.sleep((now // 5 + 1) * 5 + 0.05 - now)


async def http_heartbeats(server: ServerProcess, args: argparse.Namespace, folder: Path,
                          joined: bool) -> tuple[dict[str, Rate], dict[str, dict[int, int]]]:
    """The steady state under wrk (first half of the tokens), then under the Python client (second half)."""
    if not joined:
        await hammer(server.port, server.tokens, args.connections, BODY)  # every token joins the room
        await next_window()
    half = len(server.tokens) // 2
    rates, statuses = {}, {}
    generators: list[tuple[str, Callable[[], Awaitable[Load]]]] = [
        ("python", lambda: hammer(server.port, server.tokens[half:], args.connections, BODY, args.seconds))]
    if wrk_installed():
        generators.insert(0, ("wrk", lambda: asyncio.to_thread(wrk, server.port, server.tokens[:half], BODY,
                                                               args.connections, args.seconds, folder)))
    for name, generate in generators:
        cpu = server.cpu_seconds()
        load = await generate()
        rates[name] = Rate(load.rate, (server.cpu_seconds() - cpu) / load.requests * 1e6)
        statuses[name] = load.statuses
    return rates, statuses


async def one_round(args: argparse.Namespace, redis: Any, folder: Path) -> tuple[dict[str, Round], dict[str, Rate]]:
    rounds: dict[str, Round] = {}
    for kind in args.stores.split(","):
        url = redis.url if kind == "redis" else None
        if kind == "redis":
            redis.flush()
        baseline, work = await in_process(kind, url, args.people, args.connections)
        if kind == "redis":
            redis.flush()
        server = ServerProcess.start(kind, url, args.tokens, folder)
        try:
            rates, statuses = await http_heartbeats(server, args, folder, joined=False)
        finally:
            server.stop()
        rounds[kind] = Round(baseline, work, rates, statuses)
        print(f"{kind}: {rounds[kind]}", file=sys.stderr)
    floors: dict[str, Rate] = {}
    for kind in FLOORS:
        server = ServerProcess.start(kind, None, args.tokens, folder)
        try:
            rates, _ = await http_heartbeats(server, args, folder, joined=True)
        finally:
            server.stop()
        floors[kind] = rates["wrk" if "wrk" in rates else "python"]
        print(f"{kind}: {floors[kind]}", file=sys.stderr)
    return rounds, floors


async def run(args: argparse.Namespace) -> tuple[list[dict[str, Round]], list[dict[str, Rate]], dict[str, float], str]:
    from tests.support.redis_server import RedisServer, binaries

    stores = args.stores.split(",")
    if "redis" in stores and binaries() is None:
        args.stores = ",".join(s for s in stores if s != "redis")
    redis = RedisServer() if "redis" in args.stores.split(",") else None
    results, floors = [], []
    try:
        with tempfile.TemporaryDirectory(prefix="presence-bench-http-") as folder:
            for _ in range(args.rounds):
                rounds, floor = await one_round(args, redis, Path(folder))
                results.append(rounds)
                floors.append(floor)
            server = ServerProcess.start("memory", None, args.feeds + 60, Path(folder))
            try:
                feed = await feed_room(server, args.feeds, args.samples, 60)
            finally:
                server.stop()
    finally:
        if redis is not None:
            redis.stop()
    version = ""
    if redis is not None:
        version = " ".join(subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[:3])
    return results, floors, feed, version


# the report --------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float], digits: int = 0) -> str:
    return " / ".join(f"{v:,.{digits}f}" for v in values)


def report(args: argparse.Namespace, argv: Sequence[str], results: list[dict[str, Round]],
           floors: list[dict[str, Rate]], feed: dict[str, float], redis_version: str) -> list[str]:
    generators = [g for g in ("wrk", "python") if g in results[0][next(iter(results[0]))].http]
    lines = [
        "# HTTP API benchmark: heartbeats over HTTP, and one room of live feeds",
        "",
        f"- command: `{shlex.join(['python', 'bench/bench_http.py', *argv])}`",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}; Python {platform.python_version()}, asyncio's event loop, "
        f"uvicorn with httptools; server, load generator{' and Redis' if redis_version else ''} share the CPUs "
        f"with whatever else runs (load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())})"
        + (f"; {redis_version} on loopback" if redis_version else ""),
        "",
        "## Heartbeats per second",
        "",
        f"{args.connections} keep-alive connections (HTTP) or {args.connections} concurrent callers (in-process); "
        f"{args.tokens:,} tokens, each heartbeating once in the measured {args.seconds} s, every one already in "
        f"`{ROOM}`. Medians of {args.rounds} rounds; each round measures every column once.",
        "",
        "| store | HTTP heartbeats/s (wrk) | in-process `record_activity`/s | **HTTP ÷ `record_activity`** | "
        "server CPU per HTTP heartbeat | CPU per `record_activity` | endpoint work in-process (no HTTP) | "
        "HTTP heartbeats/s (Python client) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for kind in results[0]:
        rows = [r[kind] for r in results]
        main = generators[0]
        http = [r.http[main].per_s for r in rows]
        base = [r.record_activity.per_s for r in rows]
        ratios = [h / b for h, b in zip(http, base)]
        python = median([r.http["python"].per_s for r in rows])
        lines.append(
            f"| {kind} | {median(http):,.0f} | {median(base):,.0f} | **{median(ratios):.2f}** | "
            f"{median([r.http[main].cpu_us for r in rows]):.0f} µs | {median([r.record_activity.cpu_us for r in rows]):.0f} µs | "
            f"{median([r.endpoint_work.per_s for r in rows]):,.0f}/s, {median([r.endpoint_work.cpu_us for r in rows]):.0f} µs | "
            f"{python:,.0f} |")
    lines += ["", "Every round (HTTP/s with wrk ÷ `record_activity`/s of the same round):", ""]
    for kind in results[0]:
        rows = [r[kind] for r in results]
        main = generators[0]
        lines.append(f"- {kind}: " + "; ".join(
            f"{r.http[main].per_s:,.0f} ÷ {r.record_activity.per_s:,.0f} = {r.http[main].per_s / r.record_activity.per_s:.2f}"
            for r in rows) + "; statuses " + ", ".join(
            f"{g} {dict(sorted(r.statuses[g].items()))}" for r in rows[:1] for g in generators))
    floor = {k: median([f[k].per_s for f in floors]) for k in FLOORS}
    floor_cpu = {k: median([f[k].cpu_us for f in floors]) for k in FLOORS}
    lines += [
        "",
        "The HTTP stack alone (same server setup and load, answering the heartbeat's JSON with no presence work): "
        f"a bare ASGI app {floor['asgi']:,.0f}/s ({floor_cpu['asgi']:.0f} µs of server CPU each), a plain FastAPI "
        f"route with the same body model and `Authorization` header {floor['fastapi']:,.0f}/s "
        f"({floor_cpu['fastapi']:.0f} µs). Against each store's `record_activity`: "
        + "; ".join(f"{kind}: bare ASGI {floor['asgi'] / median([r[kind].record_activity.per_s for r in results]):.2f}×, "
                    f"FastAPI {floor['fastapi'] / median([r[kind].record_activity.per_s for r in results]):.2f}×"
                    for kind in results[0]) + ".",
        "",
        f"## One room, {args.feeds:,} live feeds",
        "",
        f"Memory store. {args.samples} heartbeats, each moving one device of the room (a new location), about 12 "
        "per second; the time from sending the heartbeat to the moment the last of the feeds received the diff.",
        "",
        "| feeds | p50 | p99 | max | server memory per feed | server RSS before → after |",
        "|--:|--:|--:|--:|--:|---|",
        f"| {args.feeds:,} | {feed['p50_ms']:.1f} ms | {feed['p99_ms']:.1f} ms | {feed['max_ms']:.1f} ms | "
        f"{feed['rss_per_feed_kib']:.1f} KiB | {feed['rss_before_mib']:.0f} MiB → {feed['rss_after_mib']:.0f} MiB |",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", default="memory,redis")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3, help="each load generator's measured time per round")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--tokens", type=int, default=60_000, help="tokens (and people) of each HTTP server")
    parser.add_argument("--people", type=int, help="people of each in-process baseline (default: --tokens)")
    parser.add_argument("--feeds", type=int, default=1_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--token-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.people = args.people or args.tokens
    with asyncio.Runner() as runner:
        if args.serve:
            runner.run(serve(args.serve, args.redis_url, args.tokens, args.token_file))
            return
        results, floors, feed, redis_version = runner.run(run(args))
    lines = report(args, argv, results, floors, feed, redis_version)
    if args.output:
        args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
