"""Two services on one Redis: a room change decided by either is heard by both (SPEC section 11)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from presence_core.models import RoomChange
from presence_core.service import PresenceService
from presence_core.stores.redis import RedisStore
from presence_core.tokens import device_id
from tests.support.clock import FakeClock
from tests.support.redis_server import RedisServer

ALICE, BOB = "telegram:1", "discord:2"
DOC = "app:doc"


class Heard:
    def __init__(self, presence: PresenceService) -> None:
        self.changes: list[RoomChange] = []
        self.arrived = asyncio.Event()
        presence.on("room_change", self.hear)

    def hear(self, change: RoomChange) -> None:
        self.changes.append(change)
        self.arrived.set()

    async def next(self) -> tuple[str, str, tuple[str | None, ...] | None]:
        async with asyncio.timeout(10):
            while not self.changes:
                self.arrived.clear()
                await self.arrived.wait()
        change = self.changes.pop(0)
        return (change.room_id, change.person_id,
                None if change.member is None else tuple(d.location for d in change.member.devices))


@pytest.fixture
async def pair(redis_server: RedisServer, clock: FakeClock) -> AsyncIterator[tuple[PresenceService, PresenceService]]:
    redis_server.flush()
    first, second = (PresenceService(RedisStore(redis_server.url), clock=clock) for _ in range(2))
    async with first, second:
        yield first, second


async def test_joins_moves_and_leaves_reach_the_other_process(pair: tuple[PresenceService, PresenceService],
                                                              clock: FakeClock) -> None:
    here, there = pair
    heard_here, heard_there = Heard(here), Heard(there)
    laptop = device_id(ALICE, "laptop")
    await here.room_heartbeat(ALICE, laptop, DOC, {"line": 1})
    assert await heard_there.next() == (DOC, ALICE, ('{"line":1}',))
    assert await heard_here.next() == (DOC, ALICE, ('{"line":1}',))
    await there.leave_room(ALICE, laptop, DOC)
    assert await heard_here.next() == (DOC, ALICE, None)
    assert await heard_there.next() == (DOC, ALICE, None)

    await here.room_heartbeat(BOB, device_id(BOB, "app"), DOC)
    assert (await heard_there.next())[1] == BOB
    assert (await heard_here.next())[1] == BOB
    clock.advance(here.policy.room_lease_ms)
    assert [type(e).__name__ for e in await there.sweep()] == ["RoomChange"]
    assert await heard_here.next() == (DOC, BOB, None)
    assert await heard_there.next() == (DOC, BOB, None)
