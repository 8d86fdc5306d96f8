"""Desk cards on a single Redis (``redis_lua_desk``): through any history they say what the people
say, ``available`` and ``pick`` answer as on the memory store, and a desk without cards mends itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from presence_core import PresenceService, availability
from presence_core.errors import PresenceError
from presence_core.policy import Policy
from presence_core.stores.memory import MemoryStore
from presence_core.stores.redis import RedisStore
from tests.support.clock import FakeClock
from tests.support.redis_server import RedisServer

USERS = ["console:ann", "console:bob", "telegram:1", "discord:2"]
CHANNELS = ["console:x", "console:y", "console:z"]
POLICY = Policy()
WEEKDAYS_9_TO_18 = [[day * 1440 + 540, day * 1440 + 1080] for day in range(5)]


@pytest.fixture
async def service(redis_server: RedisServer, clock: FakeClock) -> AsyncIterator[PresenceService]:
    """A started service on the flushed single Redis (cards are kept on a single Redis only)."""
    redis_server.flush()
    service = PresenceService(RedisStore(redis_server.url), POLICY, clock)
    await service.start()
    yield service
    await service.close()


@pytest.fixture
def store(service: PresenceService) -> RedisStore:
    assert isinstance(service.store, RedisStore)
    return service.store


user = st.sampled_from(USERS)
channel = st.sampled_from(CHANNELS)
step = st.one_of(
    st.tuples(st.just("say"), user, channel, st.sampled_from([None, "Ann", "Bo"])),
    st.tuples(st.just("capacity"), user, st.sampled_from([None, 1, 2])),
    st.tuples(st.just("skills"), user, st.sampled_from([[], ["billing"]])),
    st.tuples(st.just("hours"), user, st.booleans()),
    st.tuples(st.just("take"), user, st.integers(1, 2)),
    st.tuples(st.just("done"), user, st.integers(1, 2)),
    st.tuples(st.just("pick"), channel, st.sampled_from([None, "billing"])),
    st.tuples(st.just("status"), user, st.sampled_from(["online", "away", "dnd"])),
    st.tuples(st.just("link"), user, user),
    st.tuples(st.just("unlink"), user),
    st.tuples(st.just("forget"), user),
    st.tuples(st.just("leave"), channel, user),
    st.tuples(st.just("move"), channel, channel),
    st.tuples(st.just("drop"), channel),
    st.tuples(st.just("wait"), st.sampled_from([2, 3, 6, 61, 600])),
)
# Every history starts from a desk with people on it, so that random steps change what it shows.
START = [("say", "console:ann", "console:x", "Ann"), ("capacity", "console:ann", 2),
         ("say", "console:bob", "console:x", "Bo"), ("skills", "console:bob", ["billing"]),
         ("say", "telegram:1", "console:y", None), ("capacity", "telegram:1", 1),
         ("say", "console:ann", "console:y", None)]


async def act(service: PresenceService, op: tuple[Any, ...], unlinked: str | None) -> object:
    """One step on one service: what it returned, or the kind of error it raised."""
    kind, *args = op
    try:
        if kind == "say":
            await service.record_activity(args[0], {"channel_id": args[1]}, user_name=args[2])
            await service.flush()
        elif kind == "capacity":
            return (await service.set_capacity(args[0], args[1])).available
        elif kind == "skills":
            return (await service.set_skills(args[0], args[1])).available
        elif kind == "hours":
            return (await service.set_hours(args[0], WEEKDAYS_9_TO_18 if args[1] else None, "UTC")).available
        elif kind == "take":
            return await service.take(args[0], args[1])
        elif kind == "done":
            return await service.done(args[0], args[1])
        elif kind == "pick":
            return await service.pick(args[0], args[1])
        elif kind == "status":
            await service.set_status(args[0], args[1])
        elif kind == "link":
            return await service.link_account(args[1], await service.create_link_code(args[0]))
        elif kind == "unlink" and unlinked is not None:
            await service.unlink_account(args[0], unlinked)
        elif kind == "forget":
            return await service.forget(args[0])
        elif kind == "leave":
            await service.end_membership(args[0], [args[1]])
        elif kind == "move" and args[0] != args[1]:
            await service.move_channel(args[0], args[1])
        elif kind == "drop":
            await service.drop_channel(args[0])
    except PresenceError as error:
        return type(error)
    return None


async def cards_say_what_people_say(store: RedisStore, now: int) -> None:
    since = now - POLICY.membership_ttl_ms
    for name in CHANNELS:
        people = availability.desk_view(await store.desks.people(name, since), now)
        assert await store.desk_view(name, since, now) == people, name


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          database=None)
@given(history=st.lists(step, min_size=1, max_size=25))
def test_through_any_history_the_cards_agree_with_the_people_and_redis_with_memory(
        redis_server: RedisServer, history: list[tuple[Any, ...]]) -> None:
    async def run() -> None:
        redis_server.flush()
        clock = FakeClock()
        memory = PresenceService(MemoryStore(), POLICY, clock)
        redis = PresenceService(RedisStore(redis_server.url), POLICY, clock)
        await memory.start()
        await redis.start()
        try:
            for op in [*START, *history]:
                # a distinct time per step, and memberships renewed at each (Redis renews at most once a minute)
                clock.advance(minutes=op[1] if op[0] == "wait" else 2)
                accounts = await memory.linked_accounts(op[1]) if op[0] == "unlink" else []
                unlinked = next((a for a in accounts if a != op[1]), None)
                assert await act(memory, op, unlinked) == await act(redis, op, unlinked), op
                await memory.sweep()  # as the services' own sweeps would within a second
                await redis.sweep()
                await cards_say_what_people_say(redis.store, clock())  # type: ignore[arg-type]
                for name in CHANNELS:
                    for skill in (None, "billing"):
                        assert await memory.get_available(name, skill) == await redis.get_available(name, skill), op
        finally:
            await memory.close()
            await redis.close()
    asyncio.run(run())


async def test_a_desk_without_cards_reads_the_same_and_gets_them_back(
        service: PresenceService, store: RedisStore) -> None:
    for name in ("console:ann", "console:bob"):
        await service.record_activity(name, {"channel_id": "console:x"}, user_name=name[8:])
        await service.flush()
        await service.set_capacity(name, 2)
    before = await service.get_available("console:x")
    cards = store.keys.of("wc", "console:x")
    await store.client.delete(cards)  # as written before cards existed
    assert await service.get_available("console:x") == before
    assert set(await store.client.hkeys(cards)) == {b"console:ann", b"console:bob"}


async def test_an_account_split_off_leaves_the_listing_on_the_next_read(
        service: PresenceService, store: RedisStore) -> None:
    for name in ("console:ann", "telegram:1"):
        await service.record_activity(name, {"channel_id": "console:x"})
        await service.flush()
    await service.set_capacity("console:ann", 2)
    await service.link_account("telegram:1", await service.create_link_code("console:ann"))
    await service.unlink_account("console:ann", "telegram:1")
    listing = store.keys.of("w", "console:x")
    assert set(await store.client.zrange(listing, 0, -1)) == {b"console:ann", b"telegram:1"}
    assert [u.user_id for u in await service.get_available("console:x")] == ["console:ann"]
    assert await store.client.zrange(listing, 0, -1) == [b"console:ann"]


async def test_a_membership_that_expires_takes_its_card_along(
        service: PresenceService, store: RedisStore, clock: FakeClock) -> None:
    await service.record_activity("console:ann", {"channel_id": "console:x"})
    await service.flush()
    await service.set_capacity("console:ann", 2)
    assert await store.client.hkeys(store.keys.of("wc", "console:x")) == [b"console:ann"]
    clock.advance(ms=POLICY.membership_ttl_ms + 1)
    await service.record_activity("console:ann", {"channel_id": "console:y"})  # ends the one in x
    await service.flush()
    assert await store.client.hkeys(store.keys.of("wc", "console:x")) == []
    assert await store.client.hkeys(store.keys.of("wc", "console:y")) == [b"console:ann"]


async def test_a_listing_that_expires_while_others_stay_takes_its_card_along(
        service: PresenceService, store: RedisStore, clock: FakeClock) -> None:
    for name in ("console:ann", "console:bob"):
        await service.record_activity(name, {"channel_id": "console:x"})
        await service.flush()
        await service.set_capacity(name, 2)
    clock.advance(ms=POLICY.membership_ttl_ms + 1)
    await service.record_activity("console:bob", {"channel_id": "console:x"})  # ann never comes back
    await service.flush()
    assert await store.client.zrange(store.keys.of("w", "console:x"), 0, -1) == [b"console:bob"]
    assert await store.client.hkeys(store.keys.of("wc", "console:x")) == [b"console:bob"]
