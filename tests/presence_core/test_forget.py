"""``forget`` (SPEC section 7): erases everything, and an opt-out survives it."""

from __future__ import annotations

from presence_core import PresenceService
from tests.support.clock import FakeClock

DAVE, DAVE_DC, BOB = "console:dave", "discord:44", "console:bob"


async def say(presence: PresenceService, user: str, channel: str = "console:lobby") -> None:
    await presence.record_activity(user, {"type": "message", "channel_id": channel})


async def test_forgetting_with_tracking_off_keeps_tracking_off(service: PresenceService) -> None:
    await say(service, DAVE)
    await service.set_tracking(DAVE, False)
    assert await service.forget(DAVE) == [DAVE]
    await say(service, DAVE)
    await say(service, BOB)
    assert [u.user_id for u in await service.get_online_users("console:lobby")] == [BOB]
    assert await service.get_activity(DAVE) == []
    mine = await service.get_status(DAVE, viewer_id=DAVE)
    assert mine.status == "offline" and mine.last_seen is None and mine.device_count == 0
    assert await service.forget(DAVE) == [DAVE]
    await say(service, DAVE)
    assert await service.get_activity(DAVE) == []


async def test_a_status_set_after_forgetting_with_tracking_off_still_records_nothing(service: PresenceService) -> None:
    await service.set_tracking(DAVE, False)
    await service.forget(DAVE)
    await service.set_custom_status(DAVE, "gone fishing")
    assert not (await service.get_status(DAVE, viewer_id=DAVE)).tracking
    await say(service, DAVE)
    assert await service.get_activity(DAVE) == []


async def test_turning_tracking_back_on_after_forgetting_records_again(service: PresenceService) -> None:
    await service.set_tracking(DAVE, False)
    await service.forget(DAVE)
    await service.set_tracking(DAVE, True)
    await say(service, DAVE)
    assert [e.type for e in await service.get_activity(DAVE)] == ["message"]


async def test_forgetting_with_tracking_on_lets_the_next_message_start_afresh(service: PresenceService,
                                                                              clock: FakeClock) -> None:
    await say(service, DAVE)
    await service.set_custom_status(DAVE, "secret")
    await service.forget(DAVE)
    clock.advance(minutes=1)
    await say(service, DAVE)
    status = await service.get_status(DAVE, viewer_id=DAVE)
    assert status.custom_status is None and status.last_seen == clock.now
    assert len(await service.get_activity(DAVE)) == 1


async def test_forgetting_a_linked_person_erases_and_opts_out_every_account(service: PresenceService) -> None:
    await say(service, DAVE)
    await say(service, DAVE_DC, "discord:9")
    await service.link_account(DAVE_DC, await service.create_link_code(DAVE))
    leftover = await service.create_link_code(DAVE_DC)
    await service.set_tracking(DAVE, False)
    assert sorted(await service.forget(DAVE_DC)) == sorted([DAVE, DAVE_DC])
    await say(service, DAVE_DC, "discord:9")
    assert await service.get_online_users("discord:9") == []
    await say(service, BOB)
    try:
        await service.link_account(BOB, leftover)
    except Exception as error:  # noqa: BLE001 - the kind of error is the point
        assert type(error).__name__ == "InvalidLinkCodeError"
    else:
        raise AssertionError("a code issued before forget still worked")
