"""Rooms of app devices (SPEC section 11) through the service, on every store backend."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from presence_core import InvalidArgumentError, PresenceError, PresenceService, Status
from presence_core.errors import RoomForbiddenError
from presence_core.models import RoomChange, RoomDevice, RoomMember
from presence_core.rooms import KEEP, LOCATION_MAX_BYTES, encode_location
from presence_core.tokens import device_id
from tests.support.clock import FakeClock

ALICE, BOB = "telegram:1", "discord:2"
LAPTOP, PHONE, BOB_APP = device_id(ALICE, "laptop"), device_id(ALICE, "phone"), device_id(BOB, "app")
DOC = "app:doc"


class RoomLog:
    def __init__(self, presence: PresenceService) -> None:
        self.changes: list[RoomChange] = []
        presence.on("room_change", self.changes.append)

    def seen(self) -> list[tuple[str, str, tuple[str | None, ...] | None]]:
        """(room, person, each device's location, or None for a leave), and forgets them."""
        out = [(c.room_id, c.person_id, None if c.member is None else tuple(d.location for d in c.member.devices))
               for c in self.changes]
        self.changes.clear()
        return out


async def names(presence: PresenceService, room: str = DOC, viewer: str = BOB) -> list[str]:
    return [m.person_id for m in await presence.get_room(room, viewer_id=viewer)]


async def test_a_heartbeat_in_a_room_joins_it_with_a_location_shown_to_the_room(service: PresenceService,
                                                                               clock: FakeClock) -> None:
    await service.record_activity(ALICE, user_name="alice")
    log = RoomLog(service)
    assert await service.room_heartbeat(ALICE, LAPTOP, DOC, {"line": 3}) == [DOC]
    assert log.seen() == [(DOC, ALICE, ('{"line":3}',))]
    [member] = await service.get_room(DOC, viewer_id=BOB)
    assert member == RoomMember(ALICE, ALICE, "alice", Status.ONLINE, None,
                                (RoomDevice("api laptop", clock.now, '{"line":3}'),))
    devices = {d.name: d for d in await service.get_devices(ALICE)}
    assert devices["api laptop"].last_seen == clock.now


async def test_the_same_heartbeat_again_writes_no_change_and_a_move_is_one_change(service: PresenceService,
                                                                                   clock: FakeClock) -> None:
    await service.room_heartbeat(ALICE, LAPTOP, DOC, "intro")
    log = RoomLog(service)
    clock.advance(10_000)
    await service.room_heartbeat(ALICE, LAPTOP, DOC)
    await service.room_heartbeat(ALICE, LAPTOP, DOC, "intro")
    assert log.seen() == []
    await service.room_heartbeat(ALICE, LAPTOP, DOC, "chapter 2")
    await service.room_heartbeat(ALICE, PHONE, DOC)
    assert log.seen() == [(DOC, ALICE, ('"chapter 2"',)), (DOC, ALICE, ('"chapter 2"', None))]
    await service.room_heartbeat(ALICE, LAPTOP, DOC, None)
    assert log.seen() == [(DOC, ALICE, (None, None))]


async def test_an_idle_device_leaves_after_a_missed_heartbeat_and_the_grace_period(service: PresenceService,
                                                                                    clock: FakeClock) -> None:
    lease = service.policy.room_lease_ms
    assert lease == service.policy.heartbeat_interval_ms + 15_000
    await service.room_heartbeat(ALICE, LAPTOP, DOC)
    await service.room_heartbeat(BOB, BOB_APP, DOC)
    log = RoomLog(service)
    for _ in range(4):  # heartbeats within the lease: no flap, however long
        clock.advance(lease - 1)
        await service.room_heartbeat(ALICE, LAPTOP)
        await service.sweep()
    assert log.seen() == [(DOC, BOB, None)]
    assert await names(service) == [ALICE]
    clock.advance(lease - 1)
    await service.sweep()
    assert log.seen() == []
    clock.advance(1)
    await service.sweep()
    assert log.seen() == [(DOC, ALICE, None)]
    assert await names(service) == []
    assert (await service.get_status(ALICE)).status == Status.ONLINE, "idle timers run as usual"


async def test_reads_never_show_a_lease_that_ran_out_before_the_sweep(service: PresenceService,
                                                                      clock: FakeClock) -> None:
    await service.room_heartbeat(ALICE, LAPTOP, DOC)
    clock.advance(service.policy.room_lease_ms)
    assert await names(service) == []


async def test_leaving_is_at_once_and_only_for_that_device(service: PresenceService) -> None:
    await service.room_heartbeat(ALICE, LAPTOP, DOC)
    await service.room_heartbeat(ALICE, PHONE, DOC)
    await service.room_heartbeat(ALICE, LAPTOP, "app:other")
    log = RoomLog(service)
    await service.leave_room(ALICE, LAPTOP, DOC)
    await service.leave_room(ALICE, LAPTOP, "app:never-joined")
    assert log.seen() == [(DOC, ALICE, (None,))]
    await service.leave_room(ALICE, PHONE, DOC)
    assert log.seen() == [(DOC, ALICE, None)]
    assert await names(service, "app:other") == [ALICE]


async def test_people_who_show_as_offline_are_never_listed(service: PresenceService) -> None:
    await service.room_heartbeat(ALICE, LAPTOP, DOC)
    await service.set_status(ALICE, "offline")
    assert await names(service) == []
    await service.set_status(ALICE, "online")
    assert await names(service) == [ALICE]
    await service.set_tracking(ALICE, False)
    assert await names(service) == []
    assert await service.room_heartbeat(ALICE, LAPTOP, "app:new") == []
    assert await names(service, "app:new") == []


async def test_status_and_custom_status_changes_reach_the_rooms(service: PresenceService) -> None:
    await service.room_heartbeat(ALICE, LAPTOP, DOC)
    log = RoomLog(service)
    await service.set_status(ALICE, "dnd")
    await service.set_custom_status(ALICE, "reviewing")
    assert [(c.member.status, c.member.custom_status) for c in log.changes if c.member] == [
        (Status.DND, None), (Status.DND, "reviewing")]


async def test_forget_and_revoke_leave_every_room_at_once(service: PresenceService) -> None:
    await service.create_token(ALICE, "laptop")
    await service.room_heartbeat(ALICE, LAPTOP, DOC)
    await service.room_heartbeat(BOB, BOB_APP, DOC)
    log = RoomLog(service)
    await service.revoke_token(ALICE, "laptop")
    assert log.seen() == [(DOC, ALICE, None)]
    await service.forget(BOB)
    assert log.seen() == [(DOC, BOB, None)]
    assert await names(service, viewer=ALICE) == []


async def test_platform_channels_are_open_only_to_people_seen_there(service: PresenceService) -> None:
    group = "telegram:-100"
    await service.record_activity(ALICE, {"channel_id": group}, user_name="alice")
    with pytest.raises(RoomForbiddenError):
        await service.get_room(group, viewer_id=BOB)
    with pytest.raises(RoomForbiddenError):
        await service.room_heartbeat(BOB, BOB_APP, group)
    assert await service.room_heartbeat(ALICE, LAPTOP, group) == [group]
    [member] = await service.get_room(group, viewer_id=ALICE)
    assert [d.name for d in member.devices] == ["api laptop"]
    with pytest.raises(InvalidArgumentError, match="only in app rooms"):
        await service.room_heartbeat(ALICE, LAPTOP, group, {"x": 1})


async def test_a_platform_channel_lists_the_people_seen_there_like_who(service: PresenceService) -> None:
    group = "discord:9"
    await service.record_activity(ALICE, {"channel_id": group})
    await service.record_activity(BOB, {"channel_id": group})
    await service.set_status(BOB, "offline")
    assert await names(service, group, ALICE) == [ALICE]


@pytest.mark.parametrize("room", ["", "doc", ":doc", "app:", "app:two words", "app:tab\t", "APP:doc", "app:" + "x" * 200,
                                  "app:\u202edoc"])
async def test_bad_room_ids_are_refused(service: PresenceService, room: str) -> None:
    with pytest.raises(InvalidArgumentError):
        await service.room_heartbeat(ALICE, LAPTOP, room)


def test_locations_are_small_shallow_json() -> None:
    assert encode_location({"cursor": {"line": 1, "col": [2, 3]}}) == '{"cursor":{"line":1,"col":[2,3]}}'
    assert encode_location("第 3 页") == '"第 3 页"'
    assert encode_location(None) is None
    assert len(encode_location("x" * (LOCATION_MAX_BYTES - 2)) or "") == LOCATION_MAX_BYTES
    for bad in ("x" * (LOCATION_MAX_BYTES - 1), [[[[[1]]]]], {"a": {"b": {"c": {"d": {}}}}}, float("nan"),
                {1: object()}, "\ud800", [[[[[[[[[[[]]]]]]]]]]]):
        with pytest.raises(InvalidArgumentError):
            encode_location(bad)


async def test_a_member_removed_from_a_chat_loses_its_room_at_once(service: PresenceService) -> None:
    group = "telegram:-100"
    for user in (ALICE, BOB):
        await service.record_activity(user, {"channel_id": group})
    await service.room_heartbeat(ALICE, LAPTOP, group)
    assert set(await names(service, group, BOB)) == {ALICE, BOB}
    await service.end_membership(group, [ALICE])
    with pytest.raises(RoomForbiddenError):
        await service.get_room(group, viewer_id=ALICE)
    with pytest.raises(RoomForbiddenError):
        await service.room_heartbeat(ALICE, LAPTOP, group)
    assert await names(service, group, BOB) == [BOB]


async def test_a_room_shows_a_linked_person_under_the_account_of_the_device_there(service: PresenceService) -> None:
    await service.record_activity(ALICE, user_name="alice on telegram")
    await service.record_activity(BOB, user_name="alice on discord")
    await service.link_account(BOB, await service.create_link_code(ALICE))
    await service.room_heartbeat(BOB, BOB_APP, DOC)
    [member] = await service.get_room(DOC, viewer_id=ALICE)
    assert (member.person_id, member.user_id, member.name) == (ALICE, BOB, "alice on discord")


async def test_one_sweep_works_off_more_due_people_than_one_batch(service: PresenceService, clock: FakeClock) -> None:
    """A big room's leases all fall due together: one sweep lets every idle device leave."""
    for i in range(25):
        await service.room_heartbeat(f"console:u{i}", device_id(f"console:u{i}", "app"), DOC)
    log = RoomLog(service)
    clock.advance(service.policy.room_lease_ms)
    await service.sweep(limit=10)
    assert len(log.seen()) == 25
    assert await names(service, viewer=ALICE) == []


async def test_a_heartbeat_is_admitted_only_once_every_check_has_passed(service: PresenceService) -> None:
    admitted: list[str] = []

    def admit(what: str) -> Callable[[], Awaitable[None]]:
        async def note() -> None:
            admitted.append(what)
        return note

    refused = [("app:two words", "here"), ("telegram:-100", None), ("telegram:-100", "here"), (DOC, "x" * 2_000)]
    for room, location in refused:
        with pytest.raises((InvalidArgumentError, RoomForbiddenError)):
            await service.room_heartbeat(ALICE, LAPTOP, room, location, admit=admit(room))
    assert admitted == []
    await service.room_heartbeat(ALICE, LAPTOP, DOC, admit=admit(DOC))
    assert admitted == [DOC]


async def test_a_heartbeat_the_admission_refuses_records_nothing(service: PresenceService) -> None:
    async def refuse() -> None:
        raise InvalidArgumentError("over the limit")

    with pytest.raises(InvalidArgumentError):
        await service.room_heartbeat(ALICE, LAPTOP, DOC, admit=refuse)
    await service.flush()
    assert await service.rooms.members(DOC) == []


async def test_refusals_carry_stable_codes(service: PresenceService) -> None:
    refusals = [("app:two words", KEEP, "invalid_room_id"), (DOC, {"a": {"b": {"c": {"d": {"e": 1}}}}}, "invalid_location"),
                (DOC, "x" * 2_000, "invalid_location"), ("telegram:-100", "here", "invalid_location"),
                ("telegram:-100", KEEP, "room_forbidden")]
    for room, location, code in refusals:
        with pytest.raises(PresenceError) as refused:
            await service.room_heartbeat(ALICE, LAPTOP, room, location)
        assert refused.value.code == code, (room, location)


async def test_a_device_leaving_a_chat_keeps_its_person_there_under_the_account_that_chat_knows(
        service: PresenceService) -> None:
    """Alice is telegram:1 linked with discord:2; the Discord channel knows only discord:2 (SPEC 6)."""
    chat = "discord:-9"
    await service.record_activity(BOB, {"channel_id": chat})
    await service.flush()
    await service.link_account(BOB, await service.create_link_code(ALICE))
    await service.room_heartbeat(BOB, BOB_APP, chat)
    log = RoomLog(service)
    await service.leave_room(BOB, BOB_APP, chat)
    [change] = log.changes
    assert change.member is not None and change.member.devices == ()
    assert change.member.user_id == BOB, "never the person's first account, which the chat never saw"
