"""From a Redis URL to a client: one server, a Cluster, or a master found through Sentinel.

URLs:
- ``redis://``, ``rediss://``, ``unix://``: one server (redis-py's own URL syntax);
- ``redis+cluster://host:port`` (or ``rediss+cluster://``): a Redis Cluster through any of its nodes;
- ``redis+sentinel://[user:password@]host:port[,host:port…]/MASTER[/DB]`` (or ``rediss+sentinel://``,
  TLS to the sentinels and the master): the master named ``MASTER``, found through those sentinels
  and found again after a failover. The credentials are the master's; sentinels are asked without.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.sentinel import Sentinel
from redis.exceptions import RedisClusterException

from presence_core.errors import InvalidArgumentError
from presence_core.stores.redis_urls import SentinelUrl, sentinel_parts, url_problem

# Callers beyond the pool size wait for a connection (within the store's timeout) instead of failing.
MAX_CONNECTIONS = 64


@dataclass
class RedisConnection:
    """The client every store call uses; ``kind`` is "single", "cluster" or "sentinel"."""

    client: Any
    kind: str
    # Sentinel clients, closed with the connection.
    sentinels: list[Any] = field(default_factory=list)

    async def aclose(self) -> None:
        await self.client.aclose()
        for sentinel in self.sentinels:
            await sentinel.aclose()


def connect(url: str, *, cluster: bool | None, options: dict[str, Any]) -> RedisConnection:
    """A client for ``url`` with redis-py ``options`` (timeouts, TLS settings) for every connection.

    Raises ``InvalidArgumentError`` naming the setting ``redis_url`` (never quoting it: it may hold a
    password) when ``url`` is malformed; nothing is connected yet.
    """
    if problem := url_problem(url):
        raise InvalidArgumentError(f"redis_url {problem}")
    try:
        return _client(url, cluster, options)
    except (ValueError, TypeError, RedisClusterException) as exc:  # redis-py's own checks (URL options)
        raise InvalidArgumentError(f"redis_url is not a URL redis-py accepts ({type(exc).__name__}; "
                                   "check the options after ?)") from None


def _client(url: str, cluster: bool | None, options: dict[str, Any]) -> RedisConnection:
    scheme, _, _ = url.partition("://")
    base, _, mode = scheme.partition("+")
    if mode == "cluster" or (cluster and not mode):
        plain = url.replace(f"+{mode}", "", 1) if mode else url
        return RedisConnection(RedisCluster.from_url(plain, **options), "cluster")
    if mode == "sentinel":
        parts = sentinel_parts(url)
        if not isinstance(parts, SentinelUrl):
            raise InvalidArgumentError(f"redis_url {parts}")
        tls = {"ssl": True} if base == "rediss" else {}
        sentinel = Sentinel(parts.addresses, sentinel_kwargs={**options, **tls}, **options, **tls)
        client = sentinel.master_for(parts.master, db=parts.db, username=parts.username, password=parts.password)
        return RedisConnection(client, "sentinel", list(sentinel.sentinels))
    pool = aioredis.BlockingConnectionPool.from_url(url, timeout=None, **{"max_connections": MAX_CONNECTIONS,
                                                                          **options})
    return RedisConnection(aioredis.Redis.from_pool(pool), "single")
