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
from presence_core.models import Membership
from presence_core.policy import HOUR_MS, Policy
from presence_core.service import PresenceService
from presence_core.stores.sqlite import SqliteStore
from presence_core.stores.sqlite_schema import SCHEMA_VERSION
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


# A file as presence wrote it before schema version 2: a person in columns, memberships by person.
VERSION_1 = """
CREATE TABLE people (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, name TEXT, manual TEXT, manual_expires INTEGER,
    manual_since INTEGER, custom TEXT, custom_expires INTEGER, last_seen INTEGER, published TEXT NOT NULL,
    tracking INTEGER NOT NULL, changed_at INTEGER, last_sync INTEGER, sticky TEXT, sticky_until INTEGER,
    due INTEGER, devices TEXT NOT NULL, linked TEXT NOT NULL);
CREATE INDEX people_due ON people (due, id) WHERE due IS NOT NULL;
CREATE TABLE aliases (account TEXT PRIMARY KEY, person_id TEXT NOT NULL);
CREATE TABLE memberships (channel_id TEXT NOT NULL, person_id TEXT NOT NULL, ts INTEGER NOT NULL,
    PRIMARY KEY (channel_id, person_id));
CREATE INDEX memberships_channel_ts ON memberships (channel_id, ts);
CREATE INDEX memberships_person ON memberships (person_id);
INSERT INTO people VALUES ('telegram:1', 4, 'Alice', 'dnd', NULL, 1789999999000, '交易BTC', NULL, 1790000000000,
    'dnd', 1, 1789999999000, NULL, 'dnd', NULL, 1790000300000,
    '[["telegram:1","telegram",1790000000000,null,null,1790000000000],["discord:2/mobile","discord mobile",null,"away",null,null]]',
    '["discord:2"]');
INSERT INTO aliases VALUES ('discord:2', 'telegram:1');
INSERT INTO memberships VALUES ('telegram:-5', 'telegram:1', 1790000000000);
PRAGMA user_version = 1;
"""


async def test_a_file_of_schema_version_1_is_brought_up_to_date_keeping_everything(tmp_path: Path) -> None:
    path = tmp_path / "presence.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.executescript(VERSION_1)
    store = SqliteStore(path)
    await store.start()
    record = (await store.load(["telegram:1"]))["telegram:1"]
    assert (record.version, record.names, record.manual, record.custom, record.due) == (
        4, {"telegram:1": "Alice"}, "dnd", "交易BTC", 1790000300000)
    assert record.devices["discord:2/mobile"].reported == "away" and record.linked == ["discord:2"]
    assert await store.resolve(["discord:2"]) == {"discord:2": "telegram:1"}
    assert await store.memberships("telegram:1", 0) == [Membership("telegram:-5", "telegram:1", 1790000000000)]
    assert await store.due(1790000300000, 10) == ["telegram:1"]
    await store.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


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
        assert (after.status, after.custom_status, after.device_count) == ("dnd", "交易BTC", 2)
        assert (await presence.get_status("telegram:1")).name == "Alice"
        assert await presence.linked_accounts("discord:2") == ["telegram:1", "discord:2"]
        assert [e.channel_id for e in await presence.get_activity("discord:2")] == ["discord:9", "telegram:-5"]
        assert [u.user_id for u in await presence.get_online_users("discord:9")] == ["discord:2"]
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


@pytest.mark.parametrize("where", ["a directory", "under a file"])
async def test_a_path_that_cannot_be_a_file_is_a_store_error(tmp_path: Path, where: str) -> None:
    (tmp_path / "file").write_text("")
    path = tmp_path if where == "a directory" else tmp_path / "file" / "presence.sqlite3"
    store = SqliteStore(path)
    with pytest.raises(StoreUnavailableError, match="cannot open it"):
        await store.start()
    await store.close()
