"""Redis behind Sentinel for the tests: a master, a replica and three sentinels of their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.redis_server import RedisSentinels
from tests.support.redis_store import require_redis


@pytest.fixture
def redis_sentinels() -> Iterator[RedisSentinels]:
    """A fresh group per test: a failover test leaves its group changed."""
    require_redis()
    group = RedisSentinels()
    yield group
    group.stop()
