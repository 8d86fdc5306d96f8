"""Events between the processes sharing a Redis: what other processes decided reaches this one's listener.

Pub/sub on ``P events``: ``{"i": instance, "e": [wire events], "x": [accounts whose person changed]}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from presence_core.events import from_wire, to_wire
from presence_core.models import Event
from presence_core.stores.base import EventListener
from presence_core.stores.redis_client import RedisClient

log = logging.getLogger(__name__)


class EventFeed:
    """Hands other processes' events to ``listener``; ``evict(accounts)`` drops cached aliases, ``evict(None)`` all."""

    def __init__(self, redis: RedisClient, instance: str, evict: Callable[[Sequence[str] | None], None]) -> None:
        self.redis = redis
        self.instance = instance
        self.channel = redis.prefix + "events"
        self.listening = False
        self._evict = evict
        self._listener: EventListener | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pubsub: Any = None

    async def start(self, listener: EventListener | None) -> None:
        await self.close()  # started again: the new listener replaces the old one
        self._listener = listener
        self._pubsub = self.redis.raw.pubsub()
        await self.redis.io(self._pubsub.subscribe(self.channel))
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None
        self.listening = False

    def wire(self, events: Sequence[Event]) -> str:
        """The events as the scripts pass them on ('' for none)."""
        return json.dumps([to_wire(e) for e in events], ensure_ascii=False) if events else ""

    async def announce(self, events: Sequence[Event] = (), evicted: Sequence[str] = ()) -> None:
        message = {"i": self.instance, "e": [to_wire(e) for e in events], "x": list(evicted)}
        await self.redis.io(self.redis.raw.publish(self.channel, json.dumps(message, ensure_ascii=False)))

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("presence: Redis event subscription lost; reconnecting", exc_info=True)
                self.listening = False
                self._evict(None)
                await asyncio.sleep(1)
                continue
            if message is None:
                continue
            if message["type"] == "subscribe":  # (re)subscribed: anything may have changed meanwhile
                self._evict(None)
                self.listening = True
            if message["type"] == "message":
                try:
                    await self._dispatch(json.loads(message["data"]))
                except Exception:
                    log.exception("presence: could not handle the Redis event %r", message["data"][:200])

    async def _dispatch(self, message: dict[str, Any]) -> None:
        self._evict(message.get("x", ()))
        if message["i"] == self.instance or self._listener is None:
            return
        for wire in message.get("e", ()):
            try:
                await self._listener(from_wire(wire))
            except Exception:
                log.exception("presence: event listener failed")
