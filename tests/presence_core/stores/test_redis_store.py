"""What the Redis store promises beyond the shared contract: round trips, key layout, bounds, events."""

from __future__ import annotations

import asyncio
import inspect
import random
import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
import redis.asyncio as aioredis

from presence_core.errors import InvalidArgumentError, StoreUnavailableError
from presence_core.models import Activity, DeviceRecord, Membership, PersonRecord, Transition
from presence_core.policy import HOUR_MS, MINUTE_MS, Policy
from presence_core.service import PresenceService
from presence_core.status import Status
from presence_core.stores.memory import MemoryStore
from presence_core.stores.redis import RedisStore
from tests.support.clock import START_MS, FakeClock
from tests.support.redis_server import RedisServer

T0 = START_MS
POLICY = Policy()
T = TypeVar("T")


def message(user: str, ts: int, channel: str | None = "console:lobby", *, device: str | None = None) -> Activity:
    return Activity(user, device or user, "console", "message", ts, channel)


def count_round_trips(store: RedisStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every network exchange of the store goes through ``redis.io`` (a command, a pipeline or a script)."""
    calls: list[int] = []
    original = store.redis.io

    def counted(call: Awaitable[T]) -> Awaitable[T]:
        calls.append(1)
        return original(call)
    monkeypatch.setattr(store.redis, "io", counted)
    return calls


async def eventually(check: Callable[[], bool | Awaitable[bool]], seconds: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await _value(check()):
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def _value(result: bool | Awaitable[bool]) -> bool:
    return await result if inspect.isawaitable(result) else result


def subscribed(store: RedisStore) -> Callable[[], bool]:
    """The alias cache is on once the store's event feed listens."""
    return lambda: store.feed.listening


async def commandstats(server: RedisServer) -> dict[str, int]:
    client = aioredis.from_url(server.url)
    try:
        stats = await client.info("commandstats")
        return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}
    finally:
        await client.aclose()


async def test_a_batch_is_recorded_with_one_script_call(redis_store: RedisStore, redis_server: RedisServer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    redis_server.command("CONFIG", "RESETSTAT")
    trips = count_round_trips(redis_store, monkeypatch)
    batch = [message(f"console:u{i % 37}", T0 + i, f"console:room{i % 5}") for i in range(200)]
    transitions = await redis_store.record(batch, POLICY)
    assert len(transitions) == 37
    assert len(trips) == 1
    assert (await commandstats(redis_server))["evalsha"] == 1


async def test_reads_for_who_and_statuses_are_one_round_trip(redis_store: RedisStore, clock: FakeClock,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    service = PresenceService(redis_store, POLICY, clock)
    ids = [f"console:u{i}" for i in range(100)]
    await redis_store.record([message(u, clock.now - i) for i, u in enumerate(ids)], POLICY)
    await eventually(subscribed(redis_store))
    await service.get_statuses(ids)  # the first look fills the alias cache
    trips = count_round_trips(redis_store, monkeypatch)
    statuses = await service.get_statuses(ids)
    assert len(trips) == 1 and all(s.status is Status.ONLINE for s in statuses.values())
    trips.clear()
    presence = await service.get_channel_presence("console:lobby")
    assert len(trips) == 1 and len(presence.users) == 50 and presence.more == 50


async def test_every_key_of_a_person_shares_one_hash_tag(redis_store: RedisStore) -> None:
    ids = ["console:{a}", "console:a}b{", "console:\\", "console:a b\n", "console:名字"]
    await redis_store.record([message(u, T0, u) for u in ids], POLICY)
    await redis_store.put_code("code-hash", ids[0], T0 + MINUTE_MS)
    keys = await redis_store.redis.raw.keys("*")
    parsed = [re.fullmatch(r"pr:(\w):(\{\d+\})(.*)", k.decode(), re.DOTALL) for k in keys]
    assert all(parsed)
    tags: dict[str, set[str]] = {}
    for match in parsed:
        kind, tag, id_ = match.groups()  # type: ignore[union-attr]
        if kind in "plk":
            tags.setdefault(id_, set()).add(tag)
    assert set(tags) == set(ids)
    for person, person_tags in tags.items():
        assert len(person_tags) == 1
        assert await redis_store.redis.raw.zscore(f"pr:d:{person_tags.pop()}", person) is not None


async def test_the_log_and_channels_stay_bounded(redis_store: RedisStore) -> None:
    small = Policy(activity_max_count=20)
    await redis_store.record([message("console:chatty", T0 + i) for i in range(100)], small)
    raw = redis_store.redis.raw
    log_key, person_key = redis_store.keys.log("console:chatty"), redis_store.keys.person("console:chatty")
    inline = [f for f in await raw.hkeys(person_key) if f.startswith(b"L")]
    assert await raw.llen(log_key) + len(inline) == 20
    assert len(await redis_store.activity("console:chatty", 50, None)) == 20
    assert 0 < await raw.pttl(log_key) <= small.activity_max_age_ms

    await redis_store.record([message(f"console:old{i}", T0 + i, "console:room") for i in range(10)], POLICY)
    later = T0 + POLICY.membership_ttl_ms + MINUTE_MS
    await redis_store.record([message("console:new", later, "console:room")], POLICY)
    room = redis_store.keys.channel("console:room")
    assert await raw.zrange(room, 0, -1) == [b"console:new"]
    assert 0 < await raw.pttl(room) <= POLICY.membership_ttl_ms

    await redis_store.record([message("console:old0", later, "console:elsewhere")], POLICY)
    fields = await raw.hkeys(redis_store.keys.person("console:old0"))
    assert [f for f in fields if f[:1] in b"#%"] == [b"#console:elsewhere"]


async def test_a_membership_is_renewed_once_a_sixtieth_of_the_channel_window(redis_store: RedisStore) -> None:
    renew = POLICY.channel_window_ms // 60  # a minute
    room = redis_store.keys.channel("console:room")
    for ts in (T0, T0 + 1000, T0 + renew - 1):  # someone who keeps talking: the channel is not written again
        await redis_store.record([message("console:chatty", ts, "console:room")], POLICY)
    assert await redis_store.redis.raw.zscore(room, "console:chatty") == T0
    assert await redis_store.memberships("console:chatty", 0) == [Membership("console:room", "console:chatty", T0)]
    await redis_store.record([message("console:chatty", T0 + renew + 1, "console:room")], POLICY)
    assert await redis_store.redis.raw.zscore(room, "console:chatty") == T0 + renew + 1
    assert (await redis_store.load(["console:chatty"]))["console:chatty"].last_seen == T0 + renew + 1


async def test_one_message_leaves_one_hash_per_person_and_long_logs_spill_into_a_list(
        redis_store: RedisStore) -> None:
    await redis_store.record([message("console:quiet", T0, "console:room")], POLICY)
    raw = redis_store.redis.raw
    assert await raw.exists(redis_store.keys.log("console:quiet")) == 0
    assert await raw.object("encoding", redis_store.keys.person("console:quiet")) == b"listpack"
    await redis_store.record([message("console:busy", T0 + i, "console:room") for i in range(8)], POLICY)
    assert await raw.exists(redis_store.keys.log("console:busy")) == 0
    await redis_store.record([message("console:busy", T0 + 8, "console:room")], POLICY)
    assert await raw.llen(redis_store.keys.log("console:busy")) == 8
    assert [e.timestamp - T0 for e in await redis_store.activity("console:busy", 50, None)] == list(range(8, -1, -1))
    long = Activity("console:busy", "console:busy", "console", "x" * 80, T0 + 9)  # too long for a compact hash
    await redis_store.record([long], POLICY)
    assert await raw.object("encoding", redis_store.keys.person("console:busy")) == b"listpack"
    assert (await redis_store.activity("console:busy", 1, None))[0].type == long.type


async def test_merged_logs_interleave_in_time_and_keep_their_age_cap(redis_store: RedisStore) -> None:
    day = Policy(activity_max_age_ms=24 * HOUR_MS)
    await redis_store.record([message("telegram:1", T0 + 2 * i) for i in range(3)], day)
    await redis_store.record([message("discord:2", T0 + 2 * i + 1) for i in range(3)], day)
    into = (await redis_store.load(["telegram:1"]))["telegram:1"]
    into.linked.append("discord:2")
    assert await redis_store.merge(into, into.version, "discord:2")
    raw = await redis_store.redis.raw.lrange(redis_store.keys.log("telegram:1"), 0, -1)
    assert [int(entry.split(b",")[0]) - T0 for entry in raw] == [0, 1, 2, 3, 4, 5]
    await redis_store.record([message("discord:2", T0 + 24 * HOUR_MS + 3)], day)
    events = await redis_store.activity("telegram:1", 50, None)
    assert [e.timestamp - T0 for e in events] == [24 * HOUR_MS + 3, 5, 4, 3]


async def test_other_processes_hear_transitions_and_the_deciding_one_does_not(
        redis_store: RedisStore, redis_server: RedisServer) -> None:
    heard_here: list[Transition] = []
    heard_there: list[Transition] = []

    async def here(t: Transition) -> None:
        heard_here.append(t)

    async def there(t: Transition) -> None:
        heard_there.append(t)
    await redis_store.close()
    deciding, other = RedisStore(redis_server.url), RedisStore(redis_server.url)
    await deciding.start(here)
    await other.start(there)
    try:
        await deciding.record([message("console:alice", T0)], POLICY)
        record = (await deciding.load(["console:alice"]))["console:alice"]
        expected = record.version
        record.manual = record.published = Status.DND
        await deciding.save(record, expected, [Transition("console:alice", Status.ONLINE, Status.DND, T0 + 1)])

        await eventually(lambda: len(heard_there) == 2)
        assert heard_there == [Transition("console:alice", Status.OFFLINE, Status.ONLINE, T0),
                               Transition("console:alice", Status.ONLINE, Status.DND, T0 + 1)]
        await asyncio.sleep(0.1)
        assert heard_here == []
    finally:
        await deciding.close()
        await other.close()


async def test_a_link_made_elsewhere_reaches_this_process_alias_cache(
        redis_store: RedisStore, redis_server: RedisServer) -> None:
    other = RedisStore(redis_server.url)
    await other.start()
    try:
        await redis_store.record([message("telegram:1", T0), message("discord:2", T0)], POLICY)
        await eventually(subscribed(redis_store))
        assert await redis_store.resolve(["discord:2"]) == {"discord:2": "discord:2"}
        into = (await other.load(["telegram:1"]))["telegram:1"]
        into.linked.append("discord:2")
        assert await other.merge(into, into.version, "discord:2")

        async def relinked() -> bool:
            return await redis_store.resolve(["discord:2"]) == {"discord:2": "telegram:1"}
        await eventually(relinked)
    finally:
        await other.close()


async def test_cluster_record_corrects_a_stale_alias_guess(redis_cluster_store: RedisStore) -> None:
    store = redis_cluster_store
    await store.record([message("telegram:1", T0), message("discord:2", T0, "discord:9")], POLICY)
    into = (await store.load(["telegram:1"]))["telegram:1"]
    into.linked.append("discord:2")
    assert await store.merge(into, into.version, "discord:2")
    await eventually(subscribed(store))
    store._aliases["discord:2"] = "discord:2"  # as if the invalidation had been missed
    assert await store.record([message("discord:2", T0 + 5, "discord:9")], POLICY) == []
    assert await store.load(["discord:2"]) == {}
    assert [e.timestamp for e in await store.activity("telegram:1", 10, None)] == [T0 + 5, T0, T0]
    people, total = await store.channel_people("discord:9", 0, 10)
    assert [(a, p.id) for a, p in people] == [("discord:2", "telegram:1")] and total == 1


async def test_scripts_are_reloaded_when_redis_forgets_them(redis_store: RedisStore,
                                                           redis_server: RedisServer) -> None:
    redis_server.command("SCRIPT", "FLUSH")
    assert await redis_store.record([message("console:alice", T0)], POLICY)
    redis_server.command("SCRIPT", "FLUSH")
    assert await redis_store.due(T0 + HOUR_MS, 10) == ["console:alice"]


async def test_an_unreachable_redis_is_a_store_error_within_the_timeout() -> None:
    server = RedisServer()
    url = server.url
    server.stop()
    store = RedisStore(url, timeout=0.5)
    with pytest.raises(StoreUnavailableError):
        await store.record([message("console:alice", T0)], POLICY)
    await store.close()


def test_urls_and_prefixes() -> None:
    assert RedisStore("redis+cluster://127.0.0.1:7000").cluster
    assert RedisStore("rediss://127.0.0.1:7000/0", ssl_cert_reqs="none").cluster is False
    assert RedisStore("redis://127.0.0.1:7000", cluster=True).cluster
    with pytest.raises(InvalidArgumentError):
        RedisStore("redis://127.0.0.1:7000", prefix="app{1}:")


def _random_record(rng: random.Random, person: str, now: int) -> PersonRecord:
    """Any state the service may leave behind: sticky or not, expired or not, with or without devices."""
    statuses = [None, *Status]
    record = PersonRecord(person, names=rng.choice([{}, {person: "Old"}]), published=rng.choice(list(Status)),
                          last_seen=rng.choice([None, now - rng.randrange(HOUR_MS)]),
                          manual=rng.choice(statuses), due=rng.choice([None, now + rng.randrange(-HOUR_MS, HOUR_MS)]))
    if record.manual is not None:
        record.manual_expires = rng.choice([None, now + rng.randrange(-HOUR_MS, HOUR_MS)])
        record.manual_since = now - 10
    if rng.random() < 0.5:
        record.sticky = rng.choice([Status.AWAY, Status.DND, Status.OFFLINE])
        record.sticky_until = rng.choice([None, now + rng.randrange(-HOUR_MS, HOUR_MS)])
    for device in rng.sample([person, person + "/phone", person + "/web"], rng.randrange(3)):
        record.devices[device] = DeviceRecord(device, "old", rng.choice([None, now - rng.randrange(HOUR_MS)]),
                                              rng.choice(statuses), rng.choice([None, now + 5]),
                                              rng.choice([None, now - 7]))
    if rng.random() < 0.5:  # availability: capacity, load, skills, hours and their derived window
        record.capacity, record.load = rng.choice([None, 1, 3]), rng.randrange(5)
        record.skills, record.available = rng.choice([[], ["billing"]]), rng.random() < 0.5
        if rng.random() < 0.5:
            record.hours, record.hours_zone = [[0, 7 * 24 * 60]], "UTC"
            record.open_from = now + rng.randrange(-2 * HOUR_MS, HOUR_MS)
            record.open_until = rng.choice([None, record.open_from + rng.randrange(3 * HOUR_MS)])
    return record


async def test_the_record_script_applies_activity_exactly_like_the_rules(redis_store: RedisStore) -> None:
    rng = random.Random(20260921)
    memory = MemoryStore()
    people = [f"console:p{i}" for i in range(40)]
    for person in people:
        record = _random_record(rng, person, T0)
        assert await memory.save(record.copy(), 0) and await redis_store.save(record.copy(), 0)
    for round_ in range(5):
        batch = []
        for person in rng.choices(people, k=60):
            ts = T0 + round_ * 20 * MINUTE_MS + rng.randrange(-MINUTE_MS, MINUTE_MS)
            # Fresh, or arriving late: before, between and after the away and offline thresholds.
            arrived = rng.choice([None, ts, ts + 4 * MINUTE_MS, ts + 10 * MINUTE_MS, ts + 3 * HOUR_MS])
            batch.append(Activity(person, rng.choice([person, person + "/phone"]), "console", "message", ts,
                                  rng.choice([None, "console:lobby"]), rng.choice([None, "", "Name"]),
                                  rng.random() < 0.8, rng.choice([None, "name"]), arrived=arrived))
        assert await redis_store.record(batch, POLICY) == await memory.record(batch, POLICY)
        assert await redis_store.load(people) == await memory.load(people)
        for person in people[:5]:
            assert await redis_store.activity(person, 50, None) == await memory.activity(person, 50, None)
