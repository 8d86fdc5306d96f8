"""Cost of one rate-limit check on the memory store as live counters pile up (issue 17, item 8).

    python -m bench.bench_hits [--counters 1000 10000 100000] [--checks 20000] [--rounds 5]
                               [--output bench/RESULTS-hits.md]

Before each measurement the store holds N counters of other people in the current window (a busy
bot: one per person who ran a command this minute); then one person's checks are timed. The
baseline is the smallest N of the same run: a check that costs the same at every N is O(1).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import platform
import statistics
import time

from presence_core.policy import MINUTE_MS
from presence_core.stores.memory import MemoryStore

T0 = 1_790_000_000_000 - 1_790_000_000_000 % MINUTE_MS


async def per_check_us(counters: int, checks: int) -> float:
    store = MemoryStore()
    for i in range(counters):
        await store.hit(f"cmd:user:{i}", MINUTE_MS, T0)
    started = time.perf_counter()
    for i in range(checks):
        await store.hit("cmd:user:me", MINUTE_MS, T0 + i % MINUTE_MS)
    return (time.perf_counter() - started) / checks * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counters", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--checks", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--output")
    args = parser.parse_args()
    medians = {n: statistics.median([await per_check_us(n, args.checks) for _ in range(args.rounds)])
               for n in args.counters}
    base = medians[min(medians)]
    lines = [
        "# Rate-limit check on the memory store, by live counters",
        "",
        f"- command: `python -m bench.bench_hits --rounds {args.rounds}`",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}; "
        f"Python {platform.python_version()}",
        f"- median of {args.rounds} rounds of {args.checks} checks",
        "",
        "| live counters | µs per check | vs smallest |",
        "|--:|--:|--:|",
        *(f"| {n:,} | {us:.2f} | {us / base:.2f} |" for n, us in medians.items()),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)


if __name__ == "__main__":
    asyncio.run(main())
