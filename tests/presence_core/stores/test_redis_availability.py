"""Several processes on one Redis (SPEC section 12): load never crosses its bounds, every availability
change is announced once, and a watch is delivered once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from presence_bot.app import PresenceBot
from presence_bot.reply import Reply
from presence_core import OverCapacityError, PresenceService
from presence_core.stores.redis import RedisStore
from tests.support.clock import FakeClock
from tests.support.redis_server import RedisServer

ROOM = "test:desk"
CAPACITY = 3


@asynccontextmanager
async def processes(server: RedisServer, clock: FakeClock, count: int) -> AsyncIterator[list[PresenceService]]:
    """``count`` services, each with its own connection and event subscription, like separate processes."""
    services = [PresenceService(RedisStore(server.url), clock=clock) for _ in range(count)]
    for service in services:
        await service.start()
    try:
        yield services
    finally:
        for service in services:
            await service.close()


async def until(condition: object, rounds: int = 200) -> None:
    """Let pub/sub deliver: a bounded number of short waits, never a timed assertion."""
    for _ in range(rounds):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)


operations = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["take", "done", "pick", "force"]),
                                st.integers(1, 4)), min_size=1, max_size=30)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          database=None)
@given(script=operations)
def test_load_stays_within_bounds_under_interleaved_take_done_pick(redis_server: RedisServer, script: list) -> None:
    async def run() -> None:
        redis_server.flush()
        clock = FakeClock()
        async with processes(redis_server, clock, 3) as services:
            await services[0].record_activity("test:ann", {"channel_id": ROOM})
            await services[0].set_capacity("test:ann", CAPACITY)

            async def step(who: int, op: str, n: int) -> None:
                service = services[who]
                if op == "take":
                    try:
                        await service.take("test:ann", n)
                    except OverCapacityError:
                        pass
                elif op == "done":
                    await service.done("test:ann", n)
                elif op == "pick":
                    await service.pick(ROOM)
            loads = []
            for chunk in range(0, len(script), 6):  # at once, in any order: a few steps from every process
                await asyncio.gather(*(step(*s) for s in script[chunk:chunk + 6] if s[1] != "force"))
                loads.append((await services[1].get_availability("test:ann")).load)
            assert all(0 <= load <= CAPACITY for load in loads), loads
    asyncio.run(run())


async def test_concurrent_picks_from_many_processes_spread_and_never_pass_capacity(redis_server: RedisServer) -> None:
    redis_server.flush()
    clock = FakeClock()
    async with processes(redis_server, clock, 4) as services:
        for name in ("ann", "bob"):
            await services[0].record_activity(f"test:{name}", {"channel_id": ROOM})
            await services[0].set_capacity(f"test:{name}", CAPACITY)
        picks = await asyncio.gather(*(services[i % 4].pick(ROOM) for i in range(12)))
        chosen = [p.user_id for p in picks if p is not None]
        assert sorted(chosen) == ["test:ann"] * CAPACITY + ["test:bob"] * CAPACITY
        for name in ("ann", "bob"):
            assert (await services[0].get_availability(f"test:{name}")).load == CAPACITY


async def test_every_process_hears_each_availability_change_once(redis_server: RedisServer) -> None:
    redis_server.flush()
    clock = FakeClock()
    async with processes(redis_server, clock, 2) as (one, two):
        heard: dict[str, list[str]] = {"one": [], "two": []}
        one.on("available", lambda u: heard["one"].append(f"+{u}"))
        one.on("unavailable", lambda u: heard["one"].append(f"-{u}"))
        two.on("available", lambda u: heard["two"].append(f"+{u}"))
        two.on("unavailable", lambda u: heard["two"].append(f"-{u}"))
        await one.record_activity("test:ann", {"channel_id": ROOM})
        await one.set_capacity("test:ann", 1)
        await two.pick(ROOM)
        clock.advance(minutes=6)
        await asyncio.gather(one.sweep(), two.sweep())
        expected = ["+test:ann", "-test:ann"]
        await until(lambda: heard["one"] == expected and heard["two"] == expected)
        assert heard == {"one": expected, "two": expected}


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str, bool]] = []

    async def send(self, account: str, reply: Reply, silent: bool) -> bool:
        self.messages.append((account, reply.render("plain"), silent))
        return True


async def test_a_watch_is_delivered_once_across_processes(redis_server: RedisServer) -> None:
    redis_server.flush()
    clock = FakeClock()
    async with processes(redis_server, clock, 2) as services:
        inboxes = [Inbox(), Inbox()]
        for service, inbox in zip(services, inboxes):
            PresenceBot(service).watches.register("test", inbox.send)
        one, two = services
        await one.record_activity("test:ann", {"channel_id": ROOM}, user_name="Ann")
        await one.record_activity("test:lead", {"channel_id": ROOM}, user_name="Lead")
        await one.set_capacity("test:ann", 1)
        await one.take("test:ann")
        await one.set_status("test:lead", "dnd")
        assert await two.watch("test:lead", "test:ann", ROOM) is not None
        await two.done("test:ann")
        await until(lambda: sum(len(i.messages) for i in inboxes) >= 1)
        await asyncio.sleep(0.1)  # a second delivery would have arrived by now
        delivered = [m for inbox in inboxes for m in inbox.messages]
        assert delivered == [("test:lead", "🔔 Ann is available now.", True)]
        assert await one.get_watches("test:lead") == []
