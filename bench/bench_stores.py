"""Messages per second through ``PresenceService.record_activity``, one process, per store backend.

    python bench/bench_stores.py [--senders 100] [--messages 200] [--sequential 2000] [--rounds 3]
                                 [--output bench/RESULTS-stores.md]

"concurrent": every sender is one person in one of ten channels sending its messages one after
another, all senders at once, as a busy bot sees them; concurrent messages reach the store in
batches. "sequential": one sender, so every message is a store call (and a commit) of its own.
Redis runs too when its store exists and redis-server is installed (a throwaway server on loopback).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import importlib.util
import os
import platform
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Runnable as ``python bench/bench_stores.py`` from the repository root, which holds tests.support.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from presence_core.models import Activity, Transition  # noqa: E402
from presence_core.policy import Policy  # noqa: E402
from presence_core.service import PresenceService  # noqa: E402
from presence_core.stores.base import Store  # noqa: E402
from presence_core.stores.memory import MemoryStore  # noqa: E402
from presence_core.stores.sqlite import SqliteStore  # noqa: E402

StoreFactory = Callable[[int], Store]


@dataclass(frozen=True)
class Result:
    store: str
    scenario: str
    messages: int
    seconds: float
    batches: int

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


class CountingStore:
    """Counts the store calls of the hot path, to show how far concurrent messages were batched."""

    def __init__(self, store: Store) -> None:
        self.batches = 0
        self._record = store.record
        store.record = self.record  # type: ignore[method-assign]

    async def record(self, batch: Sequence[Activity], policy: Policy, *, token: str | None = None) -> list[Transition]:
        self.batches += 1
        return await self._record(batch, policy, token=token)


async def run_once(store: Store, senders: int, messages: int) -> tuple[float, int]:
    counter = CountingStore(store)

    async def sender(n: int) -> None:
        user, channel = f"bench:{n}", f"bench:room{n % 10}"
        for _ in range(messages):
            await presence.record_activity(user, {"type": "message", "channel_id": channel})

    async with PresenceService(store, Policy()) as presence:
        start = time.perf_counter()
        await asyncio.gather(*(sender(n) for n in range(senders)))
        await presence.flush()
        elapsed = time.perf_counter() - start
    return elapsed, counter.batches


def measure(name: str, make: StoreFactory, scenario: str, senders: int, messages: int, rounds: int) -> Result:
    """The median of ``rounds`` runs, each on a fresh store."""
    runs = [asyncio.run(run_once(make(i), senders, messages)) for i in range(rounds)]
    seconds, batches = sorted(runs)[len(runs) // 2]
    return Result(name, scenario, senders * messages, seconds, batches)


@contextmanager
def backends(workdir: Path) -> Iterator[tuple[dict[str, StoreFactory], str]]:
    """The stores to compare, and a note on what was left out."""
    stores: dict[str, StoreFactory] = {
        "memory": lambda _: MemoryStore(),
        "sqlite": lambda i: SqliteStore(workdir / f"bench-{time.monotonic_ns()}-{i}.sqlite3"),
    }
    if importlib.util.find_spec("presence_core.stores.redis") is None:
        yield stores, "redis: skipped (presence_core/stores/redis.py does not exist yet)"
        return
    from presence_core.stores.redis import RedisStore
    from tests.support.redis_server import RedisServer, binaries
    if binaries() is None:
        yield stores, "redis: skipped (redis-server is not installed)"
        return
    server = RedisServer()
    try:
        def fresh_redis(_: int) -> Store:
            server.command("FLUSHALL")
            return RedisStore(server.url)
        stores["redis"] = fresh_redis
        version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()
        yield stores, f"redis: a local redis-server ({' '.join(version[:3])}) on loopback, no persistence"
    finally:
        server.stop()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def table(results: list[Result]) -> list[str]:
    memory = {r.scenario: r.rate for r in results if r.store == "memory"}
    lines = ["| scenario | store | messages | seconds | messages/s | vs memory | store calls | messages per call |",
             "|---|---|--:|--:|--:|--:|--:|--:|"]
    for r in results:
        lines.append(f"| {r.scenario} | {r.store} | {r.messages} | {r.seconds:.3f} | {r.rate:,.0f} | "
                     f"{r.rate / memory[r.scenario]:.2f} | {r.batches} | {r.messages / r.batches:.1f} |")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--senders", type=int, default=100)
    parser.add_argument("--messages", type=int, default=200, help="per sender")
    parser.add_argument("--sequential", type=int, default=2000, help="messages of the one-sender run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, help="write the results as markdown here")
    args = parser.parse_args(argv)
    scenarios = [(f"concurrent {args.senders}x{args.messages}", args.senders, args.messages),
                 (f"sequential 1x{args.sequential}", 1, args.sequential)]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="presence-bench-") as tmp, backends(Path(tmp)) as (stores, note):
        for scenario, senders, messages in scenarios:
            for name, make in stores.items():
                results.append(measure(name, make, scenario, senders, messages, args.rounds))
                print(f"{scenario:>24}  {name:<7} {results[-1].rate:>10,.0f} messages/s", file=sys.stderr)
    report = [
        "# Store benchmark: messages/s through `record_activity`, one process",
        "",
        f"- command: `python bench/bench_stores.py {shlex.join(argv if argv is not None else sys.argv[1:])}`",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}; Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}",
        f"- each figure is the median of {args.rounds} runs on a fresh store; sqlite: a file in a temporary "
        "directory, WAL, synchronous=NORMAL; " + note,
        "",
        *table(results),
    ]
    print("\n".join(report))
    if args.output:
        args.output.write_text("\n".join(report) + "\n")


if __name__ == "__main__":
    main()
