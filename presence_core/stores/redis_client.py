"""The connection to Redis, Sentinel or a Redis Cluster: one timeout per call, server-side scripts.

Every network exchange of the store goes through ``RedisClient.io`` (one command, pipeline or
script), which bounds it by the store's timeout and turns any failure into
``StoreUnavailableError``, and tells ``health`` (``redis_health``: one log line per change of state).
Clients come from ``redis_connect.connect`` (URLs, Sentinel).

Behind Sentinel a write counts once every replica of the master has it (Redis ``WAIT``), so a
failover right after it loses nothing acknowledged: scripts named in ``write_scripts`` run in a
pipeline that ends with ``ROLE`` and ``WAIT`` on the same connection, and the call fails (the
service retries it) when fewer replicas than ``ROLE`` lists acknowledged the writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

import hiredis
from redis.exceptions import NoScriptError, RedisClusterException, RedisError, ResponseError

from presence_core.errors import InvalidArgumentError, StoreUnavailableError
from presence_core.stores.redis_connect import connect
from presence_core.stores.redis_health import Health, reason

T = TypeVar("T")
Call = tuple[str, Sequence[str], Sequence[object]]  # script name, keys, arguments after prefix and instance
IDLE_DIRECT = 64  # connections kept for direct script calls (one per call in flight)


class RedisClient:
    """A redis-py client with the store's scripts; ``timeout`` bounds every call (seconds).

    Every script gets the key prefix and the process's instance id as its first two arguments;
    ``scripts`` gives their sources for a cluster (True) or any other Redis (False).
    """

    def __init__(self, url: str, *, cluster: bool | None, timeout: float, prefix: str, instance: str,
                 scripts: Callable[[bool], Mapping[str, str]], write_scripts: Collection[str],
                 options: Mapping[str, Any]) -> None:
        # One asyncio.timeout per call instead of redis-py's per-reply socket timeouts (PERF_NOTES).
        self.connection = connect(url, cluster=cluster,
                                  options={"socket_timeout": None, "socket_connect_timeout": timeout, **options})
        self.raw: Any = self.connection.client
        self.cluster = self.connection.kind == "cluster"
        self.timeout = timeout
        self.prefix = prefix
        self._head = (prefix, instance)  # every script's ARGV[1] and ARGV[2]
        self._sources = scripts(self.cluster)
        self._writes = frozenset(write_scripts)
        self._shas: dict[str, str] = {}
        self._idle: list[Any] = []  # connections of ``_direct``, idle
        # Replicas a write must reach (Sentinel only): the number ROLE listed last time.
        self._replicas: int | None = 1 if self.connection.kind == "sentinel" else None
        self.health = Health()

    async def io(self, call: Awaitable[T]) -> T:
        started = self.health.clock()
        try:
            async with asyncio.timeout(self.timeout):
                result = await call
        # redis-py's cluster client raises RedisClusterException (not a RedisError) when no node answers.
        except (RedisError, RedisClusterException, OSError, TimeoutError) as exc:
            why = reason(exc, self.timeout)
            self.health.failed(why, started)
            raise StoreUnavailableError(f"Redis store: {why}") from exc
        self.health.answered()
        return result

    async def check_kind(self) -> None:
        """Raises ``InvalidArgumentError`` when ``redis_url`` says Cluster and the server is not part of one,
        or says one server and it is a cluster node (whose keys would then be refused one by one).

        Any other failure passes silently: the calls that follow meet it and report it. A server that
        does not let this user run ``INFO`` is not checked.
        """
        try:
            async with asyncio.timeout(self.timeout):
                if self.cluster:
                    await self.raw.initialize()
                elif self.connection.kind == "single" and (await self.raw.info("cluster")).get("cluster_enabled"):
                    raise InvalidArgumentError("redis_url points at a node of a Redis Cluster: use redis+cluster:// "
                                               "(rediss+cluster:// with TLS) to use the whole cluster")
        except RedisClusterException as exc:
            if "Cluster mode is not enabled" in str(exc):  # redis-py's words (redis.asyncio.cluster)
                raise InvalidArgumentError("redis_url names a Redis Cluster (redis+cluster://), but the server "
                                           "there is not part of a cluster: use redis:// for one server") from None
        except (RedisError, OSError, TimeoutError):
            pass

    async def load_scripts(self) -> None:
        for name, source in self._sources.items():
            sha = await self.raw.script_load(source)
            self._shas[name] = sha.decode() if isinstance(sha, bytes) else sha

    async def eval(self, name: str, keys: Sequence[str], *args: object) -> Any:
        """EVALSHA, loading the scripts once when Redis does not know them (first use, restart)."""
        if self._replicas is not None and name in self._writes:
            return (await self.eval_many([(name, keys, args)]))[0]
        direct = self.connection.kind == "single"

        async def call() -> Any:
            if not self._shas:
                await self.load_scripts()
            for attempt in range(2):
                command = ("EVALSHA", self._shas[name], len(keys), *keys, *self._head, *args)
                try:
                    return (await self._direct([command]))[0] if direct else await self.raw.execute_command(*command)
                except NoScriptError:
                    if attempt:
                        raise
                    await self.load_scripts()
        return await self.io(call())

    async def _direct(self, commands: Sequence[tuple[object, ...]]) -> list[Any]:
        """Commands in one write on a connection of the store's own, packed by hiredis (single Redis
        only); the replies as Redis sends them, no redis-py reply callbacks.

        redis-py's ``execute_command`` and its pool cost about 100 µs of client CPU per call, this
        20-30 µs (measured): it is the record script's path, once per batch. An idle connection the
        server closed is opened anew first (as redis-py's pool does); one that failed in a call is
        closed, and the call fails (never sent twice: a script's writes are not idempotent). An
        error reply raises once every reply is read (the connection stays usable).
        """
        connection = self._idle.pop() if self._idle else self.raw.connection_pool.make_connection()
        replies: list[Any] = []
        error: ResponseError | None = None
        try:
            if connection.is_connected and await connection.can_read():  # closed (or dirty) while idle
                await connection.disconnect()
            if not connection.is_connected:
                await connection.connect()
            await connection.send_packed_command(b"".join(hiredis.pack_command(c) for c in commands),
                                                 check_health=False)
            for _ in commands:
                try:
                    replies.append(await connection.read_response())
                except ResponseError as exc:
                    error = error or exc
        except BaseException:
            await connection.disconnect()
            raise
        if len(self._idle) < IDLE_DIRECT:
            self._idle.append(connection)
        else:
            await connection.disconnect()
        if error is not None:
            raise error
        return replies

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
                if self._replicas is not None:
                    pipe.execute_command("ROLE")
                    pipe.execute_command("WAIT", self._replicas, int(self.timeout * 1000 / 2))
                replies = await pipe.execute(raise_on_error=False)
                if self._replicas is not None:
                    self._check_replicated(replies.pop(-2), replies.pop())
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

    def _check_replicated(self, role: Any, acknowledged: Any) -> None:
        """Every replica ROLE listed has the writes, else they do not count; remember how many there are."""
        if isinstance(role, Exception) or isinstance(acknowledged, Exception):
            raise role if isinstance(role, Exception) else acknowledged
        replicas = len(role[2]) if role[0] == b"master" else 0
        self._replicas = replicas
        if acknowledged < replicas:
            raise RedisError(f"a write reached {acknowledged} of the master's {replicas} replicas")

    async def pipeline(self, commands: Sequence[Sequence[object]]) -> list[Any]:
        """Plain commands in one pipeline; replies in order."""
        pipe = self.raw.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        return await self.io(pipe.execute())

    async def read_lists(self, commands: Sequence[tuple[object, ...]]) -> list[list[bytes]]:
        """Commands that answer with a list of strings (``HVALS``, ``ZRANGE`` without scores…) in one
        round trip; replies in order. On a single Redis they skip redis-py's pipeline, whose client
        CPU time for two replies of 500 strings is about three times this (measured: 300 µs, 110 µs).
        """
        if self.connection.kind != "single":
            return await self.pipeline(commands)
        return await self.io(self._direct(commands))

    async def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        return await self.io(self.raw.mget_nonatomic(keys) if self.cluster else self.raw.mget(keys))

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.disconnect()
        await self.connection.aclose()
