"""Redis store benchmarks (issue 3), on a throwaway redis-server on loopback started here.

    python -m bench.bench_redis [--senders 200] [--messages 250] [--people 100000] [--rounds 3]
                                [--only throughput,latency,memory,reads] [--output bench/RESULTS-redis.md]

throughput  messages/s, one process, ``--senders`` people sending ``--messages`` each at once:
            the whole path (Session -> PresenceBot.handle -> service -> store -> Redis), the service
            alone (record_activity), the store alone (record of 500-message batches), and the seed
            design: five awaited commands per message (HSET heartbeat_time, HSET last_active_time,
            EXPIRE, ZADD, EXPIRE), same concurrency, same client settings.
latency     what batching adds at low load: record_activity one message every 2 ms, against one
            store.record call per message.
memory      INFO used_memory delta per tracked person at ``--people`` people, against the seed layout
            (status HASH + session-count STRING + ZSET member, with their TTLs).
reads       ``who`` (best 50 and the count of the rest) in a channel of 10k recently active people,
            and get_statuses for 100 people: client-side p50/p99 and Redis time per call.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import functools
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import redis.asyncio as aioredis

from presence_bot.app import PresenceBot
from presence_bot.session import Session
from presence_core.models import Activity
from presence_core.policy import Policy
from presence_core.service import WRITERS, PresenceService
from presence_core.stores.redis import RedisStore, hash_tag
from tests.support.redis_server import RedisServer

POLICY = Policy()
SEED_TTL_S = 1800


class NullOutbox:
    async def send(self, session: Session, reply: Any) -> None:
        return None


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def flushed(server: RedisServer) -> None:
    server.flush()


async def fresh_service(server: RedisServer) -> PresenceService:
    await flushed(server)
    service = PresenceService(RedisStore(server.url), POLICY)
    await service.start()
    return service


async def concurrently(senders: int, messages: int, send: Callable[[int, int], Awaitable[object]]) -> float:
    """Messages per second with every sender sending its messages one after another, all at once."""
    async def sender(n: int) -> None:
        for j in range(messages):
            await send(n, j)
    started = time.perf_counter()
    await asyncio.gather(*(sender(n) for n in range(senders)))
    return senders * messages / (time.perf_counter() - started)


async def whole_path(server: RedisServer, senders: int, messages: int) -> float:
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
        return await concurrently(senders, messages, send)
    finally:
        await service.close()


async def service_only(server: RedisServer, senders: int, messages: int) -> float:
    service = await fresh_service(server)

    async def send(n: int, j: int) -> None:
        await service.record_activity(f"console:u{n}", {"type": "message", "channel_id": f"console:room{n % 10}",
                                                         "timestamp": now_ms()})
    try:
        return await concurrently(senders, messages, send)
    finally:
        await service.close()


async def store_only(server: RedisServer, senders: int, messages: int,
                     redis_time: list[float] | None = None) -> float:
    """Batches of 500 straight to the store; appends the seconds Redis spent per message to ``redis_time``."""
    await flushed(server)
    store = RedisStore(server.url)
    await store.start()
    batch_size, total, ts = 500, senders * messages, now_ms()
    people = [f"console:u{n}" for n in range(senders)]
    batches = [[Activity(people[n % senders], people[n % senders], "console", "message", ts + n,
                         f"console:room{n % 10}") for n in range(i, i + batch_size)]
               for i in range(0, total, batch_size)]
    server.command("CONFIG", "RESETSTAT")
    started = time.perf_counter()
    for batch in batches:
        await store.record(batch, POLICY)
    rate = total / (time.perf_counter() - started)
    if redis_time is not None:
        redis_time.append((await store.redis.raw.info("commandstats"))["cmdstat_evalsha"]["usec"] / 1e6 / total)
    await store.close()
    return rate


def seed_client(server: RedisServer, connections: int = 100) -> Any:
    """The same client settings as the store's (hiredis, no per-reply timeout), with a connection per sender."""
    return aioredis.Redis.from_pool(aioredis.BlockingConnectionPool.from_url(
        server.url, socket_timeout=None, max_connections=connections, timeout=None))


async def seed_design(server: RedisServer, senders: int, messages: int) -> float:
    """The seed's heartbeat: five commands, each its own awaited round trip."""
    await flushed(server)
    client = seed_client(server, senders)

    async def send(n: int, j: int) -> None:
        user, ts = f"console:u{n}", now_ms()
        await client.hset(f"presence:status:{user}", "heartbeat_time", ts)
        await client.hset(f"presence:status:{user}", "last_active_time", ts)
        await client.expire(f"presence:status:{user}", SEED_TTL_S)
        await client.zadd("presence:online:bench", {user: ts})
        await client.expire("presence:online:bench", SEED_TTL_S)
    try:
        return await concurrently(senders, messages, send)
    finally:
        await client.aclose()


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

    async def ours(make: Callable[[int], Activity], explain: bool = False) -> float:
        await flushed(server)
        store = RedisStore(server.url)
        before = await used_memory(client)
        for i in range(0, people, 1000):
            await store.record([make(n) for n in range(i, min(people, i + 1000))], POLICY)
        after = await used_memory(client)
        if explain:
            parts.update(await breakdown(store, [user(n) for n in range(0, people, max(1, people // 200))]))
        await store.close()
        return (after - before) / people

    async def seed() -> float:
        await flushed(server)
        before = await used_memory(client)
        for i in range(0, people, 1000):
            pipe = client.pipeline(transaction=False)
            for n in range(i, min(people, i + 1000)):
                user = f"console:u{n}"
                pipe.hset(f"presence:status:{user}", mapping={"status": "online", "heartbeat_time": ts,
                                                              "last_active_time": ts})
                pipe.expire(f"presence:status:{user}", SEED_TTL_S)
                pipe.set(f"presence:sessions:{user}", 1, ex=SEED_TTL_S)
                pipe.zadd("presence:online:bench", {user: ts})
            await pipe.execute()
        return (await used_memory(client) - before) / people

    def user(n: int) -> str:
        return f"console:u{n}"

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


async def breakdown(store: RedisStore, sample: Sequence[str]) -> dict[str, float]:
    """Average MEMORY USAGE per person of each kind of key, and per member of the shared sorted sets."""
    client, out = store.redis.raw, {}
    for key, name in ((store.keys.person, "person HASH (record, membership, log entry)"),
                      (store.keys.log, "activity log LIST (none until a 9th entry)")):
        sizes = [await client.memory_usage(key(person), samples=0) or 0 for person in sample]
        out[name] = sum(sizes) / len(sizes)
    for name, keys in (("due index member", {store.keys.due(hash_tag(p)) for p in sample}),
                       ("channel member (ZSET of 100)", {store.keys.channel("console:room0")})):
        usage = [(await client.memory_usage(k, samples=0) or 0, await client.zcard(k)) for k in keys]
        out[name] = sum(u for u, _ in usage) / max(1, sum(c for _, c in usage))
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
            stats = await store.redis.raw.info("commandstats")  # both reads are one script each on one Redis
            busy = stats["cmdstat_evalsha"]["usec"]
            out[f"{name} p50"], out[f"{name} p99"] = pct(times, 0.5), pct(times, 0.99)
            out[f"{name} redis"] = busy / calls / 1e6
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


def median_of(rounds: int, run: Callable[[], Awaitable[float]]) -> Callable[[], Awaitable[float]]:
    async def measured() -> float:
        return statistics.median([await run() for _ in range(rounds)])
    return measured


async def run(args: argparse.Namespace) -> list[str]:
    server = RedisServer()
    lines: list[str] = []
    targets: list[tuple[str, str, bool]] = []
    try:
        if "throughput" in args.only:
            names = {"whole": "whole path: Session -> bot -> service -> Redis", "service": "service: record_activity",
                     "store": "store: record, batches of 500", "seed": "seed design: 5 awaited commands per message"}
            rates, redis_time = {}, []
            benches = {"whole": whole_path, "service": service_only,
                       "store": functools.partial(store_only, redis_time=redis_time), "seed": seed_design}
            for key, bench in benches.items():
                rates[key] = await median_of(args.rounds, lambda b=bench: b(server, args.senders, args.messages))()
            lua = statistics.median(redis_time)
            lines += ["## Throughput: messages recorded per second, one process",
                      f"{args.senders} senders x {args.messages} messages, all at once; median of {args.rounds}.", "",
                      "| path | messages/s | vs seed design |", "|---|--:|--:|"]
            lines += [f"| {names[key]} | {rate:,.0f} | {rate / rates['seed']:.1f}x |" for key, rate in rates.items()]
            targets += [("at least 50,000 messages/s per process, whole path", f"{rates['whole']:,.0f}",
                         rates["whole"] >= 50_000),
                        ("at least 20x the seed design, whole path", f"{rates['whole'] / rates['seed']:.1f}x",
                         rates["whole"] >= 20 * rates["seed"]),
                        ("at least 20x the seed design, store", f"{rates['store'] / rates['seed']:.1f}x",
                         rates["store"] >= 20 * rates["seed"])]
            lines += ["", "Wall time per message (microseconds, from the rates above). The service keeps "
                      f"{WRITERS} batches in flight, so Redis time overlaps Python time and the rows do not add up:",
                      "", "| path | µs per message |", "|---|--:|"]
            lines += [f"| {names[key]} | {per:.1f} |" for key, per in ((k, 1e6 / r) for k, r in rates.items())]
            lines += [f"| Redis alone: the record script, per message | {lua * 1e6:.1f} |", ""]
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
            targets += [(f"memory per person at most half the seed's: {name}", f"{mem[name] / mem['seed']:.2f}",
                         mem[name] <= mem["seed"] / 2) for name in mem if name != "seed"]
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
    lines += ["## Targets of issue 3", "", "| target | measured | met |", "|---|--:|---|"]
    lines += [f"| {name} | {value} | {'yes' if met else 'no'} |" for name, value, met in targets]
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--senders", type=int, default=200)
    parser.add_argument("--messages", type=int, default=250)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="throughput,latency,memory,reads")
    parser.add_argument("--output")
    args = parser.parse_args(argv)
    args.only = set(args.only.split(","))
    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()
    header = ["# Redis store benchmarks", "",
              f"- command: `python -m bench.bench_redis {shlex.join(argv if argv is not None else sys.argv[1:])}`",
              f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
              f"- machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}; Python {platform.python_version()}; "
              f"{' '.join(version[:3])} on loopback, no persistence; Redis and Python share the CPUs",
              f"- load average when it started: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
              "(anything else running on the machine competes for the same CPUs)", ""]
    lines = header + asyncio.run(run(args))
    print("\n".join(lines))
    if args.output:
        with open(args.output, "w") as out:
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
