"""Listeners for status transitions (``status_change``, ``online``, ``offline``) and rooms (``room_change``)."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from presence_core.errors import InvalidArgumentError
from presence_core.models import RoomChange, Transition
from presence_core.status import Status

log = logging.getLogger(__name__)

EVENTS = ("status_change", "online", "offline", "room_change")
Handler = Callable[..., Any]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {name: [] for name in EVENTS}

    def on(self, event: str, handler: Handler | None = None) -> Any:
        """Register ``handler``; without one, return a decorator that does."""
        if event not in self._handlers:
            raise InvalidArgumentError(f"unknown event {event!r}: expected one of {', '.join(EVENTS)}")
        if handler is None:
            def decorator(func: Handler) -> Handler:
                self._handlers[event].append(func)
                return func
            return decorator
        self._handlers[event].append(handler)
        return handler

    def off(self, event: str, handler: Handler) -> None:
        self._handlers.get(event, []).remove(handler)

    async def emit(self, transition: Transition) -> None:
        """Call every listener of what this transition means; a failing listener is logged, not raised."""
        calls: list[tuple[str, tuple[Any, ...]]] = [("status_change", (transition.user_id, transition.old, transition.new))]
        if transition.old is Status.OFFLINE:
            calls.append(("online", (transition.user_id,)))
        if transition.new is Status.OFFLINE:
            calls.append(("offline", (transition.user_id,)))
        await self._call(calls)

    async def emit_room(self, change: RoomChange) -> None:
        """``room_change(change)``: what a room sees of one person changed (SPEC section 11)."""
        await self._call([("room_change", (change,))])

    async def _call(self, calls: list[tuple[str, tuple[Any, ...]]]) -> None:
        for event, args in calls:
            for handler in list(self._handlers[event]):
                try:
                    result = handler(*args)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception("presence %s listener %r failed", event, handler)
