"""The store contract: every backend must pass this very suite (see tests/conftest.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from presence_core.models import Activity, DeviceRecord, PersonRecord, RoomLease, TokenRecord, Transition
from presence_core.policy import DAY_MS, MINUTE_MS, Policy
from presence_core.status import Status
from presence_core.stores.base import Store

T0 = 1_790_000_000_000
POLICY = Policy()


def message(user: str, ts: int, channel: str | None = "console:lobby", *, device: str | None = None,
            name: str | None = None, logged: bool = True) -> Activity:
    return Activity(user, device or user, "console", "message", ts, channel, name, logged)


async def test_first_activity_of_unknown_person_is_offline_to_online_once(store: Store) -> None:
    assert await store.record([message("console:alice", T0)], POLICY) == [
        Transition("console:alice", Status.OFFLINE, Status.ONLINE, T0)]
    assert await store.record([message("console:alice", T0 + 1)], POLICY) == []


async def test_a_batch_reports_each_real_change_once_in_batch_order(store: Store) -> None:
    batch = [message("console:a", T0), message("console:b", T0 + 1), message("console:a", T0 + 2)]
    transitions = await store.record(batch, POLICY)
    assert [(t.user_id, t.new) for t in transitions] == [("console:a", Status.ONLINE), ("console:b", Status.ONLINE)]


async def test_recording_updates_person_and_device(store: Store) -> None:
    await store.record([message("console:alice", T0, name="Alice")], POLICY)
    await store.record([message("console:alice", T0 + 5, device="console:alice/phone")], POLICY)
    record = (await store.load(["console:alice"]))["console:alice"]
    assert record.names == {"console:alice": "Alice"}
    assert record.last_seen == T0 + 5
    assert record.published is Status.ONLINE
    assert record.devices["console:alice"].last_seen == T0
    assert record.devices["console:alice/phone"].last_seen == T0 + 5
    assert record.due == T0 + POLICY.away_after_ms
    assert record.version >= 1


async def test_every_record_field_survives_a_save_and_load(store: Store) -> None:
    record = PersonRecord(
        "telegram:42", manual=Status.DND, manual_expires=T0 + 9, manual_since=T0 - 3,
        custom="交易BTC \"quoted\" {x}", custom_expires=T0 + 7, last_seen=T0 - 1, published=Status.DND,
        tracking=False, changed_at=T0 - 2, last_sync=T0 - 4, sticky=Status.DND, sticky_until=T0 + 9, due=T0 + 7,
        devices={"telegram:42": DeviceRecord("telegram:42", "telegram", T0 - 1, None, None, T0 - 1),
                 "discord:7/mobile": DeviceRecord("discord:7/mobile", "discord mobile", None, Status.AWAY,
                                                  T0 + 5, None)},
        linked=["discord:7"], names={"telegram:42": "名字 💬", "discord:7": "n@me,:{x}"},
        usernames={"telegram:42": "alice", "discord:7": "un@me"}, privacy="nobody",
        custom_shown="before {hiding}", custom_shown_expires=T0 + 3,
    )
    assert await store.save(record, 0)
    assert record.version == 1
    loaded = (await store.load(["telegram:42"]))["telegram:42"]
    assert loaded == record


async def test_recording_keeps_each_accounts_username_apart_from_its_display_name(store: Store) -> None:
    await store.record([message("console:alice", T0, name="Alice A.")], POLICY)
    await store.record([replace(message("console:alice", T0 + 1), username="alice")], POLICY)
    record = (await store.load(["console:alice"]))["console:alice"]
    assert (record.names, record.usernames) == ({"console:alice": "Alice A."}, {"console:alice": "alice"})


async def test_load_returns_only_existing_people_as_independent_copies(store: Store) -> None:
    await store.record([message("console:alice", T0)], POLICY)
    loaded = await store.load(["console:alice", "console:nobody"])
    assert set(loaded) == {"console:alice"}
    loaded["console:alice"].names["console:alice"] = "changed"
    loaded["console:alice"].devices.clear()
    again = (await store.load(["console:alice"]))["console:alice"]
    assert "console:alice" not in again.names and again.devices


async def test_save_is_compare_and_set_on_version(store: Store) -> None:
    assert await store.save(PersonRecord("console:bob", custom="first"), 0)
    assert not await store.save(PersonRecord("console:bob", custom="second"), 0)
    current = (await store.load(["console:bob"]))["console:bob"]
    stale = current.copy()
    current.custom = "third"
    assert await store.save(current, current.version)
    stale.custom = "lost update"
    assert not await store.save(stale, stale.version)
    assert (await store.load(["console:bob"]))["console:bob"].custom == "third"


async def test_recording_bumps_the_version_so_a_concurrent_save_fails(store: Store) -> None:
    await store.record([message("console:alice", T0)], POLICY)
    before = (await store.load(["console:alice"]))["console:alice"]
    await store.record([message("console:alice", T0 + 1)], POLICY)
    assert not await store.save(before, before.version)


@pytest.mark.parametrize("chosen", [Status.AWAY, Status.DND, Status.OFFLINE])
async def test_a_status_chosen_by_hand_survives_activity(store: Store, chosen: Status) -> None:
    record = PersonRecord("console:carol", manual=chosen, manual_since=T0 - 5, published=chosen, sticky=chosen)
    assert await store.save(record, 0)
    assert await store.record([message("console:carol", T0)], POLICY) == []
    stored = (await store.load(["console:carol"]))["console:carol"]
    assert stored.manual is chosen and stored.published is chosen and stored.last_seen == T0


async def test_an_expired_sticky_status_no_longer_holds_activity_back(store: Store) -> None:
    record = PersonRecord("console:erin", manual=Status.DND, manual_expires=T0, published=Status.DND,
                          sticky=Status.DND, sticky_until=T0)
    assert await store.save(record, 0)
    assert await store.record([message("console:erin", T0 + 1)], POLICY) == [
        Transition("console:erin", Status.DND, Status.ONLINE, T0 + 1)]


async def test_tracking_off_records_nothing(store: Store) -> None:
    assert await store.save(PersonRecord("console:quiet", tracking=False), 0)
    assert await store.record([message("console:quiet", T0)], POLICY) == []
    record = (await store.load(["console:quiet"]))["console:quiet"]
    assert record.devices == {} and record.last_seen is None
    assert await store.activity("console:quiet", 10, None) == []
    assert await store.channel_people("console:lobby", 0, 10) == ([], 0)


async def test_activity_log_is_newest_first_with_limit_and_since(store: Store) -> None:
    await store.record([message("console:alice", T0 + i, f"console:c{i}") for i in range(5)], POLICY)
    events = await store.activity("console:alice", 3, None)
    assert [e.channel_id for e in events] == ["console:c4", "console:c3", "console:c2"]
    assert [e.timestamp for e in await store.activity("console:alice", 10, T0 + 3)] == [T0 + 4, T0 + 3]
    assert events[0].type == "message" and events[0].device_id == "console:alice"


async def test_heartbeats_are_not_logged(store: Store) -> None:
    await store.record([message("console:alice", T0, logged=False)], POLICY)
    assert await store.activity("console:alice", 10, None) == []
    assert (await store.load(["console:alice"]))["console:alice"].last_seen == T0


async def test_activity_log_is_capped_by_count_and_age(store: Store) -> None:
    small = Policy(activity_max_count=3, activity_max_age_ms=DAY_MS)
    await store.record([message("console:alice", T0 + i) for i in range(5)], small)
    assert [e.timestamp for e in await store.activity("console:alice", 50, None)] == [T0 + 4, T0 + 3, T0 + 2]
    await store.record([message("console:alice", T0 + 2 * DAY_MS)], small)
    assert [e.timestamp for e in await store.activity("console:alice", 50, None)] == [T0 + 2 * DAY_MS]


async def test_channel_people_most_recent_first_with_total_and_window(store: Store) -> None:
    await store.record([message(f"console:u{i}", T0 + i * MINUTE_MS, "console:room") for i in range(6)], POLICY)
    await store.record([message("console:elsewhere", T0, "console:other")], POLICY)
    people, total = await store.channel_people("console:room", T0, 3)
    assert [(a, p.id) for a, p in people] == [("console:u5", "console:u5"), ("console:u4", "console:u4"),
                                             ("console:u3", "console:u3")]
    assert total == 6
    people, total = await store.channel_people("console:room", T0 + 4 * MINUTE_MS, 10)
    assert [p.id for _, p in people] == ["console:u5", "console:u4"] and total == 2
    assert [p.id for _, p in (await store.channel_people("console:room", T0, 10))[0]] == [
        f"console:u{i}" for i in range(5, -1, -1)], "people outside a window are members still"
    assert await store.channel_people("console:nowhere", 0, 10) == ([], 0)


async def test_due_lists_people_whose_time_has_come_earliest_first(store: Store) -> None:
    for name, due in (("console:late", T0 + 20), ("console:early", T0 + 10), ("console:later", T0 + 99)):
        assert await store.save(PersonRecord(name, due=due), 0)
    assert await store.save(PersonRecord("console:never"), 0)
    assert await store.due(T0 + 50, 10) == ["console:early", "console:late"]
    assert await store.due(T0 + 50, 1) == ["console:early"]
    assert await store.due(T0, 10) == []


async def test_due_follows_saves(store: Store) -> None:
    assert await store.save(PersonRecord("console:x", due=T0), 0)
    record = (await store.load(["console:x"]))["console:x"]
    record.due = None
    assert await store.save(record, record.version)
    assert await store.due(T0 + 1, 10) == []


async def test_ids_that_look_like_key_syntax_never_reach_each_other(store: Store) -> None:
    ids = ["console:a", "console:a:", "console:a}", "console:{a}", "console:a*", "console:a\nb", "console:a/b",
           "console:a b", "console:a\\", "console:aa"]
    await store.record([message(uid, T0 + i, uid) for i, uid in enumerate(ids)], POLICY)
    records = await store.load(ids)
    assert {uid: r.last_seen for uid, r in records.items()} == {uid: T0 + i for i, uid in enumerate(ids)}
    for i, uid in enumerate(ids):
        assert [e.timestamp for e in await store.activity(uid, 50, None)] == [T0 + i]
        people, total = await store.channel_people(uid, 0, 10)
        assert [(a, p.id) for a, p in people] == [(uid, uid)] and total == 1


async def test_resolve_maps_unlinked_accounts_to_themselves(store: Store) -> None:
    assert await store.resolve(["telegram:1", "discord:2"]) == {"telegram:1": "telegram:1", "discord:2": "discord:2"}


async def test_merge_moves_history_channels_and_accounts(store: Store) -> None:
    await store.record([message("telegram:1", T0, "telegram:-5"), message("discord:2", T0 + 1, "discord:9")], POLICY)
    into = (await store.load(["telegram:1"]))["telegram:1"]
    expected = into.version
    into.linked.append("discord:2")
    assert await store.merge(into, expected, "discord:2")
    assert await store.resolve(["discord:2", "telegram:1"]) == {"discord:2": "telegram:1", "telegram:1": "telegram:1"}
    assert await store.load(["discord:2"]) == {}
    assert [e.timestamp for e in await store.activity("telegram:1", 10, None)] == [T0 + 1, T0]
    assert [(a, p.id) for a, p in (await store.channel_people("discord:9", 0, 10))[0]] == [("discord:2", "telegram:1")]
    assert await store.record([message("discord:2", T0 + 2, "discord:9")], POLICY) == []
    assert [e.timestamp for e in await store.activity("telegram:1", 10, None)][0] == T0 + 2


async def test_merge_is_refused_when_the_target_changed(store: Store) -> None:
    await store.record([message("telegram:1", T0), message("discord:2", T0)], POLICY)
    into = (await store.load(["telegram:1"]))["telegram:1"]
    assert not await store.merge(into, into.version - 1, "discord:2")
    assert set(await store.load(["discord:2", "telegram:1"])) == {"discord:2", "telegram:1"}
    assert await store.resolve(["discord:2"]) == {"discord:2": "discord:2"}


async def test_split_gives_an_account_back_its_own_person(store: Store) -> None:
    await store.record([message("telegram:1", T0), message("discord:2", T0 + 1)], POLICY)
    into = (await store.load(["telegram:1"]))["telegram:1"]
    into.linked.append("discord:2")
    assert await store.merge(into, into.version, "discord:2")
    record = (await store.load(["telegram:1"]))["telegram:1"]
    expected = record.version
    record.linked.remove("discord:2")
    assert await store.split(record, expected, PersonRecord("discord:2", names={"discord:2": "split"}))
    assert await store.resolve(["discord:2"]) == {"discord:2": "discord:2"}
    assert (await store.load(["discord:2"]))["discord:2"].names == {"discord:2": "split"}
    assert await store.record([message("discord:2", T0 + 5)], POLICY)
    assert [e.timestamp for e in await store.activity("discord:2", 10, None)] == [T0 + 5]


async def test_forget_leaves_nothing_behind(store: Store) -> None:
    await store.record([message("telegram:1", T0, "telegram:-5"), message("discord:2", T0, "discord:9")], POLICY)
    into = (await store.load(["telegram:1"]))["telegram:1"]
    into.linked.append("discord:2")
    into.due = T0
    assert await store.merge(into, into.version, "discord:2")
    await store.put_code("hash-of-code", "telegram:1", T0 + MINUTE_MS)
    await store.forget("telegram:1")
    assert await store.load(["telegram:1", "discord:2"]) == {}
    assert await store.activity("telegram:1", 10, None) == []
    assert await store.channel_people("telegram:-5", 0, 10) == ([], 0)
    assert await store.channel_people("discord:9", 0, 10) == ([], 0)
    assert await store.resolve(["discord:2"]) == {"discord:2": "discord:2"}
    assert await store.due(T0 + DAY_MS, 10) == []
    assert await store.take_code("hash-of-code", T0) is None


async def test_link_codes_work_once_and_expire(store: Store) -> None:
    await store.put_code("h1", "telegram:1", T0 + 10)
    assert await store.take_code("h1", T0) == "telegram:1"
    assert await store.take_code("h1", T0) is None
    await store.put_code("h2", "telegram:1", T0 + 10)
    assert await store.take_code("h2", T0 + 10) is None
    assert await store.take_code("never-issued", T0) is None


async def test_hits_count_per_key_within_a_window(store: Store) -> None:
    window = MINUTE_MS
    start = (T0 // window) * window
    assert [await store.hit("link:telegram:1", window, start + i) for i in range(3)] == [1, 2, 3]
    assert await store.hit("link:telegram:2", window, start) == 1
    assert await store.hit("link:telegram:1", window, start + window) == 1


async def test_close_can_be_called_twice(store: Store) -> None:
    await store.record([message("console:alice", T0)], POLICY)
    await store.close()
    await store.close()


async def test_housekeeping_keeps_the_codes_and_windows_that_are_still_valid(store: Store) -> None:
    """What is removed cannot be observed through the contract (it had expired); what stays can."""
    window = MINUTE_MS
    start = T0 - T0 % window
    await store.put_code("old", "telegram:1", start + 10)
    await store.put_code("fresh", "telegram:1", start + 10 * MINUTE_MS)
    await store.hit("cmd:a", window, start)
    await store.hit("cmd:b", 10 * window, start)
    await store.housekeep(start + window, POLICY)
    assert await store.take_code("old", start + window) is None
    assert await store.take_code("fresh", start + window) == "telegram:1"
    assert await store.hit("cmd:a", window, start + window) == 1
    assert await store.hit("cmd:b", 10 * window, start + window) == 2


async def test_channel_names_are_remembered_and_replaced(store: Store) -> None:
    await store.name_channels({"telegram:-5": "Dev Team", "discord:9": "#general"})
    await store.name_channels({"telegram:-5": "Dev Team 🚀 (renamed)"})
    assert await store.channel_names(["telegram:-5", "discord:9", "console:dm/you", "telegram:-5"]) == {
        "telegram:-5": "Dev Team 🚀 (renamed)", "discord:9": "#general"}
    assert await store.channel_names([]) == {}


def token(name: str, owner: str = "telegram:1", *, at: int = T0) -> TokenRecord:
    return TokenRecord(f"hash-of-{owner}-{name}", owner, name, at)


async def test_tokens_are_found_by_hash_listed_by_owner_and_unique_by_name(store: Store) -> None:
    assert await store.add_token(token("laptop"))
    assert await store.add_token(token("phone"))
    assert await store.add_token(token("laptop", "discord:2"))
    assert not await store.add_token(TokenRecord("another-hash", "telegram:1", "laptop", T0 + 1))
    assert await store.find_token("another-hash") is None
    assert await store.find_token("hash-of-telegram:1-laptop") == token("laptop")
    assert await store.find_token("never-issued") is None
    assert sorted(t.name for t in await store.tokens(["telegram:1"])) == ["laptop", "phone"]
    assert sorted((t.owner, t.name) for t in await store.tokens(["telegram:1", "discord:2"])) == [
        ("discord:2", "laptop"), ("telegram:1", "laptop"), ("telegram:1", "phone")]
    assert await store.tokens(["nobody:1"]) == []


async def test_a_revoked_token_is_gone_and_its_name_free_again(store: Store) -> None:
    assert await store.add_token(token("laptop"))
    assert await store.revoke_token("telegram:1", "laptop")
    assert not await store.revoke_token("telegram:1", "laptop")
    assert await store.find_token("hash-of-telegram:1-laptop") is None
    await store.touch_token("hash-of-telegram:1-laptop", T0 + 5)
    assert await store.find_token("hash-of-telegram:1-laptop") is None
    assert await store.tokens(["telegram:1"]) == []
    assert await store.add_token(TokenRecord("new-hash", "telegram:1", "laptop", T0 + 9))
    assert [t.hash for t in await store.tokens(["telegram:1"])] == ["new-hash"]


async def test_a_token_remembers_when_it_was_last_used(store: Store) -> None:
    assert await store.add_token(token("laptop"))
    await store.touch_token("hash-of-telegram:1-laptop", T0 + 60_000)
    assert (await store.find_token("hash-of-telegram:1-laptop")) == TokenRecord(
        "hash-of-telegram:1-laptop", "telegram:1", "laptop", T0, T0 + 60_000)
    assert [t.last_used for t in await store.tokens(["telegram:1"])] == [T0 + 60_000]


async def test_forget_erases_the_tokens_of_every_account_of_the_person(store: Store) -> None:
    await store.record([message("telegram:1", T0), message("discord:2", T0)], POLICY)
    into = (await store.load(["telegram:1"]))["telegram:1"]
    into.linked.append("discord:2")
    assert await store.merge(into, into.version, "discord:2")
    assert await store.add_token(token("laptop"))
    assert await store.add_token(token("phone", "discord:2"))
    assert await store.add_token(token("kept", "console:other"))
    await store.forget("telegram:1")
    assert await store.tokens(["telegram:1", "discord:2"]) == []
    assert await store.find_token("hash-of-discord:2-phone") is None
    assert [t.name for t in await store.tokens(["console:other"])] == ["kept"]


async def test_room_leases_survive_a_save_and_load_and_activity(store: Store) -> None:
    device = DeviceRecord("telegram:1/api/laptop", "api laptop", T0, synced_at=T0,
                          rooms={"app:doc": RoomLease(T0 - 5, '{"line":3,"col":"x,y"}'), "app:其他": RoomLease(T0)})
    record = PersonRecord("telegram:1", last_seen=T0, devices={device.id: device})
    assert await store.save(record, 0)
    assert (await store.load(["telegram:1"]))["telegram:1"] == record
    await store.record([message("telegram:1", T0 + 1, device="telegram:1/api/laptop", logged=False)], POLICY)
    loaded = (await store.load(["telegram:1"]))["telegram:1"]
    assert loaded.devices["telegram:1/api/laptop"].rooms == device.rooms
    assert loaded.devices["telegram:1/api/laptop"].last_seen == T0 + 1
