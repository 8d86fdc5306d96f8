"""The SQLite store's tables, and how a file written by an older presence is brought up to date.

Every table and index is created with ``IF NOT EXISTS`` on every start, so a feature that adds a
table needs no schema version; the version (``PRAGMA user_version``) counts only changes that must
rewrite existing rows, each done once by its step in ``_STEPS``.
"""

from __future__ import annotations

import json
import sqlite3

from presence_core.errors import StoreUnavailableError
from presence_core.models import DeviceRecord, PersonRecord
from presence_core.status import Status
from presence_core.stores import record_doc

SCHEMA_VERSION = 2

TABLES = """
CREATE TABLE IF NOT EXISTS people (id TEXT PRIMARY KEY, version INTEGER NOT NULL, due INTEGER, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS people_due ON people (due, id) WHERE due IS NOT NULL;
CREATE TABLE IF NOT EXISTS aliases (account TEXT PRIMARY KEY, person_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS aliases_person ON aliases (person_id);
CREATE TABLE IF NOT EXISTS activity (
    seq INTEGER PRIMARY KEY, person_id TEXT NOT NULL, ts INTEGER NOT NULL, type TEXT NOT NULL,
    channel_id TEXT, device_id TEXT
);
CREATE INDEX IF NOT EXISTS activity_person_ts ON activity (person_id, ts);
CREATE TABLE IF NOT EXISTS memberships (
    channel_id TEXT NOT NULL, account TEXT NOT NULL, person_id TEXT NOT NULL, ts INTEGER NOT NULL,
    PRIMARY KEY (channel_id, account)
);
CREATE INDEX IF NOT EXISTS memberships_channel_ts ON memberships (channel_id, ts);
CREATE INDEX IF NOT EXISTS memberships_person ON memberships (person_id);
CREATE INDEX IF NOT EXISTS memberships_ts ON memberships (ts);
CREATE TABLE IF NOT EXISTS codes (hash TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS codes_expiry ON codes (expires_at);
CREATE TABLE IF NOT EXISTS hits (
    key TEXT PRIMARY KEY, bucket INTEGER NOT NULL, count INTEGER NOT NULL, expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS hits_expiry ON hits (expires_at);
CREATE TABLE IF NOT EXISTS do_not_track (digest TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS channel_names (channel_id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS desk (
    channel_id TEXT NOT NULL, account TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (channel_id, account)
);
CREATE INDEX IF NOT EXISTS desk_account ON desk (account);
CREATE TABLE IF NOT EXISTS watches (
    watcher TEXT NOT NULL, target TEXT NOT NULL, channel_id TEXT NOT NULL, expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL, locale TEXT, PRIMARY KEY (watcher, target)
);
CREATE INDEX IF NOT EXISTS watches_target ON watches (target);
CREATE INDEX IF NOT EXISTS watches_expiry ON watches (expires_at);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, created_at INTEGER NOT NULL,
    last_used INTEGER, UNIQUE (owner, name)
)
"""


def _from_version_1(conn: sqlite3.Connection) -> None:
    """Version 1 kept a person in columns and channel memberships by person; version 2 keeps a person
    as one JSON document and memberships by account (a person's own account, for what version 1 kept)."""
    rows = conn.execute("SELECT id, version, name, manual, manual_expires, manual_since, custom, custom_expires, "
                        "last_seen, published, tracking, changed_at, last_sync, sticky, sticky_until, due, "
                        "devices, linked FROM people").fetchall()
    conn.execute("ALTER TABLE people RENAME TO people_v1")
    conn.execute("ALTER TABLE memberships RENAME TO memberships_v1")
    conn.execute("DROP INDEX IF EXISTS people_due")
    conn.execute("DROP INDEX IF EXISTS memberships_channel_ts")
    conn.execute("DROP INDEX IF EXISTS memberships_person")
    create_tables(conn)
    for (pid, version, name, manual, manual_expires, manual_since, custom, custom_expires, last_seen, published,
         tracking, changed_at, last_sync, sticky, sticky_until, due, devices, linked) in rows:
        record = PersonRecord(
            pid, version, _status(manual), manual_expires, manual_since, custom, custom_expires, last_seen,
            Status(published), bool(tracking), changed_at, last_sync, _status(sticky), sticky_until, due,
            devices={d[0]: DeviceRecord(d[0], d[1], d[2], _status(d[3]), d[4], d[5]) for d in json.loads(devices)},
            linked=json.loads(linked), names={pid: name} if name else {},
        )
        conn.execute("INSERT INTO people (id, version, due, doc) VALUES (?, ?, ?, ?)",
                     (pid, version, due, record_doc.dumps(record)))
    conn.execute("INSERT INTO memberships (channel_id, account, person_id, ts) "
                 "SELECT channel_id, person_id, person_id, ts FROM memberships_v1")
    conn.execute("DROP TABLE people_v1")
    conn.execute("DROP TABLE memberships_v1")


def _status(value: str | None) -> Status | None:
    return None if value is None else Status(value)


_STEPS = {1: _from_version_1}


def create_tables(conn: sqlite3.Connection) -> None:
    for statement in TABLES.split(";"):
        conn.execute(statement)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the file to ``SCHEMA_VERSION`` (inside the caller's transaction); refuse a newer file."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise StoreUnavailableError(f"the SQLite file has schema version {version}; this presence knows "
                                    f"up to {SCHEMA_VERSION}: upgrade presence")
    while 0 < version < SCHEMA_VERSION:
        _STEPS[version](conn)
        version += 1
    create_tables(conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
