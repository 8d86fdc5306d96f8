"""Three service processes on one Redis: each transition is decided once and heard by all three."""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from presence_core.models import Activity, Event, Transition
from presence_core.policy import MINUTE_MS, Policy
from presence_core.service import PresenceService
from presence_core.stores.redis import RedisStore
from tests.support.clock import START_MS

PROCESSES = 3
SEEDED = [f"console:seeded{i}" for i in range(40)]   # online at START_MS, due to become away
FRESH = [f"console:fresh{i}" for i in range(40)]     # first seen by all three processes at once
NOW = START_MS + 6 * MINUTE_MS
DEADLINE_S = 20.0


class DecidingStore(RedisStore):
    """Remembers the transitions this process decided (its record scripts and its winning saves)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.decided: list[Event] = []

    async def record(self, batch: Sequence[Activity], policy: Policy, *, token: str | None = None) -> list[Event]:
        events = await super().record(batch, policy, token=token)
        self.decided += events
        return events

    async def save(self, record: Any, expected_version: int, events: Sequence[Event] = ()) -> bool:
        saved = await super().save(record, expected_version, events)
        if saved:
            self.decided += events
        return saved


def _key(t: Transition | tuple[str, str, str]) -> tuple[str, str, str]:
    user, old, new = (t.user_id, t.old, t.new) if isinstance(t, Transition) else t
    return str(user), str(old), str(new)


async def _work(url: str, index: int, barrier: Any, expected: int) -> dict[str, list[tuple[str, str, str]]]:
    store = DecidingStore(url)
    heard: list[tuple[str, str, str]] = []
    service = PresenceService(store, Policy(), clock=lambda: NOW)
    service.on("status_change", lambda user, old, new: heard.append(_key((user, old, new))))
    start = index * len(FRESH) // PROCESSES

    async def sweep() -> None:  # one person at a time, so that the processes keep colliding
        while await store.due(NOW, 1):
            await service.sweep(limit=1)

    async def record() -> None:  # each process starts at another person and meets the others
        for person in FRESH[start:] + FRESH[:start]:
            await service.record_activity(person, {"timestamp": NOW})

    async with service:
        await asyncio.to_thread(barrier.wait, DEADLINE_S)
        await asyncio.gather(sweep(), record(), service.set_status(f"console:manual{index}", "dnd"))
        await asyncio.to_thread(barrier.wait, DEADLINE_S)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE_S
        while len(heard) < expected and loop.time() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # a duplicate would arrive now
    return {"decided": [_key(t) for t in store.decided], "heard": heard}


def _worker(url: str, index: int, barrier: Any, results: Any, expected: int) -> None:
    results.put((index, asyncio.run(_work(url, index, barrier, expected))))


def _run_processes(url: str, expected: int) -> dict[int, dict[str, list[tuple[str, str, str]]]]:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=_worker, args=(url, i, barrier, results, expected)) for i in range(PROCESSES)]
    for worker in workers:
        worker.start()
    try:
        return dict(results.get(timeout=90) for _ in workers)
    except queue.Empty:
        pytest.fail("a service process did not report back in time")
    finally:
        for worker in workers:
            worker.join(10)
            if worker.is_alive():
                worker.kill()


@pytest.mark.parametrize("server", ["redis_server", "redis_cluster"])
async def test_each_transition_is_decided_once_and_heard_by_every_process(
        server: str, request: pytest.FixtureRequest) -> None:
    deployment = request.getfixturevalue(server)
    deployment.flush()
    seeder = RedisStore(deployment.url)
    await seeder.record([Activity(p, p, "console", "message", START_MS) for p in SEEDED], Policy())
    await seeder.close()
    expected = Counter([(p, "online", "away") for p in SEEDED] + [(p, "offline", "online") for p in FRESH]
                       + [(f"console:manual{i}", "offline", "dnd") for i in range(PROCESSES)])

    reports = await asyncio.to_thread(_run_processes, deployment.url, sum(expected.values()))

    decided = Counter(t for report in reports.values() for t in report["decided"])
    assert decided == expected
    for index, report in reports.items():
        assert Counter(report["heard"]) == expected, f"process {index} heard {len(report['heard'])} events"
