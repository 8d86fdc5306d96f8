"""Desk index and watches of the SQLite store (SPEC section 12), as a mixin of ``SqliteStore``.

Tables (``sqlite_schema.TABLES``): ``desk (channel_id, account, ts)``, the accounts of people who
use availability per channel with when they were last seen there; ``watches (watcher, target, …)``.
A desk row names an account; its person is found through ``aliases`` as everywhere else.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from presence_core import availability
from presence_core.models import DeskView, Membership, PersonRecord, Watch
from presence_core.stores import record_doc
from presence_core.stores.memory_availability import platform_of

T = TypeVar("T")

UPSERT_DESK = ("INSERT INTO desk (channel_id, account, ts) VALUES (?, ?, ?) ON CONFLICT (channel_id, account) "
               "DO UPDATE SET ts = max(ts, excluded.ts)")
_WATCH_COLUMNS = "watcher, target, channel_id, expires_at, created_at, locale"


def _desk_people(conn: sqlite3.Connection, channel_id: str, since: int) -> list[tuple[str, PersonRecord]]:
    rows = conn.execute(
        "SELECT d.account, p.id, p.version, p.due, p.doc FROM desk d "
        "JOIN people p ON p.id = coalesce((SELECT a.person_id FROM aliases a WHERE a.account = d.account), d.account) "
        "WHERE d.channel_id = ? AND d.ts >= ? ORDER BY d.ts DESC, d.account", (channel_id, since))
    found: dict[str, tuple[str, PersonRecord]] = {}
    for account, *person in rows:
        if person[0] not in found:
            found[person[0]] = (account, record_doc.loads(*person))
    return list(found.values())


def _set_desk(conn: sqlite3.Connection, memberships: Sequence[Membership], listed: bool) -> None:
    if listed:
        conn.executemany(UPSERT_DESK, [(m.channel_id, m.account_id, m.last_seen) for m in memberships])
    else:
        conn.executemany("DELETE FROM desk WHERE channel_id = ? AND account = ?",
                         [(m.channel_id, m.account_id) for m in memberships])


def _move_desk(conn: sqlite3.Connection, old_id: str, new_id: str | None) -> None:
    if new_id is not None:
        conn.execute("INSERT INTO desk (channel_id, account, ts) SELECT ?, account, ts FROM desk WHERE channel_id = ? "
                     "ON CONFLICT (channel_id, account) DO UPDATE SET ts = max(ts, excluded.ts)", (new_id, old_id))
    conn.execute("DELETE FROM desk WHERE channel_id = ?", (old_id,))


def _watch(row: Sequence[Any]) -> Watch:
    watcher, target, channel_id, expires_at, created_at, locale = row
    return Watch(watcher, target, channel_id, expires_at, created_at, locale)


def _expire(conn: sqlite3.Connection, now: int) -> None:
    conn.execute("DELETE FROM watches WHERE expires_at <= ?", (now,))


def _add_watch(conn: sqlite3.Connection, watch: Watch, limit: int, now: int) -> bool:
    _expire(conn, now)
    (others,) = conn.execute("SELECT count(*) FROM watches WHERE watcher = ? AND target != ?",
                             (watch.watcher_id, watch.target_id)).fetchone()
    if others >= limit:
        return False
    conn.execute(f"INSERT OR REPLACE INTO watches ({_WATCH_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                 (watch.watcher_id, watch.target_id, watch.channel_id, watch.expires_at, watch.created_at,
                  watch.locale))
    return True


def _watches_where(conn: sqlite3.Connection, column: str, ids: Sequence[str], now: int) -> list[Watch]:
    _expire(conn, now)
    marks = ", ".join("?" * len(ids))
    return [_watch(r) for r in conn.execute(f"SELECT {_WATCH_COLUMNS} FROM watches WHERE {column} IN ({marks}) "
                                            "ORDER BY created_at, watcher, target", list(ids))]


def _claim(conn: sqlite3.Connection, target_ids: Sequence[str], platforms: Sequence[str], now: int) -> list[Watch]:
    claimed = [w for w in _watches_where(conn, "target", target_ids, now) if platform_of(w.watcher_id) in platforms]
    conn.executemany("DELETE FROM watches WHERE watcher = ? AND target = ?",
                     [(w.watcher_id, w.target_id) for w in claimed])
    return claimed


def _forget(conn: sqlite3.Connection, account_ids: Sequence[str]) -> None:
    marks = ", ".join("?" * len(account_ids))
    conn.execute(f"DELETE FROM watches WHERE watcher IN ({marks}) OR target IN ({marks})", [*account_ids, *account_ids])
    conn.execute(f"DELETE FROM desk WHERE account IN ({marks})", list(account_ids))


class SqliteAvailability:
    """Expects ``_call`` (one transaction on the worker thread) from SqliteStore."""

    if TYPE_CHECKING:
        async def _call(self, work: Callable[..., T], *args: Any) -> T: ...

    async def desk_view(self, channel_id: str, since: int, now: int) -> DeskView:
        return availability.desk_view(await self._call(_desk_people, channel_id, since), now)

    async def set_desk(self, memberships: Sequence[Membership], listed: bool) -> None:
        await self._call(_set_desk, list(memberships), listed)

    async def move_desk(self, old_id: str, new_id: str | None) -> None:
        await self._call(_move_desk, old_id, new_id)

    async def add_watch(self, watch: Watch, limit: int, now: int) -> bool:
        return await self._call(_add_watch, watch, limit, now)

    async def watches(self, watcher_ids: Sequence[str], now: int) -> list[Watch]:
        return await self._call(_watches_where, "watcher", list(watcher_ids), now) if watcher_ids else []

    async def watchers(self, target_ids: Sequence[str], now: int) -> list[Watch]:
        return await self._call(_watches_where, "target", list(target_ids), now) if target_ids else []

    async def remove_watch(self, watcher_id: str, target_id: str) -> bool:
        cursor = await self._call(lambda conn: conn.execute("DELETE FROM watches WHERE watcher = ? AND target = ?",
                                                            (watcher_id, target_id)))
        return bool(cursor.rowcount)

    async def claim_watches(self, target_ids: Sequence[str], platforms: Sequence[str], now: int) -> list[Watch]:
        return await self._call(_claim, list(target_ids), list(platforms), now) if target_ids else []

    async def forget_availability(self, person_id: str, account_ids: Sequence[str]) -> None:
        if account_ids:
            await self._call(_forget, list(account_ids))
