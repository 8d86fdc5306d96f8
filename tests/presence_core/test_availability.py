"""Availability through the service (SPEC section 12): rules, events on real changes, hours by the clock, pick."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from presence_core import (
    InvalidArgumentError,
    OverCapacityError,
    PresenceService,
    UnknownTimeZoneError,
)
from presence_core.hours import DAY_MINUTES
from tests.support.clock import FakeClock

ROOM = "test:desk"
WEEKDAYS_9_TO_18 = [[d * DAY_MINUTES + 9 * 60, d * DAY_MINUTES + 18 * 60] for d in range(5)]


def at(clock: FakeClock, text: str, zone: str = "Europe/Berlin") -> int:
    clock.now = int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp() * 1000)
    return clock.now


async def heard(service: PresenceService) -> list[tuple[str, str]]:
    events: list[tuple[str, str]] = []
    service.on("available", lambda u: events.append(("available", u)))
    service.on("unavailable", lambda u: events.append(("unavailable", u)))
    return events


async def test_available_means_online_within_hours_and_under_capacity(service: PresenceService,
                                                                        clock: FakeClock) -> None:
    events = await heard(service)
    at(clock, "2026-09-21T10:00")  # a Monday
    await service.record_activity("test:ann", {"channel_id": ROOM})
    assert events == []  # online, but not using availability: status events say it
    await service.set_capacity("test:ann", 2)
    assert events == [("available", "test:ann")]
    await service.take("test:ann", 2)
    assert events[-1] == ("unavailable", "test:ann")
    await service.done("test:ann")
    assert events[-1] == ("available", "test:ann")
    await service.set_status("test:ann", "dnd")
    assert events[-1] == ("unavailable", "test:ann")
    await service.set_status("test:ann", "online")
    assert events[-1] == ("available", "test:ann")
    await service.set_tracking("test:ann", False)
    assert events[-1] == ("unavailable", "test:ann")
    assert len(events) == 6


async def test_hours_beginning_and_ending_are_announced_once_by_the_sweep(service: PresenceService,
                                                                           clock: FakeClock) -> None:
    events = await heard(service)
    at(clock, "2026-09-21T08:50")
    await service.set_hours("test:ann", WEEKDAYS_9_TO_18, "Europe/Berlin")
    await service.set_status("test:ann", "online")
    await service.heartbeat("test:ann")
    assert events == []
    at(clock, "2026-09-21T09:00")
    await service.heartbeat("test:ann")  # activity decides it too, from the precomputed window
    assert events == [("available", "test:ann")]
    await service.sweep()
    assert events == [("available", "test:ann")]
    for minute in range(0, 541, 4):  # stay active until 18:00
        clock.advance(minutes=4)
        await service.heartbeat("test:ann")
        await service.sweep()
    assert events[-1] == ("unavailable", "test:ann") and len(events) == 2
    info = await service.get_availability("test:ann")
    assert not info.within_hours and not info.available


async def test_a_sweep_alone_opens_the_hours(service: PresenceService, clock: FakeClock) -> None:
    events = await heard(service)
    at(clock, "2026-09-21T08:59")
    await service.set_status("test:ann", "dnd")
    await service.set_hours("test:ann", WEEKDAYS_9_TO_18, "Europe/Berlin")
    await service.set_status("test:ann", "online")
    await service.record_activity("test:ann")
    at(clock, "2026-09-21T09:01")
    assert await service.sweep() != [] and events == [("available", "test:ann")]


async def test_pick_balances_least_loaded_then_longest_since_last_pick(service: PresenceService,
                                                                        clock: FakeClock) -> None:
    for name in ("ann", "bob", "cat"):
        await service.record_activity(f"test:{name}", {"channel_id": ROOM}, user_name=name)
        await service.set_capacity(f"test:{name}", 2)
    await service.record_activity("test:lurker", {"channel_id": ROOM})
    picks = []
    for _ in range(7):
        clock.advance(1000)
        chosen = await service.pick(ROOM)
        picks.append(None if chosen is None else chosen.name)
    assert picks[:3] == sorted(picks[:3]) and set(picks[:3]) == {"ann", "bob", "cat"}
    assert picks[3:6] == picks[:3]  # the same order again: longest since the last pick first
    assert picks[6] is None  # everyone full
    assert [(u.load, u.capacity) for u in (await service.get_channel_presence(ROOM)).users if u.capacity] == [(2, 2)] * 3


async def test_pick_and_available_filter_by_skill_and_stay_in_the_channel(service: PresenceService) -> None:
    await service.record_activity("test:ann", {"channel_id": ROOM})
    await service.set_skills("test:ann", ["#Billing", "refunds"])
    await service.record_activity("test:bob", {"channel_id": "test:elsewhere"})
    await service.set_capacity("test:bob", 3)
    assert [u.user_id for u in await service.get_available(ROOM, "billing")] == ["test:ann"]
    assert await service.get_available(ROOM, "german") == []
    assert await service.pick(ROOM, "german") is None
    await service.end_membership(ROOM, ["test:ann"])
    assert await service.get_available(ROOM) == []


async def test_load_is_shared_by_linked_accounts(service: PresenceService) -> None:
    await service.record_activity("test:ann", {"channel_id": ROOM})
    await service.record_activity("other:ann", {"channel_id": "other:room"})
    await service.set_capacity("test:ann", 3)
    await service.take("other:ann", 1)
    await service.link_account("other:ann", await service.create_link_code("test:ann"))
    await service.take("other:ann", 1)
    assert (await service.get_availability("test:ann")).load == 2
    assert [u.user_id for u in await service.get_available("other:room")] == ["other:ann"]


async def test_take_refuses_past_capacity_unless_forced_and_done_stops_at_zero(service: PresenceService) -> None:
    await service.set_capacity("test:ann", 2)
    with pytest.raises(OverCapacityError):
        await service.take("test:ann", 3)
    assert (await service.take("test:ann", 3, force=True)).load == 3
    assert (await service.done("test:ann", 10)).load == 0
    with pytest.raises(InvalidArgumentError):
        await service.take("test:ann", 0)
    with pytest.raises(InvalidArgumentError):
        await service.set_capacity("test:ann", 101)
    with pytest.raises(UnknownTimeZoneError):
        await service.set_hours("test:ann", WEEKDAYS_9_TO_18, "Mars/Olympus")
    with pytest.raises(InvalidArgumentError):
        await service.set_skills("test:ann", [f"s{i}" for i in range(21)])
