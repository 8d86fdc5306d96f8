"""The SQLite backend for the shared store fixtures: a real file (WAL) in the test's tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from presence_core.stores.sqlite import SqliteStore


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(tmp_path / "presence.sqlite3")
    await store.start()
    yield store
    await store.close()
