"""The redis_cluster backend for the shared store fixtures: a real three-master Redis Cluster."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from presence_core.stores.redis import RedisStore
from tests.support.redis_server import RedisCluster
from tests.support.redis_store import require_redis


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    require_redis()
    cluster = RedisCluster()
    yield cluster
    cluster.stop()


@pytest.fixture
async def redis_cluster_store(redis_cluster: RedisCluster) -> AsyncIterator[RedisStore]:
    redis_cluster.flush()
    store = RedisStore(redis_cluster.url)
    await store.start()
    yield store
    await store.close()
