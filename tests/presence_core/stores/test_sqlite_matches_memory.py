"""Random histories replayed on the SQLite store and on the memory store (the reference) agree at every step."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from presence_core import linking, rules
from presence_core.models import Activity, PersonRecord
from presence_core.policy import HOUR_MS, MINUTE_MS, Policy
from presence_core.stores.base import Store
from presence_core.stores.memory import MemoryStore
from presence_core.stores.sqlite import SqliteStore
from tests.presence_core.stores.test_contract import T0

USERS = ["console:a", "console:a:b", "telegram:1", "discord:2"]
CHANNELS = ["console:x", "console:y", None]
# A small log cap and short timers, so that trimming, idling and expiry all happen.
POLICY = Policy(away_after_ms=5 * MINUTE_MS, offline_after_ms=HOUR_MS, activity_max_count=4,
                activity_max_age_ms=3 * HOUR_MS)

user = st.sampled_from(USERS)
message = st.tuples(user, st.sampled_from(CHANNELS), st.booleans(), st.sampled_from(["", "/phone"]))
record = st.tuples(st.just("record"), st.lists(message, min_size=1, max_size=8))
other = st.one_of(
    st.tuples(st.just("settle"), user, st.booleans()),
    st.tuples(st.just("link"), user, user),
    st.tuples(st.just("unlink"), user),
    st.tuples(st.just("forget"), user),
    st.tuples(st.just("tracking"), user, st.booleans()),
    st.tuples(st.just("code"), user, st.integers(0, 1), st.booleans()),
    st.tuples(st.just("hit"), st.sampled_from(["k1", "k2"])),
)
# Half the steps record messages; minutes between steps fall around the timers, the rate-limit
# window and the log's age limit.
step = st.tuples(st.sampled_from([0, 1, 4, 6, 11, 61, 200]),
                 st.booleans().flatmap(lambda recording: record if recording else other))


async def apply(store: Store, op: tuple[Any, ...], now: int, reference: MemoryStore) -> object:
    """One step; decisions that need a record read it from ``reference`` so both stores get the same input."""
    kind = op[0]
    if kind == "record":
        batch = [Activity(u, u + device, "console", "message", now + i, channel, logged=logged)
                 for i, (u, channel, logged, device) in enumerate(op[1])]
        return await store.record(batch, POLICY)
    person = (await reference.resolve([op[1]]))[op[1]]
    record = (await reference.load([person])).get(person) or PersonRecord(person)
    if kind in ("settle", "tracking"):
        expected = record.version - (1 if kind == "settle" and op[2] and record.version else 0)
        if kind == "settle":
            rules.settle(record, now, POLICY)
        else:
            record.tracking = op[2]
        return await store.save(record, expected), record.version
    if kind == "link":
        other_id = (await reference.resolve([op[2]]))[op[2]]
        if other_id == person:
            return None
        expected = record.version
        linking.merge_records(record, (await reference.load([other_id])).get(other_id) or PersonRecord(other_id))
        return await store.merge(record, expected, other_id)
    if kind == "unlink":
        if not record.linked:
            return None
        expected = record.version
        split_off = linking.split_record(record, record.linked[0])
        return await store.split(record, expected, split_off), split_off
    if kind == "forget":
        return await store.forget(person)
    if kind == "code":
        if op[3]:
            return await store.put_code(f"h{op[2]}", person, now + 10 * MINUTE_MS)
        return await store.take_code(f"h{op[2]}", now)
    return await store.hit(op[1], 10 * MINUTE_MS, now)


async def observe(store: Store, now: int) -> object:
    persons = await store.resolve(USERS)
    ids = sorted(set(persons.values()))
    return (persons, await store.load(ids), [await store.activity(p, 50, None) for p in ids],
            [await store.channel_people(c, now - POLICY.channel_window_ms, 3) for c in CHANNELS if c],
            await store.due(now, 10))


async def replay(steps: list[tuple[int, tuple[Any, ...]]], path: Path) -> None:
    memory, sqlite = MemoryStore(), SqliteStore(path)
    await sqlite.start()
    now = T0
    try:
        for minutes, op in steps:
            now += minutes * MINUTE_MS
            # The reference goes second: the SQLite step reads the reference's state before the step.
            got = await apply(sqlite, op, now, memory)
            assert got == await apply(memory, op, now, memory), op
            assert await observe(sqlite, now) == await observe(memory, now), op
            now += 10
    finally:
        await sqlite.close()


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=10, max_size=40))
def test_sqlite_store_behaves_like_the_memory_store(steps: list[tuple[int, tuple[Any, ...]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(replay(steps, Path(tmp) / "presence.sqlite3"))
