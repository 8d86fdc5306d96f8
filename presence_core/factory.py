"""``create_presence_service``: the one-call way to build a service with a named backend."""

from __future__ import annotations

from presence_core.errors import InvalidArgumentError
from presence_core.policy import Policy
from presence_core.service import Clock, PresenceService
from presence_core.stores.base import Store

STORAGE_KINDS = ("memory", "sqlite", "redis")


def open_store(storage: str, *, redis_url: str | None = None, sqlite_path: str | None = None) -> Store:
    if storage == "memory":
        from presence_core.stores.memory import MemoryStore
        return MemoryStore()
    if storage == "sqlite":
        from presence_core.stores.sqlite import SqliteStore
        if not sqlite_path:
            raise InvalidArgumentError("storage 'sqlite' needs sqlite_path")
        return SqliteStore(sqlite_path)
    if storage == "redis":
        from presence_core.stores.redis import RedisStore
        if not redis_url:
            raise InvalidArgumentError("storage 'redis' needs redis_url")
        return RedisStore(redis_url)
    raise InvalidArgumentError(f"unknown storage {storage!r}: expected one of {', '.join(STORAGE_KINDS)}")


def create_presence_service(*, heartbeat_interval_ms: int = 30_000, away_after_ms: int = 300_000,
                            offline_after_ms: int = 3_600_000, storage: str = "memory",
                            redis_url: str | None = None, sqlite_path: str | None = None,
                            clock: Clock | None = None, store: Store | None = None,
                            **limits: int) -> PresenceService:
    """Build a service; ``store`` overrides ``storage`` with a backend you built yourself."""
    policy = Policy(heartbeat_interval_ms=heartbeat_interval_ms, away_after_ms=away_after_ms,
                    offline_after_ms=offline_after_ms, **limits)
    backend = store or open_store(storage, redis_url=redis_url, sqlite_path=sqlite_path)
    return PresenceService(backend, policy, clock)
