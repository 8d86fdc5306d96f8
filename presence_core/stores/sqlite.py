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
import os
import sqlite3
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from presence_core import availability, rules
from presence_core.errors import StoreUnavailableError
from presence_core.models import Activity, ActivityEvent, Event, Membership, PersonRecord, TokenRecord
from presence_core.policy import Policy
from presence_core.stores import record_doc, sqlite_schema, sqlite_tokens
from presence_core.stores.base import EventListener, Store, account_digest
from presence_core.stores.sqlite_availability import UPSERT_DESK, SqliteAvailability

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5_000
# Well under SQLite's smallest limit on bound parameters (999 before 3.32).
_IN_CHUNK = 500

# A person is one row: the indexed columns, and every other field in one JSON document
# (record_doc), always read and written whole: one row per read-modify-write.
_SELECT_PEOPLE = "SELECT p.id, p.version, p.due, p.doc FROM people p"
_UPSERT_PERSON = ("INSERT INTO people (id, version, due, doc) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
                  "SET version = excluded.version, due = excluded.due, doc = excluded.doc")
_INSERT_ACTIVITY = "INSERT INTO activity (person_id, ts, type, channel_id, device_id) VALUES (?, ?, ?, ?, ?)"
_UPSERT_MEMBERSHIP = ("INSERT INTO memberships (channel_id, account, person_id, ts) VALUES (?, ?, ?, ?) "
                      "ON CONFLICT (channel_id, account) DO UPDATE SET ts = max(ts, excluded.ts), "
                      "person_id = excluded.person_id")


def _chunks(values: Collection[str]) -> Iterator[list[str]]:
    items = list(values)
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start:start + _IN_CHUNK]


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def _row(r: PersonRecord, version: int) -> tuple[object, ...]:
    return r.id, version, r.due, record_doc.dumps(r)


def _person(row: Sequence[Any]) -> PersonRecord:
    return record_doc.loads(*row)


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
    members: dict[tuple[str, str], tuple[str, int]] = {}
    desks: dict[tuple[str, str], int] = {}
    untracked = _do_not_track(conn, [a for a, p in persons.items() if p not in records])
    for activity in batch:
        person_id = persons[activity.user_id]
        record = records.get(person_id)
        if record is None:
            if activity.user_id in untracked:
                continue
            record = records[person_id] = PersonRecord(person_id)
        if not record.tracking:
            continue
        transitions += rules.apply_activity(record, activity, policy)
        record.version += 1
        changed[person_id] = record
        if activity.logged:
            logged.append((person_id, activity.timestamp, activity.type, activity.channel_id, activity.device_id))
            newest[person_id] = max(newest.get(person_id, activity.timestamp), activity.timestamp)
        if activity.channel_id is not None:
            key = (activity.channel_id, activity.user_id)
            members[key] = person_id, max(members.get(key, ("", activity.timestamp))[1], activity.timestamp)
            if availability.uses_availability(record):
                desks[key] = members[key][1]
    conn.executemany(_UPSERT_PERSON, [_row(r, r.version) for r in changed.values()])
    conn.executemany(_INSERT_ACTIVITY, logged)
    _trim(conn, newest, policy)
    conn.executemany(_UPSERT_MEMBERSHIP, [(c, a, p, ts) for (c, a), (p, ts) in members.items()])
    conn.executemany(UPSERT_DESK, [(c, a, ts) for (c, a), ts in desks.items()])
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
                    limit: int) -> tuple[list[tuple[str, PersonRecord]], int]:
    (total,) = conn.execute("SELECT count(*) FROM memberships WHERE channel_id = ? AND ts >= ?",
                            (channel_id, since)).fetchone()
    rows = conn.execute("SELECT m.account, p.id, p.version, p.due, p.doc FROM memberships m "
                        "JOIN people p ON p.id = m.person_id WHERE m.channel_id = ? AND m.ts >= ? "
                        "ORDER BY m.ts DESC, m.rowid LIMIT ?", (channel_id, since, limit))
    found: dict[str, tuple[str, PersonRecord]] = {}
    for account, *person in rows:
        if person[0] not in found:
            found[person[0]] = (account, _person(person))
    return list(found.values()), total


def _memberships(conn: sqlite3.Connection, person_id: str, since: int) -> list[Membership]:
    rows = conn.execute("SELECT channel_id, account, ts FROM memberships WHERE person_id = ? AND ts >= ?",
                        (person_id, since))
    return [Membership(*row) for row in rows]


def _memberships_of(conn: sqlite3.Connection, person_ids: Sequence[str], since: int) -> dict[str, list[Membership]]:
    found: dict[str, list[Membership]] = {p: [] for p in person_ids}
    for chunk in _chunks(person_ids):
        rows = conn.execute("SELECT person_id, channel_id, account, ts FROM memberships "
                            f"WHERE person_id IN ({_marks(chunk)}) AND ts >= ?", [*chunk, since])
        for person_id, *membership in rows:
            found[person_id].append(Membership(*membership))
    return found


def _end_membership(conn: sqlite3.Connection, channel_id: str, account_ids: Sequence[str]) -> None:
    for chunk in _chunks(account_ids):
        conn.execute(f"DELETE FROM memberships WHERE channel_id = ? AND account IN ({_marks(chunk)})",
                     [channel_id, *chunk])


def _move_channel(conn: sqlite3.Connection, old_id: str, new_id: str) -> None:
    conn.execute("INSERT INTO memberships (channel_id, account, person_id, ts) SELECT ?, account, person_id, ts "
                 "FROM memberships WHERE channel_id = ? ON CONFLICT (channel_id, account) "
                 "DO UPDATE SET ts = max(ts, excluded.ts)", (new_id, old_id))
    conn.execute("DELETE FROM memberships WHERE channel_id = ?", (old_id,))


def _housekeep(conn: sqlite3.Connection, now: int, policy: Policy) -> None:
    conn.execute("DELETE FROM memberships WHERE ts < ?", (now - policy.membership_ttl_ms,))
    conn.execute("DELETE FROM codes WHERE expires_at <= ?", (now,))
    conn.execute("DELETE FROM hits WHERE expires_at <= ?", (now,))


def _channel_names(conn: sqlite3.Connection, channel_ids: Collection[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for chunk in _chunks(channel_ids):
        names.update(conn.execute(f"SELECT channel_id, name FROM channel_names WHERE channel_id IN ({_marks(chunk)})",
                                  chunk).fetchall())
    return names


def _due(conn: sqlite3.Connection, now: int, limit: int) -> list[str]:
    rows = conn.execute("SELECT id FROM people WHERE due <= ? ORDER BY due, id LIMIT ?", (now, limit))
    return [pid for (pid,) in rows]


def _merge(conn: sqlite3.Connection, into: PersonRecord, expected_version: int, absorbed_id: str) -> bool:
    if not _save(conn, into, expected_version):
        return False
    conn.execute("UPDATE activity SET person_id = ? WHERE person_id = ?", (into.id, absorbed_id))
    conn.execute("UPDATE memberships SET person_id = ? WHERE person_id = ?", (into.id, absorbed_id))
    conn.execute("UPDATE aliases SET person_id = ? WHERE person_id = ?", (into.id, absorbed_id))
    conn.execute("INSERT OR REPLACE INTO aliases (account, person_id) VALUES (?, ?)", (absorbed_id, into.id))
    conn.execute("DELETE FROM people WHERE id = ?", (absorbed_id,))
    return True


def _split(conn: sqlite3.Connection, record: PersonRecord, expected_version: int, split_off: PersonRecord) -> bool:
    if not _save(conn, record, expected_version):
        return False
    conn.execute("DELETE FROM aliases WHERE account = ?", (split_off.id,))
    conn.execute("UPDATE memberships SET person_id = ? WHERE account = ?", (split_off.id, split_off.id))
    conn.execute(_UPSERT_PERSON, _row(split_off, 1))
    return True


def _forget(conn: sqlite3.Connection, person_id: str, do_not_track: bool) -> None:
    record = _load(conn, [person_id]).get(person_id)
    accounts = record.accounts if record else [person_id]
    conn.execute(f"DELETE FROM aliases WHERE person_id = ? OR account IN ({_marks(accounts)})", [person_id, *accounts])
    conn.execute(f"DELETE FROM codes WHERE owner IN ({_marks(accounts)})", accounts)
    for table, column in (("people", "id"), ("activity", "person_id"), ("memberships", "person_id")):
        conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (person_id,))
    sqlite_tokens.forget_tokens(conn, accounts)
    digests = [(account_digest(a),) for a in accounts]
    if do_not_track:
        conn.executemany("INSERT OR IGNORE INTO do_not_track (digest) VALUES (?)", digests)
    else:
        conn.executemany("DELETE FROM do_not_track WHERE digest = ?", digests)


def _do_not_track(conn: sqlite3.Connection, account_ids: Collection[str]) -> set[str]:
    by_digest = {account_digest(a): a for a in account_ids}
    found: set[str] = set()
    for chunk in _chunks(by_digest):
        found.update(by_digest[d] for (d,) in conn.execute(
            f"SELECT digest FROM do_not_track WHERE digest IN ({_marks(chunk)})", chunk))
    return found


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


class SqliteStore(SqliteAvailability, Store):
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
            _transact(conn, sqlite_schema.migrate, ())
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
        except OSError as exc:  # the file cannot be made or opened: a directory, no permission, no such place
            raise StoreUnavailableError(f"SQLite store {self.path}: cannot open it ({exc.strerror})") from exc

    async def start(self, listener: EventListener | None = None) -> None:
        await self._call(lambda conn: None)

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(executor, self._disconnect)
            executor.shutdown()

    async def record(self, batch: Sequence[Activity], policy: Policy, *, token: str | None = None) -> list[Event]:
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

    async def channel_people(self, channel_id: str, since: int,
                             limit: int) -> tuple[list[tuple[str, PersonRecord]], int]:
        return await self._call(_channel_people, channel_id, since, limit)

    async def memberships(self, person_id: str, since: int) -> list[Membership]:
        return await self._call(_memberships, person_id, since)

    async def memberships_of(self, person_ids: Sequence[str], since: int) -> dict[str, list[Membership]]:
        return await self._call(_memberships_of, list(dict.fromkeys(person_ids)), since)

    async def end_membership(self, channel_id: str, account_ids: Sequence[str]) -> None:
        await self._call(_end_membership, channel_id, list(account_ids))

    async def move_channel(self, old_id: str, new_id: str) -> None:
        await self._call(_move_channel, old_id, new_id)

    async def drop_channel(self, channel_id: str) -> None:
        await self._call(lambda conn: conn.execute("DELETE FROM memberships WHERE channel_id = ?", (channel_id,)))

    async def housekeep(self, now: int, policy: Policy) -> None:
        await self._call(_housekeep, now, policy)

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

    async def forget(self, person_id: str, *, do_not_track: bool = False, events: Sequence[Event] = ()) -> None:
        await self._call(_forget, person_id, do_not_track)

    async def do_not_track(self, account_ids: Sequence[str]) -> set[str]:
        return await self._call(_do_not_track, list(account_ids))

    async def put_code(self, code_hash: str, owner_id: str, expires_at: int) -> None:
        await self._call(lambda conn: conn.execute("INSERT OR REPLACE INTO codes (hash, owner, expires_at) "
                                                   "VALUES (?, ?, ?)", (code_hash, owner_id, expires_at)))

    async def take_code(self, code_hash: str, now: int) -> str | None:
        return await self._call(_take_code, code_hash, now)

    async def hit(self, key: str, window_ms: int, now: int) -> int:
        return await self._call(_hit, key, window_ms, now)

    async def name_channels(self, names: Mapping[str, str]) -> None:
        await self._call(lambda conn: conn.executemany(
            "INSERT INTO channel_names (channel_id, name) VALUES (?, ?) "
            "ON CONFLICT (channel_id) DO UPDATE SET name = excluded.name", list(names.items())))

    async def channel_names(self, channel_ids: Sequence[str]) -> dict[str, str]:
        return await self._call(_channel_names, list(dict.fromkeys(channel_ids)))

    async def add_token(self, token: TokenRecord) -> bool:
        return await self._call(sqlite_tokens.add_token, token)

    async def find_token(self, token_hash: str) -> TokenRecord | None:
        return await self._call(sqlite_tokens.find_token, token_hash)

    async def tokens(self, owner_ids: Sequence[str]) -> list[TokenRecord]:
        return await self._call(sqlite_tokens.tokens, list(owner_ids)) if owner_ids else []

    async def revoke_token(self, owner_id: str, name: str) -> bool:
        return await self._call(sqlite_tokens.revoke_token, owner_id, name)

    async def touch_token(self, token_hash: str, at: int) -> None:
        await self._call(sqlite_tokens.touch_token, token_hash, at)
