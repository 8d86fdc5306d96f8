"""A store outage: recorded activity is kept (bounded) and written in order once the store is back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest

from presence_core import PresenceService, StoreUnavailableError
from presence_core import backlog
from presence_core.models import Activity, Event
from presence_core.policy import Policy
from presence_core.stores.memory import MemoryStore
from tests.support.clock import FakeClock


class FlakyStore(MemoryStore):
    """A memory store that can be switched off like a Redis that went away."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    async def record(self, batch: Sequence[Activity], policy: Policy, *, token: str | None = None) -> list[Event]:
        if self.down:
            raise StoreUnavailableError("switched off by the test")
        return await super().record(batch, policy, token=token)


async def say(presence: PresenceService, n: int) -> None:
    await presence.record_activity("telegram:1", {"type": "message", "channel_id": f"telegram:{n}"})


async def logged_channels(store: MemoryStore) -> list[str]:
    return [e.channel_id or "" for e in reversed(await store.activity("telegram:1", 50, None))]


async def test_activity_recorded_during_an_outage_is_written_in_order_when_the_store_returns(
        clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backlog, "RETRY_FIRST_S", 0.01)
    store = FlakyStore()
    async with PresenceService(store, clock=clock) as presence:
        await say(presence, 0)
        store.down = True
        for n in range(1, 4):
            await say(presence, n)
        store.down = False
        await say(presence, 4)
        async with asyncio.timeout(5):
            while len(await logged_channels(store)) < 5:
                await asyncio.sleep(0.01)
        assert await logged_channels(store) == [f"telegram:{n}" for n in range(5)]


async def test_past_the_bound_the_oldest_are_dropped_and_reported(clock: FakeClock,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    store = FlakyStore()
    presence = PresenceService(store, Policy(outage_buffer_max=5), clock)
    await presence.start()
    store.down = True
    for n in range(8):
        await say(presence, n)
    store.down = False
    with caplog.at_level(logging.WARNING):
        await presence.close()
    assert await logged_channels(store) == [f"telegram:{n}" for n in range(3, 8)]
    assert "wrote 5 buffered activities, dropped 3" in caplog.text


async def test_what_cannot_be_written_at_shutdown_is_counted(clock: FakeClock,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    store = FlakyStore()
    presence = PresenceService(store, clock=clock)
    await presence.start()
    store.down = True
    await say(presence, 1)
    with caplog.at_level(logging.ERROR):
        await presence.close()
    assert "1 buffered activities lost" in caplog.text


async def test_activity_kept_through_a_long_outage_keeps_its_age(clock: FakeClock,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backlog, "RETRY_FIRST_S", 0.01)
    store = FlakyStore()
    heard: list[tuple[str, str]] = []
    async with PresenceService(store, clock=clock) as presence:
        presence.on("status_change", lambda user, old, new: heard.append((old, new)))
        store.down = True
        said_at = clock.now
        await say(presence, 1)
        clock.advance(hours=3)
        store.down = False
        async with asyncio.timeout(5):
            while not await logged_channels(store):
                await asyncio.sleep(0.01)
        await presence.sweep()

        status = await presence.get_status("telegram:1")
        assert (status.status, status.last_seen) == ("offline", said_at)
        assert heard == []


async def test_activity_kept_from_an_outage_is_dropped_when_its_person_is_forgotten(
        clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backlog, "RETRY_FIRST_S", 0.01)
    store = FlakyStore()
    async with PresenceService(store, clock=clock) as presence:
        await say(presence, 0)
        store.down = True
        for n in range(1, 3):
            await say(presence, n)
        await presence.record_activity("telegram:2", {"channel_id": "telegram:9"})
        assert presence.buffered == 3
        await presence.forget("telegram:1")
        store.down = False
        async with asyncio.timeout(5):
            while presence.buffered:
                await asyncio.sleep(0.01)
        assert await store.load(["telegram:1"]) == {}
        assert await logged_channels(store) == []
        assert [e.channel_id for e in await store.activity("telegram:2", 50, None)] == ["telegram:9"]
