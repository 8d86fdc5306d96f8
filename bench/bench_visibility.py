"""What the visibility rule (SPEC section 7) costs a read, and that its answer takes as long either way.

    python -m bench.bench_visibility [--calls 2000] [--rounds 5] [--output bench/RESULTS-visibility.md]

For each store (memory; SQLite on a temporary file; Redis on a throwaway local redis-server), 200
people are seen in 20 channels (bob in one of them). Timed, per call, median of ``--rounds``:

- ``trusted``: ``get_status(alice)`` without a viewer, the baseline (what every read cost before);
- ``visible``: ``get_status(alice, viewer_id=bob, channel_id=room)``, alice seen in the room;
- ``unseen``: the same for carol, seen only elsewhere, and for zed, never seen: the same store
  work as ``visible``, so the times should match within noise (ratio ~1.00);
- ``direct``: the same from a direct chat (``channel_id`` None: any shared channel);
- ``100 at once``: ``get_statuses`` of 100 people with a viewer, against 100 trusted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from presence_core.policy import Policy
from presence_core.service import PresenceService
from presence_core.stores.base import Store
from presence_core.stores.memory import MemoryStore
from presence_core.stores.redis import RedisStore
from presence_core.stores.sqlite import SqliteStore
from tests.support.redis_server import RedisServer

PEOPLE = 200
CHANNELS = 20


async def seeded(store: Store) -> PresenceService:
    service = PresenceService(store, Policy())
    await service.start()
    for i in range(PEOPLE):
        await service.record_activity(f"test:p{i}", {"channel_id": f"test:c{i % CHANNELS}"}, username=f"p{i}")
    for who, channel in (("alice", "room"), ("bob", "room"), ("carol", "secret")):
        await service.record_activity(f"test:{who}", {"channel_id": f"test:{channel}"}, username=who)
    await service.flush()
    return service


async def per_call_us(calls: int, read: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        await read()
    return (time.perf_counter() - started) / calls * 1e6


def scenarios(service: PresenceService) -> dict[str, Callable[[], Awaitable[object]]]:
    hundred = [f"test:p{i}" for i in range(100)]
    return {
        "trusted": lambda: service.get_status("test:alice"),
        "visible": lambda: service.get_status("test:alice", viewer_id="test:bob", channel_id="test:room"),
        "unseen (elsewhere)": lambda: service.get_status("test:carol", viewer_id="test:bob", channel_id="test:room"),
        "unseen (never)": lambda: service.get_status("test:zed", viewer_id="test:bob", channel_id="test:room"),
        "direct": lambda: service.get_status("test:alice", viewer_id="test:bob"),
        "100 trusted": lambda: service.get_statuses(hundred),
        "100 with a viewer": lambda: service.get_statuses(hundred, viewer_id="test:bob", channel_id="test:c1"),
    }


async def measure(store: Store, calls: int, rounds: int) -> dict[str, float]:
    service = await seeded(store)
    try:
        reads = scenarios(service)
        samples: dict[str, list[float]] = {name: [] for name in reads}
        for _ in range(rounds):
            for name, read in reads.items():
                n = calls // 20 if name.startswith("100") else calls
                samples[name].append(await per_call_us(n, read))
        return {name: statistics.median(values) for name, values in samples.items()}
    finally:
        await service.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    results["memory"] = await measure(MemoryStore(), args.calls, args.rounds)
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = await measure(SqliteStore(Path(folder) / "bench.sqlite3"), args.calls, args.rounds)
    server = RedisServer()
    try:
        results["redis"] = await measure(RedisStore(server.url), args.calls, args.rounds)
    finally:
        server.stop()
    lines = [
        "# Visibility benchmark: the cost of the rule on a read, and equal work either way",
        "",
        f"- command: `python -m bench.bench_visibility --calls {args.calls} --rounds {args.rounds}`",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} CPUs; Python {platform.python_version()}; {PEOPLE} people in {CHANNELS} channels",
        "- µs per call, median of the rounds; ratios against `trusted` of the same store and run",
        "",
        "| read | " + " | ".join(f"{s} µs | {s} ratio" for s in results) + " |",
        "|---|" + "--:|--:|" * len(results),
    ]
    for name in next(iter(results.values())):
        base = "100 trusted" if name.startswith("100") else "trusted"
        cells = " | ".join(f"{r[name]:,.0f} | {r[name] / r[base]:.2f}" for r in results.values())
        lines.append(f"| {name} | {cells} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text)


if __name__ == "__main__":
    asyncio.run(main())
