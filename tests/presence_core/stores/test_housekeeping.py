"""The sweep's housekeeping (issue 17, item 8): expired link codes and finished rate-limit windows go away."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from presence_core import PresenceService
from presence_core.policy import DAY_MS, MINUTE_MS
from presence_core.stores.memory import MemoryStore
from presence_core.stores.sqlite import SqliteStore
from tests.support.clock import FakeClock

CODES = 2_000


async def leave_codes_and_counters(presence: PresenceService) -> None:
    for i in range(CODES):
        await presence.create_link_code(f"telegram:{i}")
        await presence.count_hit("cmd:user", f"telegram:{i}", MINUTE_MS)


async def test_sqlite_sweeps_expired_codes_and_windows(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "presence.sqlite3"
    async with PresenceService(SqliteStore(path), clock=clock) as presence:
        await leave_codes_and_counters(presence)
        clock.advance(30 * DAY_MS)
        await presence.create_link_code("telegram:new")
        await presence.sweep()
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT count(*) FROM codes").fetchone() == (1,)
            assert db.execute("SELECT count(*) FROM hits").fetchone() == (0,)


async def test_memory_sweeps_expired_codes_and_prunes_counters_without_scanning(clock: FakeClock) -> None:
    store = MemoryStore()
    async with PresenceService(store, clock=clock) as presence:
        await leave_codes_and_counters(presence)
        assert len(store._codes) == CODES and len(store._hits) == CODES
        clock.advance(MINUTE_MS)
        await presence.count_hit("cmd:user", "someone", MINUTE_MS)
        assert len(store._hits) == 1  # finished windows are dropped as counting goes on
        clock.advance(30 * DAY_MS)
        await presence.sweep()
        assert store._codes == {} and store._hits == {}


async def test_a_counter_in_its_window_survives_the_sweep(clock: FakeClock) -> None:
    store = MemoryStore()
    async with PresenceService(store, clock=clock) as presence:
        clock.advance(10 * MINUTE_MS - clock.now % (10 * MINUTE_MS))
        assert await presence.count_hit("link", "telegram:1", 10 * MINUTE_MS) == 1
        await presence.count_hit("cmd:user", "telegram:1", MINUTE_MS)
        clock.advance(2 * MINUTE_MS)
        await presence.sweep()
        assert await presence.count_hit("link", "telegram:1", 10 * MINUTE_MS) == 2
        assert await presence.count_hit("cmd:user", "telegram:1", MINUTE_MS) == 1
