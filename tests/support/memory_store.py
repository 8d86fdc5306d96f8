"""The memory backend for the shared store fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from presence_core.stores.memory import MemoryStore


@pytest.fixture
async def memory_store() -> AsyncIterator[MemoryStore]:
    store = MemoryStore()
    await store.start()
    yield store
    await store.close()
