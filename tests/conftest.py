"""Shared fixtures: every store backend behind one ``store`` fixture, a hand-moved clock, a service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from presence_core.policy import Policy
from presence_core.service import PresenceService
from presence_core.stores.base import Store
from presence_core.stores.redis import RedisStore
from tests.support.clock import FakeClock

# Each backend module defines a ``<name>_store`` fixture; the contract suite runs on all of them.
STORE_BACKENDS = ["memory", "sqlite", "redis", "redis_cluster"]
pytest_plugins = [f"tests.support.{name}_store" for name in STORE_BACKENDS]


@pytest.fixture(params=STORE_BACKENDS)
def store(request: pytest.FixtureRequest) -> Store:
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture(params=["redis", "redis_cluster"])
def redis_like(request: pytest.FixtureRequest) -> RedisStore:
    """One Redis and the three-master cluster: for what the Redis store promises beyond the contract."""
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
async def service(store: Store, policy: Policy, clock: FakeClock) -> AsyncIterator[PresenceService]:
    """A started service on each backend; its background sweep never fires within a test."""
    presence = PresenceService(store, policy, clock)
    await presence.start()
    yield presence
    await presence.close()
