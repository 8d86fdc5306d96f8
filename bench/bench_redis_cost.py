"""Instructions per recorded message, counted by valgrind (callgrind): the same on a busy machine as on an idle one.

    python bench/bench_redis_cost.py [--side redis,python] [--batches 30]

redis   instructions the redis-server executes per message of ``store.record`` (the record script, its
        round trip and the event it may append), in three shapes: 64 people sending one message each
        per batch (as 256 senders through the service), 100 people sending five each, and 64 people
        whose every message is their first (a status transition, appended to an event stream).
python  instructions of the Python process per message, 256 senders each awaiting its own call:
        ``record_activity`` on the Redis store, and the whole path (Session -> PresenceBot.handle).
        Includes building the benchmark's Sessions (about 20k a message, the same for every tree).

Each figure is the difference of two runs that differ only in the number of batches (or rounds),
divided by the messages between them, so start-up costs cancel out. Needs valgrind.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Runnable as ``python bench/bench_redis_cost.py`` from the repository root, which holds tests.support.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from presence_bot.app import PresenceBot  # noqa: E402
from presence_bot.session import Session  # noqa: E402
from presence_core.models import Activity  # noqa: E402
from presence_core.policy import Policy  # noqa: E402
from presence_core.service import PresenceService  # noqa: E402
from presence_core.stores.redis import RedisStore  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402

TS = 1_790_000_000_000
SHAPES = {"one message per person (64 a batch)": (64, 1, False), "five per person (100 a batch)": (100, 5, False),
          "every message a transition (64 a batch)": (64, 1, True)}


def instructions(out: Path) -> int:
    for line in out.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {out}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def record(url: str, people: int, each: int, fresh: bool, batches: int) -> int:
    store, policy = RedisStore(url), Policy()
    users = [f"console:u{n}" for n in range(people)]
    await store.record([Activity(u, u, "console", "message", TS, f"console:room{n % 10}") for n, u in enumerate(users)],
                       policy)
    for b in range(1, batches + 1):
        batch = [Activity(f"console:new{b}_{n}" if fresh else u, f"console:new{b}_{n}" if fresh else u, "console",
                          "message", TS + b * each + k, f"console:room{n % 10}")
                 for n, u in enumerate(users) for k in range(each)]
        await store.record(batch, policy)
    await store.close()
    return batches * people * each


def redis_side(shape: tuple[int, int, bool], batches: int) -> float:
    """Instructions of a redis-server under callgrind per message recorded."""
    def run(count: int) -> tuple[int, int]:
        workdir = Path(tempfile.mkdtemp(prefix="presence-cost-"))
        port, out = free_port(), workdir / "callgrind.out"
        server = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "redis-server",
                                   "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                   "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):
                try:
                    socket.create_connection(("127.0.0.1", port)).close()
                    break
                except OSError:
                    time.sleep(0.1)
            messages = asyncio.run(record(f"redis://127.0.0.1:{port}/0", *shape, count))
            subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)
            server.wait(60)
            return instructions(out), messages
        finally:
            if server.poll() is None:
                server.kill()
            shutil.rmtree(workdir, ignore_errors=True)
    base, _ = run(0)
    total, messages = run(batches)
    return (total - base) / messages


class NullOutbox:
    async def send(self, session: Session, reply: object) -> None:
        return None


async def senders(url: str, whole: bool, rounds: int, count: int = 256) -> None:
    service = PresenceService(RedisStore(url))
    await service.start()
    bot = PresenceBot(service)
    sessions = [[Session(platform="console", self_id="bench", user_id=f"console:u{n}", user_name=f"User {n}",
                         channel_id=f"console:room{n % 10}", guild_id=None, is_direct=False, content="hello there",
                         message_id=None, timestamp=TS + j, locale=None, kind="message", outbox=NullOutbox())
                 for j in range(rounds + 1)] for n in range(count)]

    async def sender(n: int) -> None:
        for j in range(rounds + 1):
            if whole:
                await bot.handle(sessions[n][j])
            else:
                await service.record_activity(f"console:u{n}", {"channel_id": f"console:room{n % 10}",
                                                                 "timestamp": TS + j})
    await asyncio.gather(*(sender(n) for n in range(count)))
    await service.close()


def python_side(whole: bool, server: RedisServer, rounds: int = 10) -> float:
    """Instructions of this workload's Python process under callgrind per message."""
    def run(count: int) -> int:
        with tempfile.TemporaryDirectory(prefix="presence-cost-") as workdir:
            out = Path(workdir) / "callgrind.out"
            server.flush()
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__,
                            "--workload", "whole" if whole else "service", "--url", server.url, "--rounds", str(count)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return instructions(out)
    return (run(rounds + 2) - run(2)) / (rounds * 256)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", default="redis,python")
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=10, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.workload:  # the Python side's workload, run under valgrind by python_side
        asyncio.run(senders(args.url, args.workload == "whole", args.rounds))
        return
    print(f"# Instructions per message (callgrind), tree {ROOT.name}, load {os.getloadavg()[0]:.2f}\n")
    print("| side | workload | instructions per message |\n|---|---|--:|")
    if "redis" in args.side:
        for name, shape in SHAPES.items():
            print(f"| Redis | {name} | {redis_side(shape, args.batches):,.0f} |", flush=True)
    if "python" in args.side:
        server = RedisServer()
        try:
            for whole in (False, True):
                name = "whole path" if whole else "record_activity"
                print(f"| Python | {name}, 256 senders | {python_side(whole, server):,.0f} |", flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
