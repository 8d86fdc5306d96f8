"""A status a platform reports for a device is a lease (SPEC section 10), on every store backend.

The device counts as seen while its platform says it is there; when the platform stops renewing
the report (the bot went away), the report lapses and the idle timers take over, so no ghost
stays online.
"""

from __future__ import annotations

from presence_core import PresenceService, Status
from presence_core.policy import MINUTE_MS
from tests.presence_core.test_service import Heard
from tests.support.clock import FakeClock

ALICE = "discord:1"
DESKTOP = "discord:1/desktop"
LEASE_MS = 30 * MINUTE_MS


async def known(presence: PresenceService) -> None:
    await presence.record_activity(ALICE, {"type": "message", "channel_id": "discord:9"})


async def device(presence: PresenceService, device_id: str = DESKTOP):  # type: ignore[no-untyped-def]
    return next(d for d in await presence.get_devices(ALICE) if d.id == device_id)


async def test_a_device_reported_online_is_seen_now(service: PresenceService, clock: FakeClock) -> None:
    await known(service)
    clock.advance(hours=2)

    await service.set_device_status(ALICE, DESKTOP, "online", expires_at_ms=clock.now + LEASE_MS)

    desktop = await device(service)
    assert (desktop.status, desktop.last_seen, desktop.is_stale) == (Status.ONLINE, clock.now, False)
    assert (await service.get_status(ALICE)).last_seen == clock.now


async def test_a_device_that_goes_offline_was_seen_until_then(service: PresenceService, clock: FakeClock) -> None:
    await known(service)
    await service.set_device_status(ALICE, DESKTOP, "online", expires_at_ms=clock.now + LEASE_MS)
    clock.advance(minutes=10)

    await service.set_device_status(ALICE, DESKTOP, "offline")
    gone_at = clock.now
    clock.advance(minutes=10)
    await service.set_device_status(ALICE, DESKTOP, "offline")

    assert (await device(service)).last_seen == gone_at


async def test_an_offline_report_of_a_device_never_there_is_not_a_sighting(service: PresenceService,
                                                                          clock: FakeClock) -> None:
    await known(service)
    clock.advance(minutes=10)

    await service.set_device_status(ALICE, DESKTOP, "offline")

    assert (await device(service)).last_seen is None


async def test_a_lease_nobody_renews_lapses_into_the_idle_timers(service: PresenceService,
                                                                clock: FakeClock) -> None:
    await known(service)
    await service.set_device_status(ALICE, DESKTOP, "online", expires_at_ms=clock.now + LEASE_MS)
    heard = Heard(service)

    clock.advance(minutes=29)
    await service.sweep()
    assert (await service.get_status(ALICE)).status == Status.ONLINE
    clock.advance(minutes=2)
    await service.sweep()
    assert (await service.get_status(ALICE)).status == Status.AWAY
    clock.advance(hours=3)
    await service.sweep()

    assert (await service.get_status(ALICE)).status == Status.OFFLINE
    assert [e for e in heard.events if e[0] == "status_change"] == [
        ("status_change", ALICE, "online", "away"), ("status_change", ALICE, "away", "offline")]


async def test_a_renewed_lease_keeps_the_device_there(service: PresenceService, clock: FakeClock) -> None:
    await known(service)
    for _ in range(12):
        await service.set_device_status(ALICE, DESKTOP, "online", expires_at_ms=clock.now + LEASE_MS)
        clock.advance(minutes=15)
        await service.sweep()

    assert (await service.get_status(ALICE)).status == Status.ONLINE
    assert (await device(service)).last_seen == clock.now - 15 * MINUTE_MS
