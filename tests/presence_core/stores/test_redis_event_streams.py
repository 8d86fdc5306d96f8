"""Events between processes live in Redis streams: a process whose connections keep dropping still
hears every event of the others exactly once, and keeps working connections."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from typing import Any

import pytest

from presence_core.models import Activity, AvailabilityChange
from presence_core.policy import Policy
from presence_core.service import PresenceService
from presence_core.stores.redis import RedisStore
from presence_core.stores.redis_keys import hash_tag
from presence_core.stores.redis_lua import STREAM_MAX_AGE_MS, STREAM_MAX_LEN
from tests.support.clock import START_MS, FakeClock
from tests.support.redis_server import RedisServer

LISTENER = "presence-listener"
PEOPLE = [f"console:p{i}" for i in range(40)]
DEADLINE_S = 20.0


def servers(deployment: Any) -> list[RedisServer]:
    return list(getattr(deployment, "nodes", [deployment]))


def kill_listener_connections(deployment: Any) -> int:
    """CLIENT KILL every connection the listening store holds, on every node, as a network blip does."""
    killed = 0
    for server in servers(deployment):
        for client_id in re.findall(rf"id=(\d+) [^\n]*name={LISTENER} ", server.command("CLIENT", "LIST")):
            killed += server.command("CLIENT", "KILL", "ID", client_id) == ":1\r\n"
    return killed


def listener_subscriptions(deployment: Any) -> int:
    return sum(len(re.findall(rf"name={LISTENER} [^\n]* sub=1 ", server.command("CLIENT", "LIST")))
               for server in servers(deployment))


async def produce(presence: PresenceService) -> Counter[tuple[str, ...]]:
    """Transitions decided by record scripts and by compare-and-set saves, and published events."""
    made: Counter[tuple[str, ...]] = Counter()
    for person in PEOPLE:
        await presence.record_activity(person, {"channel_id": "console:lobby"})
        await presence.set_status(person, "dnd")
        await presence.set_status(person, "online")
        made.update([(person, "offline", "online"), (person, "online", "dnd"), (person, "dnd", "online")])
        await presence.store.publish([AvailabilityChange(person, True, START_MS)])
        made[(person, "available")] += 1
        await asyncio.sleep(0.02)
    return made


@pytest.mark.parametrize("server", ["redis_server", "redis_cluster"])
async def test_a_process_whose_connections_keep_dropping_hears_every_event_once(
        server: str, request: pytest.FixtureRequest, clock: FakeClock) -> None:
    deployment = request.getfixturevalue(server)
    deployment.flush()
    listening = PresenceService(RedisStore(deployment.url, client_name=LISTENER), Policy(), clock)
    producing = PresenceService(RedisStore(deployment.url), Policy(), clock)
    heard: Counter[tuple[str, ...]] = Counter()
    listening.on("status_change", lambda user, old, new: heard.update([(user, str(old), str(new))]))
    listening.on("available", lambda user: heard.update([(user, "available")]))
    await listening.start()
    await producing.start()
    try:
        production = asyncio.create_task(produce(producing))
        kills = 0
        while not production.done():  # several times within every second, for as long as events are made
            kills += kill_listener_connections(deployment)
            await asyncio.sleep(0.15)
        made = await production
        kills += kill_listener_connections(deployment)

        async with asyncio.timeout(DEADLINE_S):
            while heard != made:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # a duplicate would arrive now
        assert heard == made and kills >= 10

        async with asyncio.timeout(DEADLINE_S):  # and it holds working connections again
            while not (listening.store.feed.listening and listener_subscriptions(deployment) == 1):  # type: ignore[attr-defined]
                await asyncio.sleep(0.05)
        assert (await listening.get_status(PEOPLE[0])).status == "online"
    finally:
        await listening.close()
        await producing.close()


async def test_event_streams_are_one_per_hash_tag_and_capped_by_length_and_age(redis_store: RedisStore) -> None:
    people = [f"console:u{i}" for i in range(3 * STREAM_MAX_LEN)]
    for i in range(0, len(people), 100):
        await redis_store.record([Activity(p, p, "console", "message", START_MS) for p in people[i:i + 100]],
                                 Policy())
    raw = redis_store.redis.raw
    streams = {redis_store.keys.events(hash_tag(p)) for p in people}
    assert len(streams) > len(people) // 2
    lengths = [await raw.xlen(key) for key in streams]
    assert sum(lengths) == len({(p, hash_tag(p)) for p in people}) or sum(lengths) <= len(people)
    crowded = redis_store.keys.events(hash_tag(people[0]))
    for _ in range(3 * STREAM_MAX_LEN):  # one stream made busy: its length stays near the cap
        await redis_store.feed.publish([AvailabilityChange(people[0], True, START_MS)])
    assert STREAM_MAX_LEN <= await raw.xlen(crowded) <= STREAM_MAX_LEN + 100  # "~": trimmed by whole nodes
    assert 0 < await raw.pttl(crowded) <= STREAM_MAX_AGE_MS


async def test_hints_are_only_wake_ups(redis_store: RedisStore, redis_server: RedisServer) -> None:
    heard: list[object] = []

    async def listener(event: object) -> None:
        heard.append(event)
    other = RedisStore(redis_server.url)
    await other.start(listener)
    try:
        await redis_store.redis.raw.publish("pr:events", b"not a hint {1} {99999} \xff")
        await redis_store.record([Activity("console:alice", "console:alice", "console", "message", START_MS)],
                                 Policy())
        async with asyncio.timeout(DEADLINE_S):
            while not heard:
                await asyncio.sleep(0.02)
        assert len(heard) == 1 and other.feed.listening
    finally:
        await other.close()
