"""The store contract for availability (SPEC section 12): fields, load changes, watches (desks: test_contract_desk)."""

from __future__ import annotations

import asyncio

from presence_core import availability, rules
from presence_core.models import (
    Activity,
    AvailabilityChange,
    LoadChange,
    PersonRecord,
    Transition,
    Watch,
)
from presence_core.policy import DAY_MS, HOUR_MS, MINUTE_MS, Policy
from presence_core.status import Status
from presence_core.stores.base import Store

T0 = 1_790_000_000_000  # a Monday, 14:13 UTC
POLICY = Policy()
SINCE = T0 - POLICY.membership_ttl_ms


def message(user: str, ts: int, channel: str | None = "console:desk") -> Activity:
    return Activity(user, user, "console", "message", ts, channel)


async def agent(store: Store, user: str, *, capacity: int | None = 3, load: int = 0, ts: int = T0,
                channel: str | None = "console:desk", **fields: object) -> PersonRecord:
    """A person who uses availability, settled and saved, then active in the channel at ``ts``."""
    record = PersonRecord(user, capacity=capacity, load=load, **fields)  # type: ignore[arg-type]
    rules.settle(record, ts, POLICY)
    assert await store.save(record, 0)
    await store.record([message(user, ts, channel)], POLICY)
    return (await store.load([user]))[user]


async def test_every_availability_field_survives_a_save_and_load(store: Store) -> None:
    record = PersonRecord("telegram:7", capacity=5, load=7, skills=["billing", "中文"], hours=[[540, 1080], [9960, 10080]],
                          hours_zone="Asia/Shanghai", last_pick=T0 - 9, available=True, open_from=T0 - 5,
                          open_until=T0 + 5)
    assert await store.save(record, 0)
    assert (await store.load(["telegram:7"]))["telegram:7"] == record


async def test_activity_announces_availability_only_for_people_who_use_it(store: Store) -> None:
    record = PersonRecord("console:ann", capacity=2)
    rules.settle(record, T0, POLICY)
    assert await store.save(record, 0)
    assert await store.record([message("console:ann", T0), message("console:bob", T0 + 1)], POLICY) == [
        Transition("console:ann", Status.OFFLINE, Status.ONLINE, T0), AvailabilityChange("console:ann", True, T0),
        Transition("console:bob", Status.OFFLINE, Status.ONLINE, T0 + 1)]
    assert (await store.load(["console:ann"]))["console:ann"].available


async def test_activity_outside_the_hours_window_is_not_available(store: Store) -> None:
    opens = T0 + HOUR_MS
    record = PersonRecord("console:ann", hours=[[0, 10080]], hours_zone="UTC", open_from=opens, open_until=opens + HOUR_MS)
    assert await store.save(record, 0)
    assert await store.record([message("console:ann", T0)], POLICY) == [
        Transition("console:ann", Status.OFFLINE, Status.ONLINE, T0)]
    assert await store.record([message("console:ann", opens)], POLICY) == [AvailabilityChange("console:ann", True, opens)]


async def test_a_full_person_coming_online_stays_unavailable(store: Store) -> None:
    record = PersonRecord("console:ann", capacity=2, load=2)
    assert await store.save(record, 0)
    assert await store.record([message("console:ann", T0)], POLICY) == [
        Transition("console:ann", Status.OFFLINE, Status.ONLINE, T0)]


async def test_change_load_applies_and_announces(store: Store) -> None:
    await agent(store, "console:ann", capacity=2)
    outcome = await store.change_load("console:ann", LoadChange(2), T0 + 1, POLICY)
    assert outcome.refused is None and outcome.record is not None
    assert (outcome.record.load, outcome.record.available) == (2, False)
    assert outcome.events == (AvailabilityChange("console:ann", False, T0 + 1),)
    stored = (await store.load(["console:ann"]))["console:ann"]
    assert (stored.load, stored.available) == (2, False)
    outcome = await store.change_load("console:ann", LoadChange(-5), T0 + 2, POLICY)
    assert outcome.record is not None and outcome.record.load == 0
    assert outcome.events == (AvailabilityChange("console:ann", True, T0 + 2),)


async def test_change_load_refuses_past_capacity_unless_forced(store: Store) -> None:
    await agent(store, "console:ann", capacity=2, load=1)
    refused = await store.change_load("console:ann", LoadChange(2), T0 + 1, POLICY)
    assert refused.refused == "full" and refused.events == ()
    assert (await store.load(["console:ann"]))["console:ann"].load == 1
    forced = await store.change_load("console:ann", LoadChange(2, force=True), T0 + 1, POLICY)
    assert forced.refused is None and forced.record is not None and forced.record.load == 3
    beyond = await store.change_load("console:ann", LoadChange(availability.MAX_LOAD, force=True), T0 + 1, POLICY)
    assert beyond.refused == "full"


async def test_a_pick_needs_the_person_available_and_the_load_it_chose_by(store: Store) -> None:
    await agent(store, "console:ann", capacity=2)
    changed = await store.change_load("console:ann", LoadChange(1, pick=True, expected_load=1), T0 + 1, POLICY)
    assert changed.refused == "changed"
    picked = await store.change_load("console:ann", LoadChange(1, pick=True, expected_load=0), T0 + 1, POLICY)
    assert picked.refused is None and picked.record is not None
    assert (picked.record.load, picked.record.last_pick) == (1, T0 + 1)
    await store.record([message("console:ann", T0 + 2)], POLICY)
    assert await store.save(away := (await store.load(["console:ann"]))["console:ann"], away.version)
    record = (await store.load(["console:ann"]))["console:ann"]
    record.manual, record.manual_since = Status.DND, T0 + 3
    rules.settle(record, T0 + 3, POLICY)
    assert await store.save(record, record.version)
    unavailable = await store.change_load("console:ann", LoadChange(1, pick=True), T0 + 4, POLICY)
    assert unavailable.refused == "unavailable"


async def test_change_load_of_a_due_person_settles_them_first(store: Store) -> None:
    await agent(store, "console:ann", capacity=2)
    later = T0 + POLICY.away_after_ms + 1
    outcome = await store.change_load("console:ann", LoadChange(1, pick=True), later, POLICY)
    assert outcome.refused == "unavailable"
    outcome = await store.change_load("console:ann", LoadChange(1), later, POLICY)
    assert outcome.refused is None and outcome.record is not None and outcome.record.published is Status.AWAY
    assert Transition("console:ann", Status.ONLINE, Status.AWAY, later) in outcome.events
    assert AvailabilityChange("console:ann", False, later) in outcome.events


async def test_change_load_of_nobody_is_unknown(store: Store) -> None:
    assert (await store.change_load("console:nobody", LoadChange(1), T0, POLICY)).refused == "unknown"


async def test_concurrent_picks_never_pass_the_capacity(store: Store) -> None:
    await agent(store, "console:ann", capacity=3)
    outcomes = await asyncio.gather(*(store.change_load("console:ann", LoadChange(1, pick=True), T0 + 1, POLICY)
                                      for _ in range(12)))
    assert sum(o.refused is None for o in outcomes) == 3
    assert (await store.load(["console:ann"]))["console:ann"].load == 3
    assert sum(len(o.events) for o in outcomes) == 1


def watch(watcher: str, target: str, expires: int = T0 + DAY_MS, channel: str = "console:desk") -> Watch:
    return Watch(watcher, target, channel, expires, T0, "zh-CN")


async def test_watches_are_listed_both_ways_and_replaced_per_target(store: Store) -> None:
    assert await store.add_watch(watch("telegram:1", "console:ann"), 10, T0)
    assert await store.add_watch(watch("telegram:1", "console:ann", T0 + HOUR_MS), 10, T0)
    assert await store.add_watch(watch("discord:2", "console:ann"), 10, T0)
    assert await store.watches(["telegram:1"], T0) == [watch("telegram:1", "console:ann", T0 + HOUR_MS)]
    assert {w.watcher_id for w in await store.watchers(["console:ann"], T0)} == {"telegram:1", "discord:2"}
    assert await store.watches(["telegram:1"], T0 + HOUR_MS) == []


async def test_a_watcher_has_at_most_the_limit_of_watches(store: Store) -> None:
    for i in range(3):
        assert await store.add_watch(watch("telegram:1", f"console:{i}"), 3, T0)
    assert not await store.add_watch(watch("telegram:1", "console:3"), 3, T0)
    assert await store.add_watch(watch("telegram:1", "console:2", T0 + 2 * DAY_MS), 3, T0)
    assert await store.remove_watch("telegram:1", "console:0")
    assert not await store.remove_watch("telegram:1", "console:0")
    assert await store.add_watch(watch("telegram:1", "console:3"), 3, T0)
    expired = watch("telegram:9", "console:x", T0 + MINUTE_MS)
    assert await store.add_watch(expired, 1, T0)
    assert await store.add_watch(watch("telegram:9", "console:y"), 1, T0 + MINUTE_MS)


async def test_a_claim_hands_each_watch_out_once_and_only_for_its_platforms(store: Store) -> None:
    await store.add_watch(watch("telegram:1", "console:ann"), 10, T0)
    await store.add_watch(watch("discord:2", "console:ann"), 10, T0)
    await store.add_watch(watch("telegram:3", "console:ann", T0 + 5), 10, T0)
    claims = await asyncio.gather(*(store.claim_watches(["console:ann", "console:ann2"], ["telegram"], T0 + 10)
                                    for _ in range(4)))
    assert sorted(w.watcher_id for claim in claims for w in claim) == ["telegram:1"]
    assert await store.watches(["telegram:1"], T0) == []
    assert [w.watcher_id for w in await store.watchers(["console:ann"], T0 + 10)] == ["discord:2"]


async def test_forget_availability_erases_watches_both_ways(store: Store) -> None:
    await agent(store, "console:ann")
    await store.add_watch(watch("console:ann", "console:bob"), 10, T0)
    await store.add_watch(watch("console:bob", "console:ann"), 10, T0)
    await store.add_watch(watch("console:bob", "console:cat"), 10, T0)
    await store.forget_availability("console:ann", ["console:ann"])
    assert await store.watches(["console:ann"], T0) == []
    assert [w.target_id for w in await store.watches(["console:bob"], T0)] == ["console:cat"]
    assert await store.watchers(["console:ann", "console:bob"], T0) == []
