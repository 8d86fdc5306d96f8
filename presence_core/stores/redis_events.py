"""Events between the processes sharing a Redis: each one's listener hears every event the others
committed, exactly once, also across dropped connections.

Where events live: a stream per hash tag, ``P e:{S}``, written by the very script that decides
them (the record script, the compare-and-set save, the alias changes of link, unlink and forget),
so an event is durable exactly when the change is; events given to ``publish`` go to the stream of
their subject (the person id, second element of every wire form). An entry holds ``i`` (the
process that wrote it), ``e`` (a JSON list of wire events, ``presence_core.events.to_wire``) and/or
``x`` (a JSON list of accounts whose person changed). Streams are capped by length and age
(``redis_lua.STREAM_MAX_LEN`` entries, ``STREAM_MAX_AGE_MS``), and spread over the 1024 tags, so a
cluster has no single hot key.

How a process hears them: it keeps its own last id per stream and reads on from there. A Redis
Cluster cannot block on streams of several slots in one call, so the writing script also
publishes a hint (``P events``: its instance id and the tags whose streams grew) and the reader
reads those streams. A hint is only a wake-up: one lost while a connection was down costs nothing,
since every (re)subscription reads every stream from the process's last ids, and so does a pass
every ``FULL_PASS_S`` seconds. A dropped read is retried from the same ids, so nothing is heard
twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from presence_core.errors import StoreUnavailableError
from presence_core.events import from_wire, to_wire
from presence_core.models import Event
from presence_core.stores.base import EventListener
from presence_core.stores.redis_client import RedisClient
from presence_core.stores.redis_health import reason
from presence_core.stores.redis_keys import Keys, all_tags, hash_tag

log = logging.getLogger(__name__)

FULL_PASS_S = 30.0
KEEPALIVE_S = 15.0  # a silent subscription is PINGed; no answer within another interval: reconnect
RETRY_FIRST_S = 0.05
RETRY_MAX_S = 2.0
READ_COUNT = 512


class EventFeed:
    """Hands other processes' events to ``listener``; ``evict(accounts)`` drops cached aliases, ``evict(None)`` all.

    ``listening`` is true while the hint subscription is up (the alias cache is trusted only then).
    """

    def __init__(self, redis: RedisClient, keys: Keys, instance: str,
                 evict: Callable[[Sequence[str] | None], None]) -> None:
        self.redis = redis
        self.keys = keys
        self.instance = instance
        self.channel = keys.prefix + "events"
        self.listening = False
        self._evict = evict
        self._listener: EventListener | None = None
        self._last: dict[str, bytes] = {}
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._subscribed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._attempt = 0

    # lifecycle -------------------------------------------------------------------------------------

    async def start(self, listener: EventListener | None) -> None:
        """Listens from now on; raises ``StoreUnavailableError`` when Redis cannot be reached in time."""
        await self.close()  # started again: the new listener replaces the old one
        self._listener = listener
        self._last = await self._tips()
        self._subscribed.clear()
        self._tasks = [asyncio.create_task(self._subscribe_forever()), asyncio.create_task(self._read_forever())]
        try:
            async with asyncio.timeout(self.redis.timeout):
                await self._subscribed.wait()
        except TimeoutError:
            await self.close()
            raise StoreUnavailableError("Redis store: could not subscribe to the event hints") from None

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        self.listening = False

    async def _tips(self) -> dict[str, bytes]:
        """The last id of every stream now: this process hears what comes after."""
        tags = all_tags()
        if not self.redis.cluster:
            ids = await self.redis.eval("TIPS", [])
        else:
            pipe = self.redis.raw.pipeline(transaction=False)
            for tag in tags:
                pipe.xrevrange(self.keys.events(tag), count=1)
            ids = [found[0][0] if found else b"0-0" for found in await self.redis.io(pipe.execute())]
        return dict(zip(tags, ids))

    # writing ---------------------------------------------------------------------------------------

    @staticmethod
    def wire(events: Sequence[Event]) -> str:
        """The events as the scripts take them ('' for none)."""
        return json.dumps([to_wire(e) for e in events], ensure_ascii=False) if events else ""

    async def publish(self, events: Sequence[Event]) -> None:
        """Events that change no person: into the stream of each one's subject (second element of its wire form)."""
        by_tag: dict[str, list[list[Any]]] = {}
        for wire in map(to_wire, events):
            by_tag.setdefault(hash_tag(str(wire[1])), []).append(wire)
        await self.redis.eval_many([("EMIT", [self.keys.events(tag)], (tag, json.dumps(wires, ensure_ascii=False)))
                                    for tag, wires in by_tag.items()])

    # reading ---------------------------------------------------------------------------------------

    def _grew(self, tags: Sequence[str]) -> None:
        self._dirty.update(tags)
        self._wake.set()

    async def _subscribe_forever(self) -> None:
        """Keeps one connection subscribed to the hints, reconnecting whenever it drops.

        A connection that drops is replaced (logged at DEBUG only: killed connections are routine);
        failing to connect is Redis being unavailable, told by ``health`` once per change.
        """
        delay = RETRY_FIRST_S
        while True:
            try:
                connection = await self._connect()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.redis.health.failed(reason(exc, self.redis.timeout))
            else:
                try:
                    await connection.send_command("SUBSCRIBE", self.channel)
                    await self._listen(connection)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if self.listening:  # it was subscribed: back off from the start again
                        delay = RETRY_FIRST_S
                    log.debug("presence: Redis event subscription lost (%s); reconnecting",
                              reason(exc, KEEPALIVE_S))
                finally:
                    with contextlib.suppress(Exception):
                        await connection.disconnect()
            self.listening = False
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)

    async def _listen(self, connection: Any) -> None:
        """Reads the subscription until it fails (raises); a silent one is PINGed."""
        pinged = False
        while True:
            reply = await connection.read_response(timeout=KEEPALIVE_S, push_request=True)
            if reply is None:
                if pinged:
                    raise ConnectionError("the event subscription does not answer PING")
                await connection.send_command("PING")
                pinged = True
                continue
            pinged = False  # any reply (a PONG too, whatever the protocol) shows the link works
            kind = reply[0] if isinstance(reply, list) else None
            if kind == b"subscribe":  # (re)subscribed: anything may have happened meanwhile
                self._evict(None)
                self.listening = True
                self.redis.health.answered()
                self._subscribed.set()
                self._grew(all_tags())
            elif kind == b"message":
                instance, *tags = reply[2].decode(errors="replace").split(" ")
                if instance != self.instance:
                    self._grew([t for t in tags if t in self._last])

    async def _connect(self) -> Any:
        """A connection of its own, with the client's settings (to any node of a cluster, in turn)."""
        raw = self.redis.raw
        if self.redis.cluster:
            await raw.initialize()
            nodes = raw.get_nodes()
            node = nodes[self._attempt % len(nodes)]
            self._attempt += 1
            connection = node.connection_class(**node.connection_kwargs)
        else:
            pool = raw.connection_pool
            connection = pool.connection_class(**pool.connection_kwargs)
        async with asyncio.timeout(self.redis.timeout):
            await connection.connect()
        return connection

    async def _read_forever(self) -> None:
        delay = RETRY_FIRST_S
        while True:
            try:
                async with asyncio.timeout(FULL_PASS_S):
                    await self._wake.wait()
            except TimeoutError:
                self._dirty.update(all_tags())
            self._wake.clear()
            while self._dirty:
                tags, self._dirty = sorted(self._dirty), set()
                try:
                    await self._read(tags)
                    delay = RETRY_FIRST_S
                except Exception as error:  # the ids only advance past what was delivered: retry from there
                    self._dirty.update(tags)
                    if not isinstance(error, StoreUnavailableError):  # an outage is told by ``health``
                        log.exception("presence: reading Redis events failed; retrying in %.2f s", delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX_S)

    async def _read(self, tags: Sequence[str]) -> None:
        """Everything after this process's last id in these streams, in order, each entry once."""
        todo = list(tags)
        while todo:
            keys = [self.keys.events(t) for t in todo]
            if not self.redis.cluster:
                found = await self.redis.io(self.redis.raw.xread(dict(zip(keys, (self._last[t] for t in todo))),
                                                                 count=READ_COUNT))
                by_key = {name: entries for name, entries in found}
                replies = [by_key.get(k.encode(), []) for k in keys]
            else:
                pipe = self.redis.raw.pipeline(transaction=False)
                for key, tag in zip(keys, todo):
                    pipe.xread({key: self._last[tag]}, count=READ_COUNT)
                replies = [found[0][1] if found else [] for found in await self.redis.io(pipe.execute())]
            more = []
            for tag, entries in zip(todo, replies):
                for entry_id, fields in entries:
                    await self._deliver(fields)
                    self._last[tag] = entry_id
                if len(entries) == READ_COUNT:
                    more.append(tag)
            todo = more

    async def _deliver(self, fields: dict[bytes, bytes]) -> None:
        try:
            evicted = json.loads(fields[b"x"]) if b"x" in fields else ()
            self._evict(evicted)
            if fields.get(b"i", b"").decode() == self.instance or self._listener is None or b"e" not in fields:
                return
            events = [from_wire(wire) for wire in json.loads(fields[b"e"])]
        except Exception:
            log.exception("presence: could not read a Redis event entry %r", fields)
            return
        for event in events:
            try:
                await self._listener(event)
            except Exception:
                log.exception("presence: event listener failed")

