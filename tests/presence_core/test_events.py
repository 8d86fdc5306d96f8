"""Events: what each reaches, and the one wire form they take between processes."""

from __future__ import annotations

import pytest

from presence_core.events import EventBus, from_wire, to_wire
from presence_core.models import (AvailabilityChange, Event, RoomChange, RoomDevice, RoomMember, TokensRevoked,
                                   Transition)
from presence_core.status import Status

EVENTS = [Transition("telegram:1", Status.OFFLINE, Status.ONLINE, 1_790_000_000_000),
          Transition("discord:2", Status.AWAY, Status.OFFLINE, 7),
          AvailabilityChange("console:é", True, 5), AvailabilityChange("x", False, 0),
          RoomChange("app:doc", "telegram:1", RoomMember("telegram:1", "discord:7", "名字", Status.DND, "busy", (
              RoomDevice("api laptop", 3, '{"line":1}'), RoomDevice("api phone", 4))), 9),
          RoomChange("app:doc", "telegram:1", RoomMember("telegram:1", "telegram:1", None, Status.ONLINE, None), 9),
          RoomChange("telegram:-5", "discord:2", None, 10),
          TokensRevoked(("a" * 64, "b" * 64), 11)]


@pytest.mark.parametrize("event", EVENTS)
def test_every_event_comes_back_from_its_wire_form(event: Event) -> None:
    assert from_wire(to_wire(event)) == event


def test_no_devices_may_come_as_the_empty_object_redis_s_lua_makes_of_an_empty_array() -> None:
    event = from_wire(["r", "console:x", "u", ["u", "n", "o", None, {}], 1])
    assert isinstance(event, RoomChange) and event.member is not None and event.member.devices == ()


@pytest.mark.parametrize("wire", [[], ["t", "u", "o", "x", 1], ["a", "u", 2, 1], ["z", "u"], ["t", 1, "o", "f", 1],
                                  ["r", "app:x", "u", ["u", "n", "q", None, []], 1], ["r", "app:x", "u", "member", 1],
                                  ["r", "console:x", "u", ["u", "n", "o", None, {"0": ["d", 1, None]}], 1],
                                  ["k", ["h", 5], 1], ["k", "h", 1]])
def test_anything_else_on_the_wire_is_refused(wire: list[object]) -> None:
    with pytest.raises(ValueError):
        from_wire(wire)


async def test_each_event_reaches_the_listeners_of_what_it_means() -> None:
    bus, heard = EventBus(), []
    for name in ("status_change", "online", "offline", "available", "unavailable", "room_change", "tokens_revoked"):
        bus.on(name, lambda *args, name=name: heard.append((name, *args)))
    for event in EVENTS:
        await bus.emit(event)
    assert heard == [
        ("status_change", "telegram:1", "offline", "online"), ("online", "telegram:1"),
        ("status_change", "discord:2", "away", "offline"), ("offline", "discord:2"),
        ("available", "console:é"), ("unavailable", "x"),
        *(("room_change", event) for event in EVENTS[4:7]),
        ("tokens_revoked", ("a" * 64, "b" * 64)),
    ]
