"""Redis store benchmarks (issues 3 and 15), on a throwaway redis-server on loopback started here.

    python bench/bench_redis.py [--senders 256] [--messages 200] [--people 100000] [--rounds 3]
                                [--only throughput,events,latency,memory,reads] [--output bench/RESULTS-redis.md]

throughput  messages/s, one process, ``--senders`` people each sending ``--messages`` one after
            another, each awaiting its own call, all at once: the whole path (Session ->
            PresenceBot.handle -> service -> store -> Redis), the service (record_activity), the
            store alone (record of 500-message batches), and the seed design: five awaited commands
            per message (HSET heartbeat_time, HSET last_active_time, EXPIRE, ZADD, EXPIRE), same
            senders, same client settings. The rows run in turns, ``--rounds`` times; medians.
events      what the event streams cost on the hot path: Redis CPU per message of record batches
            whose every message is a status transition (first messages), against batches of the
            same people's next messages (no transition).
latency     what batching adds at low load: record_activity one message every 2 ms, against one
            store.record call per message.
memory      INFO used_memory delta per tracked person at ``--people`` people, against the seed layout
            (status HASH + session-count STRING + ZSET member, with their TTLs), and where the bytes go.
reads       ``who`` (best 50 and the count of the rest) in a channel of 10k recently active people,
            and get_statuses for 100 people: client-side p50/p99 and Redis time per call.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

# Runnable as ``python bench/bench_redis.py`` from the repository root, which holds tests.support.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from presence_bot.app import PresenceBot  # noqa: E402
from presence_bot.session import Session  # noqa: E402
from presence_core.models import Activity  # noqa: E402
from presence_core.policy import Policy  # noqa: E402
from presence_core.recorder import WRITERS  # noqa: E402
from presence_core.service import PresenceService  # noqa: E402
from presence_core.stores.redis import RedisStore, hash_tag  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402

POLICY = Policy()
SEED_TTL_S = 1800
NAMES = {"whole": "whole path: Session -> bot -> service -> Redis", "service": "service: record_activity",
         "store": "store: record, batches of 500", "seed": "seed design: 5 awaited commands per message"}


class NullOutbox:
    async def send(self, session: Session, reply: Any) -> None:
        return None


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def redis_cpu(client: Any) -> float:
    """Seconds of CPU the Redis server used so far (immune to waiting for a CPU, unlike latency)."""
    info = await client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def fresh_service(server: RedisServer) -> PresenceService:
    server.flush()
    service = PresenceService(RedisStore(server.url), POLICY)
    await service.start()
    return service


class Meter:
    """Messages/s of a run, and the CPU this process and the Redis server spent on it (µs per message)."""

    def __init__(self, server: RedisServer) -> None:
        self.server = server
        self.rate = self.python_us = self.redis_us = 0.0

    async def _redis_cpu(self) -> float:
        client = seed_client(self.server, 1)
        try:
            return await redis_cpu(client)
        finally:
            await client.aclose()

    async def run(self, messages: int, work: Callable[[], Awaitable[object]]) -> None:
        redis_before, cpu, started = await self._redis_cpu(), time.process_time(), time.perf_counter()
        await work()
        elapsed, python = time.perf_counter() - started, time.process_time() - cpu
        self.rate = messages / elapsed
        self.python_us, self.redis_us = python / messages * 1e6, (await self._redis_cpu() - redis_before) / messages * 1e6


async def concurrently(meter: Meter, senders: int, messages: int, send: Callable[[int, int], Awaitable[object]]) -> None:
    """Every sender sending its messages one after another, all at once."""
    async def sender(n: int) -> None:
        for j in range(messages):
            await send(n, j)

    async def everyone() -> None:
        await asyncio.gather(*(sender(n) for n in range(senders)))
    await meter.run(senders * messages, everyone)


async def whole_path(meter: Meter, server: RedisServer, senders: int, messages: int) -> None:
    """Sessions are built beforehand: building them is the adapters' work, not this path's."""
    service = await fresh_service(server)
    bot, outbox, ts = PresenceBot(service), NullOutbox(), now_ms()
    sessions = [[Session(platform="console", self_id="bench", user_id=f"console:u{n}", user_name=f"User {n}",
                         channel_id=f"console:room{n % 10}", guild_id=None, is_direct=False, content="hello there",
                         message_id=None, timestamp=ts + j, locale=None, kind="message", outbox=outbox)
                 for j in range(messages)] for n in range(senders)]

    async def send(n: int, j: int) -> None:
        await bot.handle(sessions[n][j])
    try:
        await concurrently(meter, senders, messages, send)
    finally:
        await service.close()


async def service_only(meter: Meter, server: RedisServer, senders: int, messages: int) -> None:
    service = await fresh_service(server)

    async def send(n: int, j: int) -> None:
        await service.record_activity(f"console:u{n}", {"type": "message", "channel_id": f"console:room{n % 10}",
                                                         "timestamp": now_ms()})
    try:
        await concurrently(meter, senders, messages, send)
    finally:
        await service.close()


def batches_of(people: Sequence[str], total: int, ts: int, size: int = 500) -> list[list[Activity]]:
    return [[Activity(people[n % len(people)], people[n % len(people)], "console", "message", ts + n,
                      f"console:room{n % 10}") for n in range(i, min(total, i + size))]
            for i in range(0, total, size)]


async def store_only(meter: Meter, server: RedisServer, senders: int, messages: int) -> None:
    """Batches of 500 straight to the store."""
    server.flush()
    store = RedisStore(server.url)
    await store.start()
    total = senders * messages
    batches = batches_of([f"console:u{n}" for n in range(senders)], total, now_ms())

    async def all_batches() -> None:
        for batch in batches:
            await store.record(batch, POLICY)
    await meter.run(total, all_batches)
    await store.close()


def seed_client(server: RedisServer, connections: int = 100) -> Any:
    """The same client settings as the store's (hiredis, no per-reply timeout), with a connection per sender."""
    return aioredis.Redis.from_pool(aioredis.BlockingConnectionPool.from_url(
        server.url, socket_timeout=None, max_connections=connections, timeout=None))


async def seed_design(meter: Meter, server: RedisServer, senders: int, messages: int) -> None:
    """The seed's heartbeat: five commands, each its own awaited round trip."""
    server.flush()
    client = seed_client(server, senders)

    async def send(n: int, j: int) -> None:
        user, ts = f"console:u{n}", now_ms()
        await client.hset(f"presence:status:{user}", "heartbeat_time", ts)
        await client.hset(f"presence:status:{user}", "last_active_time", ts)
        await client.expire(f"presence:status:{user}", SEED_TTL_S)
        await client.zadd("presence:online:bench", {user: ts})
        await client.expire("presence:online:bench", SEED_TTL_S)
    try:
        await concurrently(meter, senders, messages, send)
    finally:
        await client.aclose()


async def throughput(server: RedisServer, args: argparse.Namespace) -> dict[str, tuple[float, float, float]]:
    """Per path, the medians of messages/s, of Python CPU µs per message and of Redis CPU µs per
    message; the rows taken in turns. CPU time is what a path costs whatever else runs on the
    machine (wall time is not: other work competes for the same CPUs)."""
    benches = {"whole": whole_path, "service": service_only, "store": store_only, "seed": seed_design}
    runs: dict[str, list[tuple[float, float, float]]] = {key: [] for key in benches}
    for _ in range(args.rounds):
        for key, bench in benches.items():
            meter = Meter(server)
            await bench(meter, server, args.senders, args.messages)
            runs[key].append((meter.rate, meter.python_us, meter.redis_us))
    return {key: tuple(statistics.median(r[i] for r in rows) for i in range(3))  # type: ignore[misc]
            for key, rows in runs.items()}


async def events_cost(server: RedisServer, people: int = 20_000, rounds: int = 3) -> dict[str, float]:
    """Redis CPU µs per message: first messages (each a transition, appended to an event stream)
    against the same people's next messages (none)."""
    firsts, nexts = [], []
    for _ in range(rounds):
        server.flush()
        store = RedisStore(server.url)
        await store.start()
        ids, ts = [f"console:e{n}" for n in range(people)], now_ms()
        for samples, at in ((firsts, ts), (nexts, ts + 1)):
            cpu = await redis_cpu(store.client)
            for batch in batches_of(ids, people, at):
                await store.record(batch, POLICY)
            samples.append((await redis_cpu(store.client) - cpu) / people * 1e6)
        await store.close()
    first, later = statistics.median(firsts), statistics.median(nexts)
    return {"transition": first, "none": later, "per event": first - later}


async def latency(server: RedisServer, count: int = 1000, gap_s: float = 0.002) -> dict[str, float]:
    """Per-message latency at low load, through the batcher and as one store call, taken in turns."""
    service = await fresh_service(server)
    batched, direct = [], []
    try:
        for i in range(count):
            user = f"console:u{i % 50}"
            started = time.perf_counter()
            await service.record_activity(user, {"channel_id": "console:room", "timestamp": now_ms()})
            batched.append(time.perf_counter() - started)
            await asyncio.sleep(gap_s)
            activity = Activity(user, user, "console", "message", now_ms(), "console:room")
            started = time.perf_counter()
            await service.store.record([activity], POLICY)
            direct.append(time.perf_counter() - started)
            await asyncio.sleep(gap_s)
    finally:
        await service.close()
    return {"batched_p50": pct(batched, 0.5), "batched_p99": pct(batched, 0.99),
            "direct_p50": pct(direct, 0.5), "direct_p99": pct(direct, 0.99)}


async def used_memory(client: Any) -> int:
    return int((await client.info("memory"))["used_memory"])


async def memory(server: RedisServer, people: int) -> tuple[dict[str, float], dict[str, float]]:
    """Bytes per person for our layout in three shapes and for the seed layout, same server, same run;
    and where the bytes of one shape go (MEMORY USAGE of a sample of each kind of key)."""
    client = seed_client(server)
    ts = now_ms()
    parts: dict[str, float] = {}

    def user(n: int) -> str:
        return f"console:u{n}"

    async def ours(make: Callable[[int], Activity], explain: bool = False) -> float:
        server.flush()
        store = RedisStore(server.url)
        before = await used_memory(client)
        for i in range(0, people, 1000):
            await store.record([make(n) for n in range(i, min(people, i + 1000))], POLICY)
        after = await used_memory(client)
        if explain:
            parts.update(await breakdown(store, [user(n) for n in range(0, people, max(1, people // 200))], people))
        await store.close()
        return (after - before) / people

    async def seed() -> float:
        server.flush()
        before = await used_memory(client)
        for i in range(0, people, 1000):
            pipe = client.pipeline(transaction=False)
            for n in range(i, min(people, i + 1000)):
                pipe.hset(f"presence:status:{user(n)}", mapping={"status": "online", "heartbeat_time": ts,
                                                                  "last_active_time": ts})
                pipe.expire(f"presence:status:{user(n)}", SEED_TTL_S)
                pipe.set(f"presence:sessions:{user(n)}", 1, ex=SEED_TTL_S)
                pipe.zadd("presence:online:bench", {user(n): ts})
            await pipe.execute()
        return (await used_memory(client) - before) / people

    def sent(n: int, channel: str | None, kind: str = "message") -> Activity:
        return Activity(user(n), user(n), "console", kind, ts, channel, logged=kind == "message")
    try:
        return {
            "seed": await seed(),
            "presence state (heartbeats: no log, no channel)": await ours(lambda n: sent(n, None, "heartbeat")),
            "one message in a group of 100 (log, channel)": await ours(lambda n: sent(n, f"console:room{n // 100}"),
                                                                       explain=True),
            "one message, everyone in one channel": await ours(lambda n: sent(n, "console:everyone")),
        }, parts
    finally:
        await client.aclose()


async def breakdown(store: RedisStore, sample: Sequence[str], people: int) -> dict[str, float]:
    """Average MEMORY USAGE per person of each kind of key, per member of the shared sorted sets, and
    the event streams' bytes shared out over everyone (each person's first message was a transition)."""
    client, out = store.client, {}
    for key, name in ((store.keys.person, "person HASH (record, membership, log entry)"),
                      (store.keys.log, "activity log LIST (none until a 9th entry)")):
        sizes = [await client.memory_usage(key(person), samples=0) or 0 for person in sample]
        out[name] = sum(sizes) / len(sizes)
    for name, keys in (("due index member", {store.keys.due(hash_tag(p)) for p in sample}),
                       ("channel member (ZSET of 100)", {store.keys.channel("console:room0")})):
        usage = [(await client.memory_usage(k, samples=0) or 0, await client.zcard(k)) for k in keys]
        out[name] = sum(u for u, _ in usage) / max(1, sum(c for _, c in usage))
    streams = [await client.memory_usage(store.keys.events(tag), samples=0) or 0
               for tag in {hash_tag(f"console:u{n}") for n in range(people)}]
    out["event streams (a transition each, for 10 minutes)"] = sum(streams) / people
    return out


async def reads(server: RedisServer, members: int = 10_000, calls: int = 500) -> dict[str, float]:
    service = await fresh_service(server)
    store: RedisStore = service.store  # type: ignore[assignment]
    ts = now_ms()
    ids = [f"console:u{n}" for n in range(members)]
    try:
        for i in range(0, members, 1000):
            await store.record([Activity(u, u, "console", "message", ts - i - j, "console:big")
                                for j, u in enumerate(ids[i:i + 1000])], POLICY)
        await service.get_statuses(ids[:100])  # warm the alias cache, as a running bot has
        out: dict[str, float] = {}
        for name, call in (("who", lambda: service.get_channel_presence("console:big")),
                           ("get_statuses(100)", lambda: service.get_statuses(ids[:100]))):
            server.command("CONFIG", "RESETSTAT")
            times = []
            for _ in range(calls):
                started = time.perf_counter()
                result = await call()
                times.append(time.perf_counter() - started)
            stats = await store.client.info("commandstats")  # both reads are scripts on one Redis
            out[f"{name} p50"], out[f"{name} p99"] = pct(times, 0.5), pct(times, 0.99)
            out[f"{name} redis"] = stats["cmdstat_evalsha"]["usec"] / calls / 1e6
            if name == "who":
                assert len(result.users) == 50 and result.more == members - 50, result  # type: ignore[union-attr]
        return out
    finally:
        await service.close()


def cpu_model() -> str:
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def report_throughput(args: argparse.Namespace, found: dict[str, tuple[float, float, float]],
                      targets: list[tuple[str, str, bool]]) -> list[str]:
    rates = {key: rate for key, (rate, _, _) in found.items()}
    seed, seed_cpu = rates["seed"], found["seed"][1] + found["seed"][2]
    lines = ["## Throughput: messages recorded per second, one process",
             f"{args.senders} senders x {args.messages} messages, each sender awaiting its own call, all at once; "
             f"the rows in turns, median of {args.rounds}. CPU: µs per message of this Python process and of "
             "the Redis server.", "",
             "| path | messages/s | vs seed design | Python CPU | Redis CPU | CPU vs seed design |",
             "|---|--:|--:|--:|--:|--:|"]
    lines += [f"| {NAMES[key]} | {rate:,.0f} | {rate / seed:.1f}x | {py:.1f} | {rd:.1f} | {seed_cpu / (py + rd):.1f}x |"
              for key, (rate, py, rd) in found.items()]
    lines += ["", f"The service keeps {WRITERS} batches in flight, so Redis time overlaps Python time. The last "
              "column is the seed design's CPU per message over the path's: what the path saves whatever else "
              "runs on the machine.", ""]
    targets += [("at least 20x the seed design: record_activity", f"{rates['service'] / seed:.1f}x",
                 rates["service"] >= 20 * seed),
                ("whole path within 0.8x of record_activity", f"{rates['whole'] / rates['service']:.2f}x",
                 rates["whole"] >= 0.8 * rates["service"])]
    return lines


async def run(args: argparse.Namespace) -> list[str]:
    server = RedisServer()
    lines: list[str] = []
    targets: list[tuple[str, str, bool]] = []
    try:
        if "throughput" in args.only:
            lines += report_throughput(args, await throughput(server, args), targets)
        if "events" in args.only:
            cost = await events_cost(server)
            lines += ["## Events on the hot path (Redis CPU per message, 20,000 people, batches of 500)", "",
                      "| batch | µs per message |", "|---|--:|",
                      f"| every message a transition (appended to an event stream, hint published) | "
                      f"{cost['transition']:.1f} |",
                      f"| no transition (no event) | {cost['none']:.1f} |",
                      f"| what one event adds | {cost['per event']:.1f} |", ""]
        if "latency" in args.only:
            lat = await latency(server)
            added = (lat["batched_p99"] - lat["direct_p99"]) * 1e3
            targets.append(("p99 added latency of batching at most 5 ms", f"{added:.2f} ms", added <= 5))
            lines += ["## Added latency of batching at low load (one message every 2 ms)", "",
                      "| | p50 ms | p99 ms |", "|---|--:|--:|",
                      f"| record_activity (through the batcher) | {lat['batched_p50'] * 1e3:.3f} | "
                      f"{lat['batched_p99'] * 1e3:.3f} |",
                      f"| store.record of one message | {lat['direct_p50'] * 1e3:.3f} | "
                      f"{lat['direct_p99'] * 1e3:.3f} |",
                      f"| added by batching | {(lat['batched_p50'] - lat['direct_p50']) * 1e3:.3f} | "
                      f"{(lat['batched_p99'] - lat['direct_p99']) * 1e3:.3f} |", ""]
        if "memory" in args.only:
            mem, parts = await memory(server, args.people)
            group = "one message in a group of 100 (log, channel)"
            targets.append((f"memory per person at most the seed layout's: {group}", f"{mem[group]:.0f} B",
                            mem[group] <= mem["seed"]))
            lines += [f"## Redis memory per tracked person at {args.people:,} people (INFO used_memory delta)", "",
                      "| layout | bytes/person | vs seed |", "|---|--:|--:|"]
            lines += [f"| {'seed: status HASH + session STRING + ZSET member' if name == 'seed' else 'ours: ' + name}"
                      f" | {value:.0f} | {value / mem['seed']:.2f} |" for name, value in mem.items()]
            lines += ["", "Where the bytes of one message in a group of 100 go (MEMORY USAGE, average of a sample; "
                      "keyspace dictionary and TTL entries not included):", "", "| part | bytes |", "|---|--:|"]
            lines += [f"| {name} | {value:.0f} |" for name, value in parts.items()]
            lines.append("")
        if "reads" in args.only:
            got = await reads(server)
            targets.append(("who p99 under 5 ms, 10k-member channel", f"{got['who p99'] * 1e3:.2f} ms",
                            got["who p99"] < 0.005))
            lines += ["## Reads (10k people recently active in the channel; 500 calls each)", "",
                      "| call | p50 ms | p99 ms | Redis time per call ms |", "|---|--:|--:|--:|"]
            for name in ("who", "get_statuses(100)"):
                lines.append(f"| {name} | {got[name + ' p50'] * 1e3:.2f} | {got[name + ' p99'] * 1e3:.2f} | "
                             f"{got[name + ' redis'] * 1e3:.3f} |")
            lines.append("")
    finally:
        server.stop()
    lines += ["## Targets (issue 15)", "", "| target | measured | met |", "|---|--:|---|"]
    lines += [f"| {name} | {value} | {'yes' if met else 'no'} |" for name, value, met in targets]
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--senders", type=int, default=256)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="throughput,events,latency,memory,reads")
    parser.add_argument("--output")
    args = parser.parse_args(argv)
    args.only = set(args.only.split(","))
    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    header = ["# Redis store benchmarks", "",
              f"- command: `python bench/bench_redis.py {shlex.join(argv if argv is not None else sys.argv[1:])}`",
              f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
              f"- machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}; Python {platform.python_version()}; "
              f"{' '.join(version[:3])} on loopback, no persistence; Redis and Python share the CPUs",
              f"- load average when it started: {load} (anything else running on the machine competes for the "
              "same CPUs)", ""]
    lines = header + asyncio.run(run(args))
    print("\n".join(lines))
    if args.output:
        with open(args.output, "w") as out:
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
