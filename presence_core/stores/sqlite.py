"""Embedded store on one SQLite file: durable presence for a bot on one machine.

Threading: sqlite3 blocks, so every store call is one function run on a single worker thread that
owns the only connection. The event loop never waits on the disk, and writes are serialized
without locks. Each call is one transaction that takes the write lock up front (``BEGIN
IMMEDIATE``), so a batch of concurrent messages is one commit and a compare-and-set never
interleaves with another write, even one from another process opening the same file.

Durability: WAL journal with ``synchronous=NORMAL``. A call returns only after its COMMIT has
been written to the WAL file (handed to the operating system, not yet fsynced), so a process
that dies, even by SIGKILL, loses nothing that was committed. Only a power loss or an OS crash
may lose the last commits, and it never leaves a corrupt file.

Transitions are not announced to other processes: one bot process per file is the supported
setup (another process may read and write the file safely, but hears no events).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from presence_core import rules
from presence_core.errors import StoreUnavailableError
from presence_core.models import Activity, ActivityEvent, DeviceRecord, Event, PersonRecord
from presence_core.policy import Policy
from presence_core.status import Status
from presence_core.stores.base import EventListener, Store

T = TypeVar("T")

SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 5_000
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# Well under SQLite's smallest limit on bound parameters (999 before 3.32).
_IN_CHUNK = 500

_SCHEMA = """
CREATE TABLE people (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, name TEXT, manual TEXT, manual_expires INTEGER,
    manual_since INTEGER, custom TEXT, custom_expires INTEGER, last_seen INTEGER, published TEXT NOT NULL,
    tracking INTEGER NOT NULL, changed_at INTEGER, last_sync INTEGER, sticky TEXT, sticky_until INTEGER,
    due INTEGER, devices TEXT NOT NULL, linked TEXT NOT NULL
);
CREATE INDEX people_due ON people (due, id) WHERE due IS NOT NULL;
CREATE TABLE aliases (account TEXT PRIMARY KEY, person_id TEXT NOT NULL);
CREATE INDEX aliases_person ON aliases (person_id);
CREATE TABLE activity (
    seq INTEGER PRIMARY KEY, person_id TEXT NOT NULL, ts INTEGER NOT NULL, type TEXT NOT NULL,
    channel_id TEXT, device_id TEXT
);
CREATE INDEX activity_person_ts ON activity (person_id, ts);
CREATE TABLE memberships (
    channel_id TEXT NOT NULL, person_id TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (channel_id, person_id)
);
CREATE INDEX memberships_channel_ts ON memberships (channel_id, ts);
CREATE INDEX memberships_person ON memberships (person_id);
CREATE TABLE codes (hash TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX codes_expiry ON codes (expires_at);
CREATE TABLE hits (key TEXT PRIMARY KEY, bucket INTEGER NOT NULL, count INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX hits_expiry ON hits (expires_at)
"""
# What each schema version adds to the one before; a file is brought up to SCHEMA_VERSION step by step.
_UPGRADES = {
    1: _SCHEMA,
    2: "CREATE TABLE channel_names (channel_id TEXT PRIMARY KEY, name TEXT NOT NULL)",
}

# Devices and linked accounts are always read and written with their person, never queried on
# their own, so they live in the person's row as JSON: one row per read-modify-write.
_COLUMNS = ("id", "version", "name", "manual", "manual_expires", "manual_since", "custom", "custom_expires",
            "last_seen", "published", "tracking", "changed_at", "last_sync", "sticky", "sticky_until", "due",
            "devices", "linked")
_SELECT_PEOPLE = f"SELECT {', '.join(f'p.{c}' for c in _COLUMNS)} FROM people p"
_UPSERT_PERSON = (f"INSERT INTO people ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
                  f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _COLUMNS[1:])}")
_INSERT_ACTIVITY = "INSERT INTO activity (person_id, ts, type, channel_id, device_id) VALUES (?, ?, ?, ?, ?)"
_UPSERT_MEMBERSHIP = ("INSERT INTO memberships (channel_id, person_id, ts) VALUES (?, ?, ?) "
                      "ON CONFLICT (channel_id, person_id) DO UPDATE SET ts = max(ts, excluded.ts)")


def _chunks(values: Collection[str]) -> Iterator[list[str]]:
    items = list(values)
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start:start + _IN_CHUNK]


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def _status(value: str | None) -> Status | None:
    return None if value is None else Status(value)


def _row(r: PersonRecord, version: int) -> tuple[object, ...]:
    devices = [[d.id, d.name, d.last_seen, d.reported, d.reported_expires, d.synced_at] for d in r.devices.values()]
    return (r.id, version, r.name, r.manual, r.manual_expires, r.manual_since, r.custom, r.custom_expires,
            r.last_seen, r.published, r.tracking, r.changed_at, r.last_sync, r.sticky, r.sticky_until, r.due,
            _encode(devices), _encode(r.linked))


def _person(row: Sequence[Any]) -> PersonRecord:
    (pid, version, name, manual, manual_expires, manual_since, custom, custom_expires, last_seen, published,
     tracking, changed_at, last_sync, sticky, sticky_until, due, devices, linked) = row
    return PersonRecord(
        pid, version, name, _status(manual), manual_expires, manual_since, custom, custom_expires, last_seen,
        Status(published), bool(tracking), changed_at, last_sync, _status(sticky), sticky_until, due,
        devices={d[0]: DeviceRecord(d[0], d[1], d[2], _status(d[3]), d[4], d[5]) for d in json.loads(devices)},
        linked=json.loads(linked),
    )


def _load(conn: sqlite3.Connection, person_ids: Collection[str]) -> dict[str, PersonRecord]:
    people: dict[str, PersonRecord] = {}
    for chunk in _chunks(person_ids):
        for row in conn.execute(f"{_SELECT_PEOPLE} WHERE p.id IN ({_marks(chunk)})", chunk):
            people[row[0]] = _person(row)
    return people


def _resolve(conn: sqlite3.Connection, user_ids: Collection[str]) -> dict[str, str]:
    persons = {uid: uid for uid in user_ids}
    for chunk in _chunks(persons):
        persons.update(conn.execute(f"SELECT account, person_id FROM aliases WHERE account IN ({_marks(chunk)})",
                                    chunk).fetchall())
    return persons


def _trim(conn: sqlite3.Connection, newest: dict[str, int], policy: Policy) -> None:
    """Cap the logs like memory's: drop entries older than the age limit, then all but the newest."""
    conn.executemany("DELETE FROM activity WHERE person_id = ? AND ts < ?",
                     [(pid, now - policy.activity_max_age_ms) for pid, now in newest.items()])
    conn.executemany("DELETE FROM activity WHERE seq IN (SELECT seq FROM activity WHERE person_id = ? "
                     "ORDER BY ts DESC, seq DESC LIMIT -1 OFFSET ?)",
                     [(pid, policy.activity_max_count) for pid in newest])


def _record(conn: sqlite3.Connection, batch: Sequence[Activity], policy: Policy) -> list[Event]:
    """The whole batch in one transaction: load its people, apply the rules in Python, write back."""
    persons = _resolve(conn, {a.user_id for a in batch})
    records = _load(conn, set(persons.values()))
    changed: dict[str, PersonRecord] = {}
    transitions: list[Event] = []
    logged: list[tuple[str, int, str, str | None, str]] = []
    newest: dict[str, int] = {}
    members: dict[tuple[str, str], int] = {}
    for activity in batch:
        person_id = persons[activity.user_id]
        record = records.get(person_id)
        if record is None:
            record = records[person_id] = PersonRecord(person_id)
        if not record.tracking:
            continue
        transition = rules.apply_activity(record, activity, policy)
        record.version += 1
        changed[person_id] = record
        if transition is not None:
            transitions.append(transition)
        if activity.logged:
            logged.append((person_id, activity.timestamp, activity.type, activity.channel_id, activity.device_id))
            newest[person_id] = max(newest.get(person_id, activity.timestamp), activity.timestamp)
        if activity.channel_id is not None:
            key = (activity.channel_id, person_id)
            members[key] = max(members.get(key, activity.timestamp), activity.timestamp)
    conn.executemany(_UPSERT_PERSON, [_row(r, r.version) for r in changed.values()])
    conn.executemany(_INSERT_ACTIVITY, logged)
    _trim(conn, newest, policy)
    conn.executemany(_UPSERT_MEMBERSHIP, [(c, p, ts) for (c, p), ts in members.items()])
    return transitions


def _save(conn: sqlite3.Connection, record: PersonRecord, expected_version: int) -> bool:
    row = conn.execute("SELECT version FROM people WHERE id = ?", (record.id,)).fetchone()
    if (row[0] if row else 0) != expected_version:
        return False
    conn.execute(_UPSERT_PERSON, _row(record, expected_version + 1))
    return True


def _activity(conn: sqlite3.Connection, person_id: str, limit: int, since: int | None) -> list[ActivityEvent]:
    where, args = ("person_id = ?", [person_id]) if since is None else ("person_id = ? AND ts >= ?", [person_id, since])
    rows = conn.execute(f"SELECT type, channel_id, ts, device_id FROM activity WHERE {where} "
                        "ORDER BY ts DESC, seq DESC LIMIT ?", [*args, limit])
    return [ActivityEvent(*row) for row in rows]


def _channel_people(conn: sqlite3.Connection, channel_id: str, since: int,
                    limit: int) -> tuple[list[PersonRecord], int]:
    conn.execute("DELETE FROM memberships WHERE channel_id = ? AND ts < ?", (channel_id, since))
    (total,) = conn.execute("SELECT count(*) FROM memberships WHERE channel_id = ?", (channel_id,)).fetchone()
    rows = conn.execute(f"{_SELECT_PEOPLE} JOIN memberships m ON m.person_id = p.id WHERE m.channel_id = ? "
                        "ORDER BY m.ts DESC, m.rowid LIMIT ?", (channel_id, limit))
    return [_person(row) for row in rows], total


def _due(conn: sqlite3.Connection, now: int, limit: int) -> list[str]:
    rows = conn.execute("SELECT id FROM people WHERE due <= ? ORDER BY due, id LIMIT ?", (now, limit))
    return [pid for (pid,) in rows]


def _merge(conn: sqlite3.Connection, into: PersonRecord, expected_version: int, absorbed_id: str) -> bool:
    if not _save(conn, into, expected_version):
        return False
    conn.execute("UPDATE activity SET person_id = ? WHERE person_id = ?", (into.id, absorbed_id))
    conn.execute("INSERT INTO memberships (channel_id, person_id, ts) SELECT channel_id, ?, ts FROM memberships "
                 "WHERE person_id = ? ON CONFLICT (channel_id, person_id) DO UPDATE SET ts = max(ts, excluded.ts)",
                 (into.id, absorbed_id))
    conn.execute("DELETE FROM memberships WHERE person_id = ?", (absorbed_id,))
    conn.execute("UPDATE aliases SET person_id = ? WHERE person_id = ?", (into.id, absorbed_id))
    conn.execute("INSERT OR REPLACE INTO aliases (account, person_id) VALUES (?, ?)", (absorbed_id, into.id))
    conn.execute("DELETE FROM people WHERE id = ?", (absorbed_id,))
    return True


def _split(conn: sqlite3.Connection, record: PersonRecord, expected_version: int, split_off: PersonRecord) -> bool:
    if not _save(conn, record, expected_version):
        return False
    conn.execute("DELETE FROM aliases WHERE account = ?", (split_off.id,))
    conn.execute(_UPSERT_PERSON, _row(split_off, 1))
    return True


def _forget(conn: sqlite3.Connection, person_id: str) -> None:
    record = _load(conn, [person_id]).get(person_id)
    accounts = record.accounts if record else [person_id]
    conn.execute(f"DELETE FROM aliases WHERE person_id = ? OR account IN ({_marks(accounts)})", [person_id, *accounts])
    for table, column in (("people", "id"), ("activity", "person_id"), ("memberships", "person_id"),
                          ("codes", "owner")):
        conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (person_id,))


def _take_code(conn: sqlite3.Connection, code_hash: str, now: int) -> str | None:
    row = conn.execute("SELECT owner, expires_at FROM codes WHERE hash = ?", (code_hash,)).fetchone()
    conn.execute("DELETE FROM codes WHERE hash = ? OR expires_at <= ?", (code_hash, now))
    return row[0] if row is not None and row[1] > now else None


def _hit(conn: sqlite3.Connection, key: str, window_ms: int, now: int) -> int:
    """One row per key, reset when a new window starts; rows of finished windows are dropped."""
    bucket = now // window_ms
    conn.execute("DELETE FROM hits WHERE expires_at <= ?", (now,))
    conn.execute("INSERT INTO hits (key, bucket, count, expires_at) VALUES (?, ?, 1, ?) ON CONFLICT (key) DO UPDATE "
                 "SET count = CASE WHEN bucket = excluded.bucket THEN count + 1 ELSE 1 END, bucket = excluded.bucket, "
                 "expires_at = excluded.expires_at", (key, bucket, (bucket + 1) * window_ms))
    (count,) = conn.execute("SELECT count FROM hits WHERE key = ?", (key,)).fetchone()
    return count


def _remove_expired(conn: sqlite3.Connection, now: int) -> None:
    conn.execute("DELETE FROM codes WHERE expires_at <= ?", (now,))
    conn.execute("DELETE FROM hits WHERE expires_at <= ?", (now,))


def _channel_names(conn: sqlite3.Connection, channel_ids: Collection[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for chunk in _chunks(channel_ids):
        names.update(conn.execute(f"SELECT channel_id, name FROM channel_names WHERE channel_id IN ({_marks(chunk)})",
                                  chunk).fetchall())
    return names


def _migrate(conn: sqlite3.Connection) -> None:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise StoreUnavailableError(f"the SQLite file has schema version {version}; this presence knows "
                               f"up to {SCHEMA_VERSION}: upgrade presence")
    for step in range(version + 1, SCHEMA_VERSION + 1):
        for statement in _UPGRADES[step].split(";"):
            conn.execute(statement)
    if version < SCHEMA_VERSION:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _transact(conn: sqlite3.Connection, work: Callable[..., T], args: tuple[Any, ...]) -> T:
    """``work`` in one transaction; the write lock is taken up front so it never fails half way for a lock."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn, *args)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite already rolled back after some errors (disk full, I/O)
            conn.execute("ROLLBACK")
        raise
    return result


class SqliteStore(Store):
    """``path`` is the database file (created with its directory); a closed store reopens on next use."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None

    # worker thread -----------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        """Open the file (private to its owner: it holds personal data), switch to WAL, create the schema."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        try:
            _transact(conn, _migrate, ())
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _transaction(self, work: Callable[..., T], args: tuple[Any, ...]) -> T:
        return _transact(self._conn or self._connect(), work, args)

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.execute("PRAGMA optimize")
            self._conn.close()
            self._conn = None

    # event loop --------------------------------------------------------------------------------

    async def _call(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(conn, *args)`` as one transaction on the worker thread."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="presence-sqlite")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, self._transaction, work, args)
        except sqlite3.DatabaseError as exc:
            raise StoreUnavailableError(f"SQLite store {self.path.name}: {exc}") from exc

    async def start(self, listener: EventListener | None = None) -> None:
        await self._call(lambda conn: None)

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(executor, self._disconnect)
            executor.shutdown()

    async def record(self, batch: Sequence[Activity], policy: Policy) -> list[Event]:
        return await self._call(_record, batch, policy)

    async def load(self, person_ids: Sequence[str]) -> dict[str, PersonRecord]:
        return await self._call(_load, set(person_ids))

    async def save(self, record: PersonRecord, expected_version: int, events: Sequence[Event] = ()) -> bool:
        saved = await self._call(_save, record, expected_version)
        if saved:
            record.version = expected_version + 1
        return saved

    async def resolve(self, user_ids: Sequence[str]) -> dict[str, str]:
        return await self._call(_resolve, list(dict.fromkeys(user_ids)))

    async def activity(self, person_id: str, limit: int, since: int | None) -> list[ActivityEvent]:
        return await self._call(_activity, person_id, limit, since)

    async def channel_people(self, channel_id: str, since: int, limit: int) -> tuple[list[PersonRecord], int]:
        return await self._call(_channel_people, channel_id, since, limit)

    async def due(self, now: int, limit: int) -> list[str]:
        return await self._call(_due, now, limit)

    async def merge(self, into: PersonRecord, expected_version: int, absorbed_id: str) -> bool:
        merged = await self._call(_merge, into, expected_version, absorbed_id)
        if merged:
            into.version = expected_version + 1
        return merged

    async def split(self, record: PersonRecord, expected_version: int, split_off: PersonRecord) -> bool:
        done = await self._call(_split, record, expected_version, split_off)
        if done:
            record.version, split_off.version = expected_version + 1, 1
        return done

    async def forget(self, person_id: str) -> None:
        await self._call(_forget, person_id)

    async def put_code(self, code_hash: str, owner_id: str, expires_at: int) -> None:
        await self._call(lambda conn: conn.execute("INSERT OR REPLACE INTO codes (hash, owner, expires_at) "
                                                   "VALUES (?, ?, ?)", (code_hash, owner_id, expires_at)))

    async def take_code(self, code_hash: str, now: int) -> str | None:
        return await self._call(_take_code, code_hash, now)

    async def hit(self, key: str, window_ms: int, now: int) -> int:
        return await self._call(_hit, key, window_ms, now)

    async def remove_expired(self, now: int) -> None:
        await self._call(_remove_expired, now)

    async def name_channels(self, names: Mapping[str, str]) -> None:
        await self._call(lambda conn: conn.executemany(
            "INSERT INTO channel_names (channel_id, name) VALUES (?, ?) "
            "ON CONFLICT (channel_id) DO UPDATE SET name = excluded.name", list(names.items())))

    async def channel_names(self, channel_ids: Sequence[str]) -> dict[str, str]:
        return await self._call(_channel_names, list(dict.fromkeys(channel_ids)))
