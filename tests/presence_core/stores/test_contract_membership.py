"""The store contract, part two: memberships by account, forgetting, do-not-track markers; every backend."""

from __future__ import annotations

from presence_core.linking import merge_records
from presence_core.models import Membership, PersonRecord
from presence_core.policy import DAY_MS, MINUTE_MS, Policy
from presence_core.stores.base import Store
from tests.presence_core.stores.test_contract import POLICY, T0, message


async def linked(store: Store, into: str, other: str) -> PersonRecord:
    """``other`` joined into ``into``, the record merged as the service does it."""
    records = await store.load([into, other])
    record, expected = records[into], records[into].version
    merge_records(record, records[other])
    assert await store.merge(record, expected, other)
    return (await store.load([into]))[into]


async def test_a_person_is_a_member_of_every_channel_any_of_their_accounts_was_seen_in(store: Store) -> None:
    await store.record([message("telegram:1", T0, "telegram:-5"), message("discord:2", T0 + 1, "discord:9"),
                        message("telegram:1", T0 + 2, "telegram:-6")], POLICY)
    await linked(store, "telegram:1", "discord:2")
    assert sorted(await store.memberships("telegram:1", 0), key=lambda m: m.last_seen) == [
        Membership("telegram:-5", "telegram:1", T0), Membership("discord:9", "discord:2", T0 + 1),
        Membership("telegram:-6", "telegram:1", T0 + 2)]
    assert [m.channel_id for m in await store.memberships("telegram:1", T0 + 1)] != []
    assert {m.channel_id for m in await store.memberships("telegram:1", T0 + 2)} == {"telegram:-6"}
    assert await store.memberships("console:nobody", 0) == []


async def test_memberships_of_several_people_answer_for_every_id_given(store: Store) -> None:
    await store.record([message("telegram:1", T0, "telegram:-5"), message("discord:2", T0 + 1, "discord:9"),
                        message("console:3", T0 + 2, "console:lobby")], POLICY)
    await linked(store, "telegram:1", "discord:2")
    ids = ["telegram:1", "console:3", "console:nobody", "telegram:1"]
    found = await store.memberships_of(ids, T0 + 1)
    assert found == {p: await store.memberships(p, T0 + 1) for p in ids}
    assert [m.channel_id for m in found["telegram:1"]] == ["discord:9"] and found["console:nobody"] == []
    assert await store.memberships_of([], 0) == {}


async def test_a_channel_lists_each_person_under_the_account_seen_there(store: Store) -> None:
    await store.record([message("console:work_alice", T0, "console:lobby", name="work_alice"),
                        message("console:anon_fox", T0 + 1, "console:secret", name="anon_fox")], POLICY)
    person = await linked(store, "console:work_alice", "console:anon_fox")
    assert person.names == {"console:work_alice": "work_alice", "console:anon_fox": "anon_fox"}
    assert [a for a, _ in (await store.channel_people("console:lobby", 0, 10))[0]] == ["console:work_alice"]
    assert [a for a, _ in (await store.channel_people("console:secret", 0, 10))[0]] == ["console:anon_fox"]
    await store.record([message("console:anon_fox", T0 + 2, "console:lobby")], POLICY)
    people, total = await store.channel_people("console:lobby", 0, 10)
    assert [(a, p.id) for a, p in people] == [("console:anon_fox", "console:work_alice")] and total == 2


async def test_an_ended_membership_is_gone_at_once_and_comes_back_with_new_activity(store: Store) -> None:
    await store.record([message("telegram:1", T0, "telegram:-5"), message("telegram:2", T0, "telegram:-5"),
                        message("telegram:1", T0, "telegram:-6")], POLICY)
    await store.end_membership("telegram:-5", ["telegram:1", "telegram:404"])
    assert [a for a, _ in (await store.channel_people("telegram:-5", 0, 10))[0]] == ["telegram:2"]
    assert {m.channel_id for m in await store.memberships("telegram:1", 0)} == {"telegram:-6"}
    await store.record([message("telegram:1", T0 + 5, "telegram:-5")], POLICY)
    assert {m.channel_id for m in await store.memberships("telegram:1", 0)} == {"telegram:-5", "telegram:-6"}


async def test_a_linked_account_leaving_ends_only_its_own_membership(store: Store) -> None:
    await store.record([message("telegram:1", T0, "console:both"), message("discord:2", T0, "console:both")], POLICY)
    await linked(store, "telegram:1", "discord:2")
    await store.end_membership("console:both", ["discord:2"])
    assert await store.memberships("telegram:1", 0) == [Membership("console:both", "telegram:1", T0)]


async def test_a_channel_that_changes_id_keeps_its_people(store: Store) -> None:
    await store.record([message("telegram:1", T0, "telegram:-4321"), message("telegram:2", T0 + 1, "telegram:-4321"),
                        message("telegram:2", T0 + 9, "telegram:-100999")], POLICY)
    await store.move_channel("telegram:-4321", "telegram:-100999")
    people, total = await store.channel_people("telegram:-100999", 0, 10)
    assert [a for a, _ in people] == ["telegram:2", "telegram:1"] and total == 2
    assert await store.channel_people("telegram:-4321", 0, 10) == ([], 0)
    assert await store.memberships("telegram:2", 0) == [Membership("telegram:-100999", "telegram:2", T0 + 9)]


async def test_dropping_a_channel_ends_every_membership_in_it(store: Store) -> None:
    await store.record([message("telegram:1", T0, "telegram:-5"), message("telegram:1", T0, "telegram:-6")], POLICY)
    await store.drop_channel("telegram:-5")
    assert await store.channel_people("telegram:-5", 0, 10) == ([], 0)
    assert [m.channel_id for m in await store.memberships("telegram:1", 0)] == ["telegram:-6"]


async def test_unlinking_takes_the_account_s_memberships_along(store: Store) -> None:
    await store.record([message("telegram:1", T0, "telegram:-5"), message("discord:2", T0, "discord:9")], POLICY)
    record = await linked(store, "telegram:1", "discord:2")
    expected = record.version
    record.linked.remove("discord:2")
    assert await store.split(record, expected, PersonRecord("discord:2"))
    assert [m.channel_id for m in await store.memberships("telegram:1", 0)] == ["telegram:-5"]
    assert [m.channel_id for m in await store.memberships("discord:2", 0)] == ["discord:9"]
    assert [(a, p.id) for a, p in (await store.channel_people("discord:9", 0, 10))[0]] == [("discord:2", "discord:2")]


async def test_memberships_not_renewed_within_the_ttl_end(store: Store) -> None:
    short = Policy(membership_ttl_ms=DAY_MS)
    await store.record([message("telegram:1", T0, "telegram:-5"), message("telegram:2", T0, "telegram:-5")], short)
    await store.record([message("telegram:1", T0 + 2 * DAY_MS, "telegram:-6")], short)
    await store.housekeep(T0 + 2 * DAY_MS, short)
    assert await store.memberships("telegram:1", T0 + DAY_MS) == [Membership("telegram:-6", "telegram:1", T0 + 2 * DAY_MS)]
    people, total = await store.channel_people("telegram:-5", T0 + DAY_MS, 10)
    assert (people, total) == ([], 0)


async def test_forget_erases_codes_of_every_account_and_keeps_a_marker_only_when_asked(store: Store) -> None:
    await store.record([message("telegram:1", T0, "telegram:-5"), message("discord:2", T0, "discord:9")], POLICY)
    await linked(store, "telegram:1", "discord:2")
    await store.put_code("code-of-telegram", "telegram:1", T0 + MINUTE_MS)
    await store.put_code("code-of-discord", "discord:2", T0 + MINUTE_MS)
    await store.forget("telegram:1", do_not_track=True)
    assert await store.take_code("code-of-telegram", T0) is None
    assert await store.take_code("code-of-discord", T0) is None
    assert await store.do_not_track(["telegram:1", "discord:2", "telegram:3"]) == {"telegram:1", "discord:2"}
    assert await store.memberships("telegram:1", 0) == [] and await store.memberships("discord:2", 0) == []

    assert await store.record([message("discord:2", T0 + 5, "discord:9")], POLICY) == []
    assert await store.load(["discord:2", "telegram:1"]) == {}
    assert await store.channel_people("discord:9", 0, 10) == ([], 0)

    assert await store.save(PersonRecord("discord:2"), 0)
    assert await store.record([message("discord:2", T0 + 6)], POLICY)
    await store.forget("discord:2")
    assert await store.do_not_track(["discord:2", "telegram:1"]) == {"telegram:1"}
    assert await store.record([message("discord:2", T0 + 7)], POLICY)
