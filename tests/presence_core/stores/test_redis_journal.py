"""Link, unlink and forget survive a crash at any step (issue 15), on one Redis and on the 3-master cluster.

A process is made to fail before each step and after each step's work (before it is recorded), then
it goes away (its connections close, as when it dies); the next process to start finishes the work:
an erase leaves nothing naming the person, a link or unlink is whole.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import pytest

from presence_core import PresenceService
from presence_core.stores import redis_journal, redis_links
from presence_core.stores.redis import RedisStore
from presence_core.stores.redis_journal import Entry, Journal, Step
from tests.presence_core.stores.test_forget_leaves_nothing import DC, NEEDLES, TG, history
from tests.support.clock import FakeClock
from tests.support.redis_leftovers import keys_naming

STEPS = {"m": 4, "s": 4, "f": 5}
CRASHES = [(kind, number, when) for kind, n in STEPS.items() for number in range(1, n + 1)
           for when in ("before", "after")]


class CrashError(Exception):
    """The process stops here, as if it had been killed."""


def crashing(store: RedisStore, kind: str, number: int, when: str) -> list[str]:
    """From now on the store's journal fails before step ``number`` of ``kind``, or after its work;
    returns where it failed, once it did."""
    crashed: list[str] = []

    def wrap(step: Step, at: int) -> Step:
        async def run(entry: Entry) -> float | None:
            if entry.kind == kind and at == number and when == "before":
                crashed.append(f"before step {at}")
                raise CrashError(crashed[-1])
            pause = await step(entry)
            if entry.kind == kind and at == number:
                crashed.append(f"after step {at}")
                raise CrashError(crashed[-1])
            return pause
        return run

    steps = {k: [wrap(step, at) for at, step in enumerate(steps, 1)] for k, steps in store.links.steps.items()}
    store.links.journal = Journal(store.redis, store.keys, store.instance, steps)
    return crashed


async def dies_during(presence: PresenceService, crashed: list[str], work: Callable[[], Awaitable[object]]) -> None:
    """``work`` fails at the injected step, or, for a step after forget's pause, the store fails at it
    when it is closed; then the process goes away without finishing anything."""
    with contextlib.suppress(CrashError):
        await work()
    await presence.close()
    assert crashed


async def next_start(url: str) -> RedisStore:
    store = RedisStore(url)
    await store.start()
    return store


async def linked(presence: PresenceService) -> None:
    await presence.record_activity(TG, {"channel_id": "telegram:-5"}, user_name="someone")
    await presence.record_activity(DC, {"channel_id": "discord:9"})
    await presence.link_account(DC, await presence.create_link_code(TG))


async def assert_linked_whole(store: RedisStore) -> None:
    assert await store.resolve([TG, DC]) == {TG: TG, DC: TG}
    record = (await store.load([TG, DC]))[TG]
    assert record.linked == [DC] and DC not in await store.load([DC])
    assert sorted(e.channel_id or "" for e in await store.activity(TG, 50, None)) == ["discord:9", "telegram:-5"]
    assert sorted(m.channel_id for m in await store.memberships(TG, 0)) == ["discord:9", "telegram:-5"]
    assert await keys_named(store, "x") == [] and await store.links.journal.pending() == []


async def keys_named(store: RedisStore, kind: str) -> list[bytes]:
    raw = store.redis.raw
    nodes = {"target_nodes": raw.ALL_NODES} if store.cluster else {}
    return [k async for k in raw.scan_iter(match=f"{store.keys.prefix}{kind}*", **nodes)]


@pytest.fixture(params=["redis_server", "redis_cluster"])
def deployment(request: pytest.FixtureRequest) -> str:
    """The URL of one Redis or of the 3-master cluster, emptied."""
    server = request.getfixturevalue(request.param)
    server.flush()
    return str(server.url)


async def started(url: str, clock: FakeClock) -> PresenceService:
    presence = PresenceService(RedisStore(url), clock=clock)
    await presence.start()
    return presence


@pytest.mark.parametrize(("kind", "number", "when"), CRASHES)
async def test_a_crash_at_any_step_is_finished_by_the_next_start(deployment: str, clock: FakeClock, kind: str,
                                                                 number: int, when: str) -> None:
    presence = await started(deployment, clock)
    store = presence.store
    assert isinstance(store, RedisStore)
    if kind == "f":
        await history(presence)
        await dies_during(presence, crashing(store, kind, number, when), lambda: presence.forget(DC))
    elif kind == "m":
        await dies_during(presence, crashing(store, kind, number, when), lambda: linked(presence))
    else:
        await linked(presence)
        await dies_during(presence, crashing(store, kind, number, when), lambda: presence.unlink_account(TG, DC))

    store = await next_start(deployment)
    try:
        if kind == "f":
            assert await keys_naming(store, NEEDLES) == []
        elif kind == "m":
            await assert_linked_whole(store)
        else:
            await assert_unlinked_whole(store)
    finally:
        await store.close()


async def assert_unlinked_whole(store: RedisStore) -> None:
    assert await store.resolve([TG, DC]) == {TG: TG, DC: DC}
    records = await store.load([TG, DC])
    assert records[TG].linked == [] and set(records[DC].devices) == {DC}
    assert [m.channel_id for m in await store.memberships(TG, 0)] == ["telegram:-5"]
    assert [m.channel_id for m in await store.memberships(DC, 0)] == ["discord:9"]
    assert await store.links.journal.pending() == []


async def test_the_sweep_of_a_process_already_running_finishes_what_another_left(deployment: str,
                                                                                 clock: FakeClock) -> None:
    other = await started(deployment, clock)
    presence = await started(deployment, clock)
    await history(presence)
    await dies_during(presence, crashing(presence.store, "f", 3, "after"), lambda: presence.forget(DC))
    assert await keys_naming(other.store, NEEDLES) != []
    await other.sweep()  # the first sweep of a process does its housekeeping
    assert await keys_naming(other.store, NEEDLES) == []
    await other.close()


async def test_work_of_a_process_still_connected_is_taken_over_once_its_lease_runs_out(
        deployment: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_journal, "LEASE_MS", 500)
    presence = await started(deployment, clock)
    other = await next_start(deployment)
    await linked(presence)
    crashing(presence.store, "s", 2, "after")
    with pytest.raises(CrashError):  # then stuck, say, yet connected
        await presence.unlink_account(TG, DC)
    assert await other.links.journal.recover() == 0  # its owner is connected and its lease runs
    await asyncio.sleep(0.6)  # the lease is kept in Redis time
    assert await other.links.journal.recover() == 1
    await assert_unlinked_whole(other)
    await other.close()
    await presence.close()


async def test_a_process_finishes_its_own_failed_work_at_its_next_sweep(deployment: str, clock: FakeClock) -> None:
    presence = await started(deployment, clock)
    store = presence.store
    assert isinstance(store, RedisStore)
    journal = store.links.journal
    crashing(store, "m", 3, "before")
    with pytest.raises(CrashError):
        await linked(presence)
    store.links.journal = journal
    await presence.sweep()
    await assert_linked_whole(store)
    await presence.close()


async def test_forgetting_again_finishes_an_unfinished_forget_and_erases_what_came_since(
        deployment: str, clock: FakeClock) -> None:
    presence = await started(deployment, clock)
    store = presence.store
    assert isinstance(store, RedisStore)
    journal = store.links.journal
    await history(presence)
    crashing(store, "f", 3, "before")  # say, Redis was unreachable then
    with pytest.raises(CrashError):
        await presence.forget(DC)
    store.links.journal = journal
    await presence.record_activity(DC, {"channel_id": "discord:9"}, user_name="someone")
    await presence.forget(DC)
    await store.links.journal.settle()
    assert await keys_naming(store, NEEDLES) == []
    await presence.close()


async def test_forgetting_again_during_the_pause_of_the_first_ends_that_pause(
        deployment: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_links, "GRACE_S", 600.0)
    presence = await started(deployment, clock)
    store = presence.store
    assert isinstance(store, RedisStore)
    await history(presence)
    await presence.forget(DC)  # the person of TG and DC: their announcements stay for the pause
    await presence.record_activity(TG, {"channel_id": "telegram:-5"}, user_name="someone")
    # The second forget announces its own leave of the chat; its pause is made short here, the first's is not.
    monkeypatch.setattr(redis_links, "GRACE_S", 0.0)
    await presence.forget(TG)  # the same person id: their first erase is finished first
    assert await keys_naming(store, NEEDLES) == []
    await presence.close()
