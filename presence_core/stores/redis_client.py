"""The connection to Redis or a Redis Cluster: URLs, one timeout per call, server-side scripts.

Every network exchange of the store goes through ``RedisClient.io`` (one command, pipeline or
script), which bounds it by the store's timeout and turns any failure into
``StoreUnavailableError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError, RedisError

from presence_core.errors import StoreUnavailableError

T = TypeVar("T")
Call = tuple[str, Sequence[str], Sequence[object]]  # script name, keys, arguments after the prefix
POOL_SIZE = 64


def split_url(url: str, cluster: bool | None) -> tuple[str, bool]:
    """The redis-py URL and whether it names a cluster (``redis+cluster://``, ``rediss+cluster://``)."""
    for scheme in ("redis+cluster://", "rediss+cluster://"):
        if url.startswith(scheme):
            return url.replace("+cluster", "", 1), True
    return url, bool(cluster)


class RedisClient:
    """A redis-py client with the store's scripts; ``timeout`` bounds every call (seconds).

    Every script gets the key prefix and the process's instance id as its first two arguments.
    """

    def __init__(self, url: str, *, cluster: bool | None, timeout: float, prefix: str, instance: str,
                 scripts: Mapping[str, str], options: Mapping[str, Any]) -> None:
        url, self.cluster = split_url(url, cluster)
        self.timeout = timeout
        self.prefix = prefix
        self._head = (prefix, instance)  # every script's ARGV[1] and ARGV[2]
        self._sources = scripts
        self._shas: dict[str, str] = {}
        # One asyncio.timeout per call instead of redis-py's per-reply socket timeouts (PERF_NOTES).
        settings = {"socket_timeout": None, "socket_connect_timeout": timeout, **options}
        if self.cluster:
            self.raw: Any = RedisCluster.from_url(url, **settings)
        else:  # callers beyond the pool size wait for a connection (within the timeout) instead of failing
            pool = aioredis.BlockingConnectionPool.from_url(url, timeout=None, **{"max_connections": POOL_SIZE,
                                                                                  **settings})
            self.raw = aioredis.Redis.from_pool(pool)

    async def io(self, call: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self.timeout):
                return await call
        except (RedisError, OSError, TimeoutError) as exc:
            raise StoreUnavailableError(f"Redis store: {type(exc).__name__}: {exc}") from exc

    async def load_scripts(self) -> None:
        for name, source in self._sources.items():
            sha = await self.raw.script_load(source)
            self._shas[name] = sha.decode() if isinstance(sha, bytes) else sha

    async def eval(self, name: str, keys: Sequence[str], *args: object) -> Any:
        """EVALSHA, loading the scripts once when Redis does not know them (first use, restart)."""
        async def call() -> Any:
            if not self._shas:
                await self.load_scripts()
            try:
                return await self.raw.evalsha(self._shas[name], len(keys), *keys, *self._head, *args)
            except NoScriptError:
                await self.load_scripts()
                return await self.raw.evalsha(self._shas[name], len(keys), *keys, *self._head, *args)
        return await self.io(call())

    async def eval_many(self, calls: Sequence[Call]) -> list[Any]:
        """Several scripts in one pipeline (one round trip per node); retries only those Redis did not know."""
        async def run() -> list[Any]:
            if not self._shas:
                await self.load_scripts()
            results: list[Any] = [None] * len(calls)
            todo = list(range(len(calls)))
            for _ in range(2):
                pipe = self.raw.pipeline(transaction=False)
                for i in todo:
                    name, keys, args = calls[i]
                    pipe.execute_command("EVALSHA", self._shas[name], len(keys), *keys, *self._head, *args)
                replies = await pipe.execute(raise_on_error=False)
                missing = []
                for i, reply in zip(todo, replies):
                    if isinstance(reply, NoScriptError):
                        missing.append(i)
                    elif isinstance(reply, Exception):
                        raise reply
                    else:
                        results[i] = reply
                if not missing:
                    return results
                await self.load_scripts()
                todo = missing
            raise NoScriptError("scripts keep disappearing from Redis")
        return await self.io(run())

    async def pipeline(self, commands: Sequence[Sequence[object]]) -> list[Any]:
        """Plain commands in one pipeline; replies in order."""
        pipe = self.raw.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        return await self.io(pipe.execute())

    async def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        return await self.io(self.raw.mget_nonatomic(keys) if self.cluster else self.raw.mget(keys))

    async def close(self) -> None:
        await self.raw.aclose()
