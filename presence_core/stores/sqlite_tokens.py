"""API tokens in the SQLite store: one row per token (table ``tokens`` in ``sqlite_schema``), keyed by its
hash, unique by (owner, name)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from presence_core.models import TokenRecord

_COLUMNS = "hash, owner, name, created_at, last_used"


def add_token(conn: sqlite3.Connection, token: TokenRecord) -> bool:
    cursor = conn.execute(f"INSERT OR IGNORE INTO tokens ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                          (token.hash, token.owner, token.name, token.created_at, token.last_used))
    return cursor.rowcount == 1


def find_token(conn: sqlite3.Connection, token_hash: str) -> TokenRecord | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM tokens WHERE hash = ?", (token_hash,)).fetchone()
    return None if row is None else TokenRecord(*row)


def tokens(conn: sqlite3.Connection, owner_ids: Sequence[str]) -> list[TokenRecord]:
    marks = ", ".join("?" * len(owner_ids))
    rows = conn.execute(f"SELECT {_COLUMNS} FROM tokens WHERE owner IN ({marks})", list(owner_ids))
    return [TokenRecord(*row) for row in rows]


def revoke_token(conn: sqlite3.Connection, owner_id: str, name: str) -> bool:
    return conn.execute("DELETE FROM tokens WHERE owner = ? AND name = ?", (owner_id, name)).rowcount == 1


def touch_token(conn: sqlite3.Connection, token_hash: str, at: int) -> None:
    conn.execute("UPDATE tokens SET last_used = ? WHERE hash = ?", (at, token_hash))


def forget_tokens(conn: sqlite3.Connection, accounts: Sequence[str]) -> None:
    conn.execute(f"DELETE FROM tokens WHERE owner IN ({', '.join('?' * len(accounts))})", list(accounts))
