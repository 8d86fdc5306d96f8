"""One room of live feeds for bench/bench_http.py: the time from a heartbeat to the last feed's diff,
and the server's memory per open feed."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import statistics
import time

from bench.http_load import ServerProcess, heartbeat_request, read_response

FEED_ROOM = "app:bench-feed"
WINDOW_S = 5.0


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


async def feed_room(server: ServerProcess, feeds: int, samples: int, movers: int) -> dict[str, float]:
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
