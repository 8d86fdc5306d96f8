"""The HTTP API under load: heartbeats/s over HTTP against the same service in-process, and one room
of 1,000 live feeds (time from a heartbeat to the last client's diff, server memory per client).

    python -m bench.bench_http [--stores memory,redis] [--connections 64] [--tokens 20000]
                               [--feeds 1000] [--samples 200] [--output bench/RESULTS-http.md]

The server is a separate process (this file with ``--serve``): uvicorn on the default asyncio loop
as ``presence-bot`` runs it, one core's worth of Python. The load comes from this process on the
other core: raw HTTP/1.1 keep-alive requests over ``--connections`` sockets (a client library would
be slower than the server it measures), and ``websockets`` clients for the feeds.

Heartbeats are the steady state of an app in a room: each token joined ``app:bench`` first, then
heartbeats there with nothing changed (token lookup, the 5-second rate limit, a load, a recorded
heartbeat). Each token is used at most once per 5-second window, so none is refused.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bench_stores import cpu_model
from presence_adapters.http import Served, create_app
from presence_core import PresenceService
from presence_core.policy import Policy
from presence_core.stores.base import Store
from presence_core.stores.memory import MemoryStore
from presence_core.tokens import device_id

ROOM = "app:bench"
FEED_ROOM = "app:bench-feed"
WINDOW_S = 5.0
ROOT = Path(__file__).parents[1]


def open_store(kind: str, redis_url: str | None) -> Store:
    if kind == "redis":
        from presence_core.stores.redis import RedisStore
        assert redis_url is not None
        return RedisStore(redis_url)
    return MemoryStore()


# the server process ------------------------------------------------------------------------------


def reference_app(kind: str) -> Any:
    """What the HTTP stack alone costs: the heartbeat's answer from a bare Starlette route, and from a
    FastAPI route with the same body model and header, both doing no presence work."""
    from fastapi import FastAPI, Header
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from presence_adapters.http.app import TELEMETRY
    from presence_adapters.http.models import HeartbeatIn, HeartbeatOut

    answer = {"device": "api t", "rooms": [ROOM], "next_heartbeat_ms": 30_000}
    if kind == "starlette":
        async def bare(request: Request) -> JSONResponse:
            await request.body()
            return JSONResponse(answer)
        return Starlette(routes=[Route("/v1/heartbeat", bare, methods=["POST"])])
    app = FastAPI(telemetry=TELEMETRY)  # type: ignore[arg-type]

    @app.post("/v1/heartbeat", response_model=HeartbeatOut)
    async def heartbeat(body: HeartbeatIn, authorization: str = Header()) -> dict[str, Any]:
        return answer
    return app


async def serve(kind: str, redis_url: str | None, tokens: int, token_file: Path) -> None:
    """Make the tokens, write them down, serve until stdin closes."""
    async with PresenceService(open_store(kind, redis_url), Policy()) as presence:
        made: list[str] = []
        for start in range(0, tokens, 500):
            made += await asyncio.gather(*(presence.create_token(f"bench:{i}", "t")
                                           for i in range(start, min(start + 500, tokens))))
        token_file.write_text("\n".join(made))
        app = reference_app(kind) if kind in ("starlette", "fastapi") else create_app(presence)
        async with Served(app, "127.0.0.1", 0) as served:
            print(f"ready {served.port}", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int
    tokens: list[str]

    @classmethod
    def start(cls, kind: str, redis_url: str | None, tokens: int, folder: Path) -> Server:
        token_file = folder / f"tokens-{time.monotonic_ns()}"
        args = [sys.executable, "-m", "bench.bench_http", "--serve", kind, "--tokens", str(tokens),
                "--token-file", str(token_file), *(["--redis-url", redis_url] if redis_url else [])]
        process = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert process.stdout is not None
        line = process.stdout.readline().split()
        if not line or line[0] != "ready":
            process.kill()
            raise RuntimeError("the bench server did not start")
        return cls(process, int(line[1]), token_file.read_text().split("\n"))

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(30)


# heartbeats over HTTP ----------------------------------------------------------------------------


def heartbeat_request(token: str, body: bytes) -> bytes:
    return (f"POST /v1/heartbeat HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def hammer(port: int, tokens: Sequence[str], connections: int, body: bytes,
                 until: float | None = None) -> tuple[int, float, dict[int, int]]:
    """Each token once, over ``connections`` keep-alive sockets, stopping at ``until`` (monotonic)."""
    queue = iter(tokens)
    statuses: dict[int, int] = {}
    done = 0

    async def connection() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for token in queue:
            if until is not None and time.monotonic() >= until:
                break
            writer.write(heartbeat_request(token, body))
            status = await read_response(reader)
            statuses[status] = statuses.get(status, 0) + 1
            done += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return done, time.perf_counter() - started, statuses


async def next_window() -> float:
    """Sleep into the next 5-second window of the server's clock; returns when that window ends (monotonic)."""
    now = time.time()
    start = (now // WINDOW_S + 1) * WINDOW_S + 0.05
    await asyncio.sleep(start - now)
    return time.monotonic() + WINDOW_S - 0.15


async def http_heartbeats(server: Server, connections: int) -> tuple[float, dict[int, int]]:
    body = json.dumps({"channel_id": ROOM}).encode()
    await hammer(server.port, server.tokens, connections, body)  # each token joins the room
    until = await next_window()
    done, seconds, statuses = await hammer(server.port, server.tokens, connections, body, until)
    return done / seconds, statuses


async def in_process(kind: str, redis_url: str | None, senders: int, count: int) -> dict[str, float]:
    """The same service without HTTP: record_activity, and the room heartbeat the endpoint makes."""
    rates: dict[str, float] = {}
    for what in ("record_activity", "room_heartbeat"):
        store = open_store(kind, redis_url)
        async with PresenceService(store, Policy()) as presence:
            users = [f"bench:{i}" for i in range(count)]
            if what == "room_heartbeat":
                for start in range(0, count, 500):
                    await asyncio.gather(*(presence.room_heartbeat(u, device_id(u, "t"), ROOM)
                                           for u in users[start:start + 500]))
            work = iter(users)

            async def sender() -> None:
                for user in work:
                    if what == "record_activity":
                        await presence.record_activity(user, {"channel_id": ROOM})
                    else:
                        await presence.room_heartbeat(user, device_id(user, "t"), ROOM)

            started = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(senders)))
            await presence.flush()
            rates[what] = count / (time.perf_counter() - started)
    return rates


# one room, many feeds ----------------------------------------------------------------------------


async def open_feed(port: int, room: str, token: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket handshake by hand: the bench then reads raw bytes, so that measuring 1,000 feeds in one
    process costs a read per message and not a WebSocket library's frame parsing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /v1/rooms/{room}/feed HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Sec-WebSocket-Protocol: presence.v1, bearer.{token}\r\n\r\n").encode())
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"feed refused: {head[:80]!r}")
    return reader, writer


async def feed_room(server: Server, feeds: int, samples: int, movers: int) -> dict[str, float]:
    watchers, moving = server.tokens[:feeds], server.tokens[feeds:feeds + movers]
    arrivals: dict[int, list[float]] = {}
    marker = b'"location":{"n":'

    async def watch(token: str, ready: asyncio.Event) -> None:
        reader, writer = await open_feed(server.port, FEED_ROOM, token)
        await reader.readuntil(b"presence_state")
        ready.set()
        tail = b""
        while data := await reader.read(1 << 16):
            at = time.perf_counter()
            data = tail + data
            found = data.find(marker)
            while found >= 0:
                end = data.find(b"}", found)
                if end < 0:
                    break
                arrivals.setdefault(int(data[found + len(marker):end]), []).append(at)
                found = data.find(marker, end)
            tail = data[-64:]
        writer.close()

    rss_before = server.rss_kib()
    tasks: list[asyncio.Task[None]] = []
    for start in range(0, feeds, 50):
        batch = [asyncio.Event() for _ in watchers[start:start + 50]]
        tasks += [asyncio.create_task(watch(t, e)) for t, e in zip(watchers[start:start + 50], batch)]
        await asyncio.gather(*(e.wait() for e in batch))
    await asyncio.sleep(3)  # the joins of the last feeds reach everyone
    rss_after = server.rss_kib()

    latencies: list[float] = []
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    interval = WINDOW_S / movers + 0.005
    for n in range(samples):
        body = json.dumps({"channel_id": FEED_ROOM, "location": {"n": n}}).encode()
        sent = time.perf_counter()
        writer.write(heartbeat_request(moving[n % movers], body))
        assert await read_response(reader) == 200
        deadline = time.perf_counter() + 10
        while len(arrivals.get(n, ())) < feeds and time.perf_counter() < deadline:
            await asyncio.sleep(0.001)
        got = arrivals.get(n, [])
        if len(got) < feeds:
            raise RuntimeError(f"heartbeat {n}: only {len(got)} of {feeds} feeds got its diff")
        latencies.append((max(got) - sent) * 1000)
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - sent)))
    writer.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies.sort()
    return {"p50_ms": statistics.median(latencies), "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)],
            "max_ms": latencies[-1], "rss_per_feed_kib": (rss_after - rss_before) / feeds,
            "rss_before_mib": rss_before / 1024, "rss_after_mib": rss_after / 1024}


# the report --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", default="memory,redis")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--feeds", type=int, default=1_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--token-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(serve(args.serve, args.redis_url, args.tokens, args.token_file))
        return
    print("\n".join(asyncio.run(run(args, argv))))


async def run(args: argparse.Namespace, argv: Sequence[str] | None) -> list[str]:
    from tests.support.redis_server import RedisServer, binaries

    rows, notes = [], []
    ceilings: dict[str, float] = {}
    redis = RedisServer() if "redis" in args.stores and binaries() is not None else None
    try:
        with tempfile.TemporaryDirectory(prefix="presence-bench-http-") as folder:
            for kind in args.stores.split(","):
                if kind == "redis" and redis is None:
                    notes.append("redis: skipped (redis-server is not installed)")
                    continue
                url = redis.url if redis and kind == "redis" else None
                if redis:
                    redis.flush()
                base = await in_process(kind, url, args.connections, args.tokens)
                if redis:
                    redis.flush()
                server = Server.start(kind, url, args.tokens, Path(folder))
                try:
                    rate, statuses = await http_heartbeats(server, args.connections)
                finally:
                    server.stop()
                rows.append((kind, rate, base, statuses))
                print(f"{kind}: HTTP {rate:,.0f}/s, in-process {base}", file=sys.stderr)
            for kind in ("starlette", "fastapi"):
                server = Server.start(kind, None, args.tokens, Path(folder))
                try:
                    ceilings[kind], _ = await http_heartbeats(server, args.connections)
                finally:
                    server.stop()
                print(f"{kind}: {ceilings[kind]:,.0f}/s", file=sys.stderr)
            server = Server.start("memory", None, args.feeds + 60, Path(folder))
            try:
                feed = await feed_room(server, args.feeds, args.samples, 60)
            finally:
                server.stop()
    finally:
        if redis:
            redis.stop()
    redis_version = ""
    if redis is not None:
        redis_version = " ".join(subprocess.run(["redis-server", "--version"], capture_output=True,
                                                text=True).stdout.split()[:3])
    return report(args, argv, rows, ceilings, feed, notes, redis_version)


def report(args: argparse.Namespace, argv: Sequence[str] | None, rows: list[tuple[str, float, dict[str, float],
           dict[int, int]]], ceilings: dict[str, float], feed: dict[str, float], notes: list[str],
           redis_version: str) -> list[str]:
    lines = [
        "# HTTP API benchmark: heartbeats over HTTP, and one room of live feeds",
        "",
        f"- command: `python -m bench.bench_http {shlex.join(argv if argv is not None else sys.argv[1:])}`",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}; Python {platform.python_version()}; "
        "server and load generator share the CPUs with whatever else runs (load average at the end: "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())})" + (f"; {redis_version} on loopback" if redis_version else ""),
        *(f"- {note}" for note in notes),
        "",
        "## Heartbeats per second",
        "",
        f"{args.connections} keep-alive connections (HTTP) or {args.connections} concurrent callers (in-process), "
        f"{args.tokens:,} people each with one token, steady state in one app room.",
        "",
        "| store | HTTP heartbeats/s | in-process `record_activity`/s | HTTP ÷ `record_activity` | "
        "in-process `room_heartbeat`/s | HTTP ÷ `room_heartbeat` | HTTP ÷ bare FastAPI route | HTTP statuses |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for kind, rate, base, statuses in rows:
        lines.append(f"| {kind} | {rate:,.0f} | {base['record_activity']:,.0f} | {rate / base['record_activity']:.2f} | "
                     f"{base['room_heartbeat']:,.0f} | {rate / base['room_heartbeat']:.2f} | "
                     f"{rate / ceilings['fastapi']:.2f} | {', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))} |")
    lines += [
        "",
        "The HTTP stack alone, same server setup and load, answering the heartbeat's JSON without any presence "
        f"work: a bare Starlette route {ceilings['starlette']:,.0f}/s, a FastAPI route with the same body model "
        f"and `Authorization` header {ceilings['fastapi']:,.0f}/s.",
    ]
    lines += [
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
    if args.output:
        args.output.write_text("\n".join(lines) + "\n")
    return lines


if __name__ == "__main__":
    main()
