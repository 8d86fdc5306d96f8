"""What only the SQLite store promises: a durable file in WAL mode that survives restarts and SIGKILL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from presence_core.errors import StoreUnavailableError
from presence_core.policy import HOUR_MS, Policy
from presence_core.service import PresenceService
from presence_core.stores.sqlite import SCHEMA_VERSION, SqliteStore
from tests.presence_core.stores.test_contract import POLICY, T0, message
from tests.support.clock import FakeClock

ROOT = Path(__file__).resolve().parents[3]

# Twenty concurrent senders through the service; a line is printed only once its write returned.
LOAD_SCRIPT = """
import asyncio, itertools, sys
from presence_core.policy import Policy
from presence_core.service import PresenceService
from presence_core.stores.sqlite import SqliteStore

async def sender(presence, user):
    for i in itertools.count():
        await presence.record_activity(user, {"channel_id": "console:load", "timestamp": 1_000_000 + i})
        print("activity", user, 1_000_000 + i, flush=True)
        if i % 10 == 0:
            await presence.set_custom_status(user, f"note {i}")
            print("custom", user, i, flush=True)

async def main():
    async with PresenceService(SqliteStore(sys.argv[1]), Policy(activity_max_count=1_000_000)) as presence:
        await asyncio.gather(*(sender(presence, f"console:u{n}") for n in range(20)))

asyncio.run(main())
"""


async def test_the_file_is_in_wal_mode_private_and_versioned(sqlite_store: SqliteStore) -> None:
    with contextlib.closing(sqlite3.connect(sqlite_store.path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert stat.S_IMODE(sqlite_store.path.stat().st_mode) == 0o600


async def test_a_file_from_a_newer_presence_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "presence.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    store = SqliteStore(path)
    with pytest.raises(StoreUnavailableError, match="schema version"):
        await store.start()
    await store.close()


async def test_a_failed_batch_writes_nothing_and_the_store_goes_on(sqlite_store: SqliteStore) -> None:
    with pytest.raises(OverflowError):
        await sqlite_store.record([message("console:a", T0), message("console:b", 1 << 70)], POLICY)
    assert await sqlite_store.load(["console:a", "console:b"]) == {}
    assert await sqlite_store.record([message("console:a", T0)], POLICY)


async def test_merge_keeps_the_latest_time_each_person_was_seen_in_a_channel(sqlite_store: SqliteStore) -> None:
    await sqlite_store.record([message("telegram:1", T0 + 5, "console:room"), message("discord:2", T0, "console:room"),
                               message("console:3", T0 + 3, "console:room")], POLICY)
    into = (await sqlite_store.load(["telegram:1"]))["telegram:1"]
    into.linked.append("discord:2")
    assert await sqlite_store.merge(into, into.version, "discord:2")
    people, total = await sqlite_store.channel_people("console:room", T0 + 4, 10)
    assert [p.id for p in people] == ["telegram:1"] and total == 1


async def test_everything_survives_close_and_reopen(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "presence.sqlite3"
    async with PresenceService(SqliteStore(path), Policy(), clock) as presence:
        await presence.record_activity("telegram:1", {"channel_id": "telegram:-5"}, user_name="Alice")
        clock.advance(1)
        await presence.record_activity("discord:2", {"channel_id": "discord:9"})
        assert await presence.link_account("discord:2", await presence.create_link_code("telegram:1")) == "telegram:1"
        await presence.set_status("discord:2", "dnd", expires_at_ms=clock.now + HOUR_MS)
        await presence.set_custom_status("telegram:1", "交易BTC")
        pending_code = await presence.create_link_code("telegram:1")
        before = await presence.get_status("telegram:1", viewer_id="telegram:1")

    async with PresenceService(SqliteStore(path), Policy(), clock) as presence:
        after = await presence.get_status("telegram:1", viewer_id="discord:2")
        assert after == before
        assert (after.status, after.custom_status, after.device_count, after.name) == ("dnd", "交易BTC", 2, "Alice")
        assert await presence.linked_accounts("discord:2") == ["telegram:1", "discord:2"]
        assert [e.channel_id for e in await presence.get_activity("discord:2")] == ["discord:9", "telegram:-5"]
        assert [u.user_id for u in await presence.get_online_users("discord:9")] == ["telegram:1"]
        assert await presence.link_account("console:3", pending_code) == "telegram:1"


def test_sigkill_under_load_loses_nothing_that_was_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "presence.sqlite3"
    script = tmp_path / "load.py"
    script.write_text(LOAD_SCRIPT)
    child = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.stdout is not None
    watchdog = threading.Timer(30, child.kill)
    watchdog.start()
    try:
        lines = [child.stdout.readline() for _ in range(3000)]
        os.kill(child.pid, signal.SIGKILL)
        lines += child.stdout.read().splitlines(keepends=True)
        child.wait()
    finally:
        watchdog.cancel()
    assert child.returncode == -signal.SIGKILL
    acked = [line.split() for line in lines if line.endswith("\n")]
    activity: dict[str, set[int]] = {}
    custom: dict[str, int] = {}
    for kind, user, value in acked:
        if kind == "activity":
            activity.setdefault(user, set()).add(int(value))
        else:
            custom[user] = int(value)
    assert sum(map(len, activity.values())) > 1000

    async def check() -> None:
        store = SqliteStore(path)
        records = await store.load(list(activity))
        for user, stamps in activity.items():
            assert stamps <= {e.timestamp for e in await store.activity(user, 1 << 30, None)}
            assert records[user].last_seen is not None and records[user].last_seen >= max(stamps)
        for user, n in custom.items():
            custom_status = records[user].custom or ""
            assert int(custom_status.removeprefix("note ")) >= n
        await store.close()

    asyncio.run(check())
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
