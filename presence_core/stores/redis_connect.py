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
from urllib.parse import unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.sentinel import Sentinel

from presence_core.errors import InvalidArgumentError

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


def _sentinel_parts(url: str) -> tuple[list[tuple[str, int]], str, int, str | None, str | None]:
    """(sentinel addresses, master name, db, username, password) of a ``+sentinel`` URL."""
    parts = urlsplit(url)
    credentials, _, hosts = parts.netloc.rpartition("@")
    username, _, password = credentials.partition(":")
    addresses = []
    for host in hosts.split(","):
        name, _, port = host.rpartition(":")
        if not name or not port.isdigit():
            raise InvalidArgumentError("a Redis Sentinel URL lists sentinels as host:port, separated by commas")
        addresses.append((name.strip("[]"), int(port)))
    path = [p for p in parts.path.split("/") if p]
    if not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise InvalidArgumentError("a Redis Sentinel URL ends in /MASTER_NAME or /MASTER_NAME/DB")
    return (addresses, unquote(path[0]), int(path[1]) if len(path) == 2 else 0,
            unquote(username) or None, unquote(password) or None)


def connect(url: str, *, cluster: bool | None, options: dict[str, Any]) -> RedisConnection:
    """A client for ``url`` with redis-py ``options`` (timeouts, TLS settings) for every connection."""
    scheme, sep, _ = url.partition("://")
    if not sep:
        raise InvalidArgumentError("a Redis URL starts with redis://, rediss://, unix://, redis+cluster:// "
                                   "or redis+sentinel://")
    base, _, mode = scheme.partition("+")
    plain = url.replace(f"+{mode}", "", 1) if mode else url
    if mode == "cluster" or (cluster and not mode):
        return RedisConnection(RedisCluster.from_url(plain, **options), "cluster")
    if mode == "sentinel":
        addresses, master, db, username, password = _sentinel_parts(url)
        tls = {"ssl": True} if base == "rediss" else {}
        sentinel = Sentinel(addresses, sentinel_kwargs={**options, **tls}, **options, **tls)
        client = sentinel.master_for(master, db=db, username=username, password=password)
        return RedisConnection(client, "sentinel", list(sentinel.sentinels))
    if mode:
        raise InvalidArgumentError(f"unknown Redis URL scheme {scheme}://")
    pool = aioredis.BlockingConnectionPool.from_url(url, timeout=None, **{"max_connections": MAX_CONNECTIONS,
                                                                          **options})
    return RedisConnection(aioredis.Redis.from_pool(pool), "single")
