"""The store contract for a channel's desk (SPEC section 12): who is on it, and as what, after every
kind of change (a single Redis answers from cards that every write keeps; the others from records)."""

from __future__ import annotations

from presence_core import linking, rules
from presence_core.models import Activity, AvailableUser, DeskView, LoadChange, Membership
from presence_core.policy import MINUTE_MS
from presence_core.status import Status
from presence_core.stores.base import Store
from tests.presence_core.stores.test_contract_availability import POLICY, SINCE, T0, agent, message

DESK = "console:desk"


async def view(store: Store, now: int = T0 + 10, channel: str = DESK, since: int = SINCE) -> DeskView:
    return await store.desk_view(channel, since, now)


def ready(desk: DeskView) -> dict[str, AvailableUser]:
    return {u.user_id: u for u in desk.available}


def due(desk: DeskView) -> list[str]:
    return sorted(account for account, _ in desk.due)


async def test_the_desk_lists_members_who_use_availability_and_no_one_else(store: Store) -> None:
    await agent(store, "console:ann")
    await agent(store, "console:cat", capacity=None, skills=["billing"], ts=T0 + 5)
    await store.record([message("console:bob", T0)], POLICY)
    await agent(store, "console:elsewhere", channel="console:other")
    desk = await view(store)
    assert ready(desk) == {"console:ann": AvailableUser("console:ann", None, 0, 3, (), None),
                           "console:cat": AvailableUser("console:cat", None, 0, None, ("billing",), None)}
    assert desk.due == []
    assert await view(store, since=T0 + 6) == DeskView([], [])


async def test_the_desk_follows_new_channels_of_people_who_use_availability(store: Store) -> None:
    await agent(store, "console:ann")
    await store.record([message("console:ann", T0 + 1, "console:new")], POLICY)
    assert list(ready(await view(store, T0 + 2, "console:new"))) == ["console:ann"]


async def test_set_desk_lists_and_unlists_and_move_desk_follows_a_channel(store: Store) -> None:
    await agent(store, "console:ann", channel=None)
    await store.set_desk([Membership("console:a", "console:ann", T0), Membership("console:b", "console:ann", T0)], True)
    assert list(ready(await view(store, T0, "console:a"))) == ["console:ann"]
    await store.set_desk([Membership("console:a", "console:ann", 0)], False)
    assert await view(store, T0, "console:a") == DeskView([], [])
    await store.move_desk("console:b", "console:c")
    assert await view(store, T0, "console:b") == DeskView([], [])
    assert list(ready(await view(store, T0, "console:c"))) == ["console:ann"]
    await store.move_desk("console:c", None)
    assert await view(store, T0, "console:c") == DeskView([], [])


async def test_people_due_come_whole_for_the_caller_to_settle(store: Store) -> None:
    await agent(store, "console:ann")
    await agent(store, "console:full", load=3)
    assert (list(ready(await view(store, T0 + 1))), due(await view(store, T0 + 1))) == (["console:ann"], [])
    ann = (await store.load(["console:ann"]))["console:ann"]
    assert ann.due is not None
    # once due, an announcement may be stale (here: both went away): neither is listed as available
    desk = await view(store, ann.due)
    assert desk.available == [] and due(desk) == ["console:ann", "console:full"]
    assert dict(desk.due)["console:ann"] == ann


async def test_the_desk_shows_a_person_as_every_change_left_them(store: Store) -> None:
    await agent(store, "console:ann")
    await store.change_load("console:ann", LoadChange(1, pick=True), T0 + 1, POLICY)
    assert ready(await view(store))["console:ann"] == AvailableUser("console:ann", None, 1, 3, (), T0 + 1)
    await store.record([Activity("console:ann", "console:ann", "console", "message", T0 + 2, DESK, "Ann")], POLICY)
    assert ready(await view(store))["console:ann"].name == "Ann"
    record = (await store.load(["console:ann"]))["console:ann"]
    record.capacity, record.skills = 2, ["billing"]
    rules.settle(record, T0 + 3, POLICY)
    assert await store.save(record, record.version)
    assert ready(await view(store))["console:ann"] == AvailableUser("console:ann", "Ann", 1, 2, ("billing",), T0 + 1)
    await store.change_load("console:ann", LoadChange(1), T0 + 4, POLICY)
    assert await view(store) == DeskView([], [])  # full
    await store.change_load("console:ann", LoadChange(-2), T0 + 5, POLICY)
    assert ready(await view(store))["console:ann"].load == 0
    record = (await store.load(["console:ann"]))["console:ann"]
    record.manual, record.manual_since = Status.DND, T0 + 6
    rules.settle(record, T0 + 6, POLICY)
    assert await store.save(record, record.version)
    assert await view(store) == DeskView([], [])
    record.capacity, record.skills, record.manual = None, [], None
    rules.settle(record, T0 + 7, POLICY)
    assert await store.save(record, record.version)  # no longer uses availability: off the desk
    assert await view(store) == DeskView([], [])


async def test_linked_people_are_listed_once_under_their_latest_account_and_apart_again_after_unlink(
        store: Store) -> None:
    await agent(store, "console:ann", load=1)
    await agent(store, "console:bob", capacity=None, ts=T0 + 5)
    records = await store.load(["console:ann", "console:bob"])
    into, expected = records["console:ann"], records["console:ann"].version
    linking.merge_records(into, records["console:bob"])
    rules.settle(into, T0 + 6, POLICY)
    assert await store.merge(into, expected, "console:bob")
    await store.set_desk(await store.memberships("console:ann", SINCE), True)  # as the service does
    assert ready(await view(store)) == {"console:bob": AvailableUser("console:bob", None, 1, 3, (), None)}
    record = (await store.load(["console:ann"]))["console:ann"]
    expected = record.version
    split_off = linking.split_record(record, "console:bob")
    rules.settle(record, T0 + 7, POLICY)
    rules.settle(split_off, T0 + 7, POLICY)
    assert await store.split(record, expected, split_off)
    assert ready(await view(store)) == {"console:ann": AvailableUser("console:ann", None, 1, 3, (), None)}


async def test_forgotten_people_leave_the_desk_even_if_they_spoke_meanwhile(store: Store) -> None:
    await agent(store, "console:ann")
    await store.forget_availability("console:ann", ["console:ann"])
    await store.record([message("console:ann", T0 + 2 * MINUTE_MS)], POLICY)  # a message racing the forget
    await store.forget("console:ann")
    assert await view(store) == DeskView([], [])


async def test_a_member_who_left_is_off_the_desk(store: Store) -> None:
    await agent(store, "console:ann")
    await agent(store, "console:bob")
    await store.end_membership(DESK, ["console:ann"])
    await store.set_desk([Membership(DESK, "console:ann", 0)], False)  # as the service does
    assert list(ready(await view(store))) == ["console:bob"]


async def test_a_channel_that_moves_takes_its_desk_as_it_is_now_and_one_dropped_has_none(store: Store) -> None:
    await agent(store, "console:ann")
    await store.move_channel(DESK, "console:moved")
    await store.change_load("console:ann", LoadChange(1, pick=True), T0 + 1, POLICY)  # between the two steps
    await store.move_desk(DESK, "console:moved")
    assert await view(store) == DeskView([], [])
    assert ready(await view(store, channel="console:moved")) == {
        "console:ann": AvailableUser("console:ann", None, 1, 3, (), T0 + 1)}
    await store.drop_channel("console:moved")
    await store.move_desk("console:moved", None)
    assert await view(store, channel="console:moved") == DeskView([], [])
