"""Availability benchmarks (issue 14), on a throwaway redis-server on loopback started here.

    python -m bench.bench_availability [--calls 500] [--output bench/RESULTS-availability.md]

reads   ``get_available`` and ``pick`` in a channel of 10k people of whom 500 have a capacity:
        client-side p50/p99, p99 of the client's CPU time, and Redis time per call (INFO
        commandstats), against ``who`` in the same channel and against the way they read the desk
        before desk cards (``desk_baseline``), all measured in the same run, in turns of 50 calls so
        that a busy moment of the machine falls on all of them alike; and the same calls in a channel
        of 1k people with the same 500, to show the cost follows the desk, not the channel. Then
        where a call's time goes, step by step, and how often Python's garbage collector runs per
        100 calls (the old way's full collections were part of its p99).
atomic  many picks of one person at once from 4 clients: the LOAD script against the
        compare-and-set loop (load, settle, save) it replaces, both real code of the store.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import os
import platform
import time
from collections.abc import Awaitable, Callable

from bench.bench_stores import cpu_model
from bench.desk_baseline import OldDesk
from presence_core import availability
from presence_core.errors import ConcurrentUpdateError
from presence_core.models import Activity, LoadChange
from presence_core.policy import Policy
from presence_core.service import PresenceService
from presence_core.stores import load_cas
from presence_core.stores.redis import RedisStore
from tests.support.redis_server import RedisServer

POLICY = Policy()
TURN = 50  # calls of one kind in a row


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def redis_usec(store: RedisStore) -> float:
    """Redis time spent so far on every command but the bench's own INFO."""
    stats = await store.client.info("commandstats")
    return sum(v["usec"] for k, v in stats.items() if k.startswith("cmdstat_") and k != "cmdstat_info")


async def timed(store: RedisStore, calls: int,
                kinds: dict[str, Callable[[], Awaitable[object]]]) -> dict[str, tuple[float, float, float, float]]:
    """Per kind of call: p50 and p99 ms on the client's clock, p99 ms of this process's CPU time (a
    wall-clock p99 far above it is time spent waiting for a CPU, not work), and Redis µs per call; the
    kinds take turns, each on a freshly collected heap (Python's garbage collector runs whenever
    allocations pile up)."""
    for call in kinds.values():
        for _ in range(20):
            await call()
    spent: dict[str, list[float]] = {name: [] for name in kinds}
    cpu: dict[str, list[float]] = {name: [] for name in kinds}
    server = dict.fromkeys(kinds, 0.0)
    for _ in range(max(1, calls // TURN)):
        for name, call in kinds.items():
            gc.collect()  # one kind's garbage is not collected during another's turn
            before = await redis_usec(store)
            for _ in range(TURN):
                started, on_cpu = time.perf_counter(), time.process_time()
                await call()
                spent[name].append((time.perf_counter() - started) * 1000)
                cpu[name].append((time.process_time() - on_cpu) * 1000)
            server[name] += await redis_usec(store) - before
    return {name: (pct(ms, 0.5), pct(ms, 0.99), pct(cpu[name], 0.99), server[name] / len(ms))
            for name, ms in spent.items()}


async def populate(service: PresenceService, channel: str, people: int, desk: int) -> None:
    now = service.clock()
    batch = [Activity(f"bench:{i}", f"bench:{i}", "bench", "message", now - i, channel, f"p{i}") for i in range(people)]
    for start in range(0, people, 500):
        await service.store.record(batch[start:start + 500], POLICY)
    for i in range(desk):
        user = f"bench:{i * (people // desk)}"
        await service.set_capacity(user, 100 if i % 10 else 5)
        await service.set_skills(user, ["billing"] if i % 3 == 0 else ["sales"])


async def steps(store: RedisStore, calls: int, kinds: dict[str, Callable[[], Awaitable[object]]]) -> list[str]:
    """Rows "| step | p50 ms | Redis µs |" for each step timed alone."""
    found = await timed(store, calls, kinds)
    return [f"| {name} | {p50:.2f} | {usec:.0f} |" for name, (p50, _, _, usec) in found.items()]


async def collections(call: Callable[[], Awaitable[object]], calls: int = 100) -> str:
    """Garbage collections (generation 0, 1, 2) during ``calls`` calls."""
    gc.collect()
    before = [g["collections"] for g in gc.get_stats()]
    for _ in range(calls):
        await call()
    return " / ".join(str(g["collections"] - b) for g, b in zip(gc.get_stats(), before))


async def breakdown(service: PresenceService, store: RedisStore, old: OldDesk, channel: str,
                    calls: int) -> list[str]:
    """Each step of the old way and of the store's way, timed alone; collections per 100 calls."""
    flat = await old.read(channel)
    people = old.decode(flat)
    visible = await old.visible(channel, people)
    now = service.clock()
    since = now - service.policy.membership_ttl_ms
    desk = await store.desk_view(channel, since, now)
    accounts = [u.user_id for u in desk.available]
    rows = await steps(store, calls, {
        "old: the script reading every desk member": lambda: old.read(channel),
        "old: a record per person, in Python": lambda: asyncio.sleep(0, old.decode(flat)),
        "old: visibility (`in_channel`)": lambda: old.visible(channel, people),
        "old: available now, skill, pick order": lambda: asyncio.sleep(0, old.choose(people, visible)),
        "cards: listing and cards (`desk_view`)": lambda: store.desk_view(channel, since, now),
        "cards: visibility (`in_channel`)": lambda: service.visibility.in_channel(None, channel, accounts,
                                                                                  members=accounts),
        "cards: pick order": lambda: asyncio.sleep(0, sorted(desk.available, key=availability.pick_order)),
    })
    rows += ["", "| call | garbage collections per 100 calls (generation 0 / 1 / 2) |", "|---|---|",
             f"| get_available, old way | {await collections(lambda: old.get_available(channel))} |",
             f"| get_available | {await collections(lambda: service.get_available(channel))} |"]
    return rows


async def reads(server: RedisServer, calls: int) -> tuple[list[str], list[str]]:
    rows: list[str] = []
    details: list[str] = []
    for people in (10_000, 1_000):
        server.flush()
        store = RedisStore(server.url)
        service = PresenceService(store, POLICY)
        await service.start()
        channel = f"bench:room{people}"
        await populate(service, channel, people, 500)
        old = OldDesk(service)
        found = await timed(store, calls, {
            "who (best 50 + count)": lambda: service.get_channel_presence(channel),
            "get_available, old way": lambda: old.get_available(channel),
            "get_available": lambda: service.get_available(channel),
            "get_available billing, old way": lambda: old.get_available(channel, "billing"),
            "get_available billing": lambda: service.get_available(channel, "billing"),
            "pick, old way": lambda: old.pick(channel),
            "pick": lambda: service.pick(channel),
        })
        assert await service.get_available(channel) == await old.get_available(channel)
        if not details:
            details = await breakdown(service, store, old, channel, calls)
        await service.close()
        who = found["who (best 50 + count)"][0]
        for name, (p50, p99, cpu99, usec) in found.items():
            old = found.get(f"{name}, old way")
            versus_old = "" if old is None else f"{p50 / old[0]:.2f}x / {p99 / old[1]:.2f}x"
            rows.append(f"| {people:,} | {name} | {p50:.2f} | {p99:.2f} | {cpu99:.2f} | {usec:.0f} | {p50 / who:.2f}x "
                        f"| {versus_old} |")
    return rows, details


async def atomic(server: RedisServer, picks: int) -> list[str]:
    rows = []
    for name in ("LOAD script", "compare-and-set loop"):
        server.flush()
        stores = [RedisStore(server.url) for _ in range(4)]
        service = PresenceService(stores[0], POLICY)
        await service.start()
        for s in stores[1:]:
            await s.start()
        await service.record_activity("bench:agent", {"channel_id": "bench:room"})
        await service.set_capacity("bench:agent", 100)
        change = LoadChange(1, pick=True)
        failed = 0

        async def one(store: RedisStore) -> None:
            nonlocal failed
            now = service.clock()
            try:
                if name == "LOAD script":
                    await store.change_load("bench:agent", change, now, POLICY)
                else:
                    await load_cas.change_load(store, "bench:agent", change, now, POLICY)
            except ConcurrentUpdateError:
                failed += 1
        before = await redis_usec(stores[0])
        started = time.perf_counter()
        await asyncio.gather(*(one(stores[i % 4]) for i in range(picks)))
        wall = time.perf_counter() - started
        server_us = (await redis_usec(stores[0]) - before) / picks
        load = (await service.get_availability("bench:agent")).load
        for s in stores[1:]:
            await s.close()
        await service.close()
        rows.append(f"| {name} | {picks} | {load} | {failed} | {picks / wall:,.0f} | {server_us:.0f} |")
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--output", default="bench/RESULTS-availability.md")
    args = parser.parse_args()
    server = RedisServer()
    try:
        read_rows, details = await reads(server, args.calls)
        atomic_rows = await atomic(server, 100)
    finally:
        server.stop()
    version = os.popen("redis-server --version").read().split()[2]
    lines = [
        "# Availability benchmarks (issue 14)", "",
        f"- command: `python -m bench.bench_availability --calls {args.calls}`",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} CPUs, {cpu_model()} ({platform.machine()}); Python "
        f"{platform.python_version()}; Redis {version} on loopback, no persistence; Redis and Python share the CPUs",
        f"- load average when it started: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", "",
        "## get_available and pick: one call at a time",
        "500 people with a capacity (450 of 100, 50 of 5; a third with skill billing), all online; "
        f"{args.calls} calls each, in turns of {TURN}. Ratios: p50 against `who` in the same channel, and "
        "p50 / p99 against the old way (one script reading every desk member's hash, records built in Python), "
        "same run. p99 CPU ms: this process's CPU time per call (Redis runs in another process).", "",
        "| people in channel | call | p50 ms | p99 ms | p99 CPU ms | Redis µs/call | p50 vs who "
        "| p50 / p99 vs old way |",
        "|--:|---|--:|--:|--:|--:|--:|--:|",
        *read_rows, "",
        "## Where the time goes: 10,000 in the channel, 500 on the desk, each step alone", "",
        "| step | p50 ms | Redis µs/call |", "|---|--:|--:|",
        *details, "",
        "## Atomic picks of one person: 100 at once from 4 clients", "",
        "| way | picks | load after | failed | picks/s | Redis µs/pick |", "|---|--:|--:|--:|--:|--:|",
        *atomic_rows, "",
    ]
    with open(args.output, "w", encoding="utf-8") as out:
        out.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
