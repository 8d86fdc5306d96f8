"""What the life-cycle bookkeeping of issue 11 adds to each message, against handling the message.

    python -m bench.bench_platform [--messages 20000] [--rounds 5] [--output bench/RESULTS-platform.md]

Baseline: ``PresenceBot.handle`` of a plain group message on the memory store (record, no reply),
the path every message takes. Measured beside it, once their memories are full (a busy bot): the
steps issue 11 adds per message — recognizing a redelivery or unchanged edit (``Replays``),
remembering the channel's guild (``Places``), placing the platform's timestamp on the service's
clock (``PlatformClock``) — and the Redis record payload with the late-activity status code.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import platform
import statistics
import time
from types import MappingProxyType

from presence_bot.app import PresenceBot
from presence_bot.places import Places
from presence_bot.platform_clock import PlatformClock
from presence_bot.replays import Replays
from presence_bot.session import Session
from presence_core.models import Activity
from presence_core.policy import Policy
from presence_core.service import PresenceService
from presence_core.stores.memory import MemoryStore
from presence_core.stores.redis import RedisStore

T0 = 1_790_000_000_000


class NoOutbox:
    async def send(self, session: Session, reply: object) -> None:
        raise AssertionError("plain messages get no reply")


def sessions(count: int, now: int, offset: int = 0) -> list[Session]:
    return [Session(platform="bench", self_id="bot", user_id=f"bench:{i % 500}", user_name=f"user{i % 500}",
                    channel_id=f"bench:{i % 50}", guild_id=f"guild{i % 5}", is_direct=False, content=f"message {i}",
                    message_id=str(offset + i), timestamp=now, locale=None, kind="message", outbox=NoOutbox(),
                    mentions=MappingProxyType({})) for i in range(count)]


async def handle_us(messages: int) -> float:
    # A frozen clock: the idle timers never fire during the run.
    async with PresenceService(MemoryStore(), clock=lambda: T0) as service:
        bot = PresenceBot(service)
        for session in sessions(messages, T0, offset=10 * messages):  # warm the memories up
            await bot.handle(session)
        batch = sessions(messages, T0)
        started = time.perf_counter()
        await asyncio.gather(*(bot.handle(s) for s in batch))
        await service.flush()
        return (time.perf_counter() - started) / messages * 1e6


def bookkeeping_us(messages: int) -> float:
    replays, places, clock = Replays(), Places(), PlatformClock(lambda: T0)
    for session in sessions(replays._remember, T0, offset=10 * messages):
        replays.repeated(session)
        places.seen(session.channel_id, session.guild_id)
    batch = sessions(messages, T0)
    started = time.perf_counter()
    for session in batch:
        replays.repeated(session)
        places.seen(session.channel_id, session.guild_id)
        clock.local(session.timestamp - 1_000)
    return (time.perf_counter() - started) / messages * 1e6


def payload_us(messages: int) -> float:
    policy = Policy()
    batch = [Activity(f"bench:{i}", f"bench:{i}", "bench", "message", T0, f"bench:{i % 50}", "name", True,
                      arrived=T0 + 600_000) for i in range(512)]
    rounds = max(1, messages // len(batch))
    started = time.perf_counter()
    for _ in range(rounds):
        RedisStore._payload(batch, [""] * len(batch), policy)
    return (time.perf_counter() - started) / (rounds * len(batch)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--output")
    args = parser.parse_args()
    runs = {"handle a message (baseline)": [], "replays + places + clock": [], "Redis record payload, whole (per activity)": []}
    for _ in range(args.rounds):
        runs["handle a message (baseline)"].append(asyncio.run(handle_us(args.messages)))
        runs["replays + places + clock"].append(bookkeeping_us(args.messages))
        runs["Redis record payload, whole (per activity)"].append(payload_us(args.messages))
    base = statistics.median(runs["handle a message (baseline)"])
    rows = [f"| {name} | {statistics.median(values):.2f} | {statistics.median(values) / base:.3f} |"
            for name, values in runs.items()]
    report = "\n".join([
        "# Per-message cost of the life-cycle bookkeeping (issue 11)", "",
        f"- command: `python -m bench.bench_platform --messages {args.messages} --rounds {args.rounds}`",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} CPUs, {platform.machine()}; Python {platform.python_version()}",
        f"- median of {args.rounds} rounds of {args.messages} messages", "",
        "| step | µs per message | vs baseline |", "|---|--:|--:|", *rows, ""])
    print(report)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(report)


if __name__ == "__main__":
    main()
