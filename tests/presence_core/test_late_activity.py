"""Activity that arrives late keeps its age (SPEC section 4), on every store backend.

A backlog replayed after downtime must not make listeners hear a transition that the idle timers
take back at once: a 3-hour-old message changes no status, a 10-minute-old one brings an offline
person to away at most.
"""

from __future__ import annotations

from presence_core import PresenceService, Status
from presence_core.policy import HOUR_MS, MINUTE_MS
from tests.presence_core.test_service import Heard
from tests.support.clock import FakeClock

BOB = "telegram:2"
ROOM = "telegram:-100"


async def said(presence: PresenceService, clock: FakeClock, ago_ms: int, user: str = BOB,
               device: str | None = None) -> None:
    """A message written ``ago_ms`` before now, arriving now."""
    await presence.record_activity(user, {"type": "message", "channel_id": ROOM, "timestamp": clock.now - ago_ms},
                                   device_id=device)


async def test_a_message_three_hours_old_changes_no_status_and_fires_nothing(service: PresenceService,
                                                                            clock: FakeClock) -> None:
    heard = Heard(service)

    await said(service, clock, 3 * HOUR_MS)
    await service.sweep()
    clock.advance(hours=2)
    await service.sweep()

    status = await service.get_status(BOB)
    assert (status.status, status.last_seen) == (Status.OFFLINE, clock.now - 5 * HOUR_MS)
    assert heard.events == []
    [event] = await service.get_activity(BOB)
    assert event.timestamp == clock.now - 5 * HOUR_MS


async def test_a_message_ten_minutes_old_brings_an_offline_person_to_away_only(service: PresenceService,
                                                                              clock: FakeClock) -> None:
    heard = Heard(service)

    await said(service, clock, 10 * MINUTE_MS)
    await service.sweep()

    assert (await service.get_status(BOB)).status == Status.AWAY
    # "online" is heard on any change from offline (SPEC section 4), away included.
    assert heard.events == [("status_change", BOB, "offline", "away"), ("online", BOB)]
    clock.advance(minutes=50)
    await service.sweep()
    assert heard.events[2:] == [("status_change", BOB, "away", "offline"), ("offline", BOB)]


async def test_a_message_four_minutes_old_is_still_online(service: PresenceService, clock: FakeClock) -> None:
    heard = Heard(service)

    await said(service, clock, 4 * MINUTE_MS)

    assert (await service.get_status(BOB)).status == Status.ONLINE
    assert heard.events == [("status_change", BOB, "offline", "online"), ("online", BOB)]


async def test_a_late_message_never_lowers_someone_online_now(service: PresenceService, clock: FakeClock) -> None:
    await said(service, clock, 0)
    heard = Heard(service)

    await said(service, clock, 10 * MINUTE_MS, device=f"{BOB}/phone")
    await said(service, clock, 3 * HOUR_MS, device=f"{BOB}/web")
    await service.sweep()

    assert (await service.get_status(BOB)).status == Status.ONLINE
    assert heard.events == []


async def test_a_late_message_leaves_a_chosen_status_alone(service: PresenceService, clock: FakeClock) -> None:
    await service.set_status(BOB, "dnd")
    heard = Heard(service)

    await said(service, clock, 10 * MINUTE_MS)
    await service.sweep()

    assert (await service.get_status(BOB)).status == Status.DND
    assert heard.events == []


async def test_a_timestamp_ahead_of_the_service_clock_counts_as_now(service: PresenceService,
                                                                   clock: FakeClock) -> None:
    await said(service, clock, -2 * MINUTE_MS)

    assert (await service.get_status(BOB)).status == Status.ONLINE
