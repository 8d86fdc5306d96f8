"""The redis backend for the shared store fixtures: one real redis-server per test session."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator

import pytest

from presence_core.stores.redis import RedisStore
from tests.support.redis_server import RedisServer, binaries


def require_redis(*also: str) -> None:
    """Redis tests never skip in CI; elsewhere they skip when redis-server (or a program in ``also``,
    such as ``openssl``) is not installed."""
    missing = [name for name in also if shutil.which(name) is None]
    if binaries() is None or missing:
        packages = " ".join(["redis-server", *missing])
        message = f"{', '.join(missing) or 'redis-server/redis-cli'} not found (apt-get install {packages})"
        if os.environ.get("CI"):
            pytest.fail(message + "; the Redis tests must run in CI")
        pytest.skip(message)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    require_redis()
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
async def redis_store(redis_server: RedisServer) -> AsyncIterator[RedisStore]:
    redis_server.flush()
    store = RedisStore(redis_server.url)
    await store.start()
    yield store
    await store.close()
