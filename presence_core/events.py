"""Listeners for what happens to people, and the one wire form events take between processes.

Names a listener can register for: ``status_change``, ``online``, ``offline`` (status transitions,
SPEC section 4), ``available``, ``unavailable`` (SPEC section 12), ``room_change`` (what a room
sees of a person, SPEC section 11) and ``tokens_revoked`` (API tokens that stopped working, by
hash). Each event type says which names it reaches (``calls``). Between processes sharing a store,
an event travels as a short JSON array made by ``to_wire`` and read back by ``from_wire``; a store
needs no knowledge of its types.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from typing import Any

from presence_core.errors import InvalidArgumentError
from presence_core.models import (
    AvailabilityChange,
    Event,
    RoomChange,
    RoomDevice,
    RoomMember,
    TokensRevoked,
    Transition,
)
from presence_core.status import Status

log = logging.getLogger(__name__)

EVENTS = ("status_change", "online", "offline", "available", "unavailable", "room_change", "tokens_revoked")
Handler = Callable[..., Any]

# Status codes on the wire; the Redis record script writes the same ones.
STATUS_CODES: dict[Status, str] = {Status.ONLINE: "o", Status.AWAY: "a", Status.DND: "d", Status.OFFLINE: "f"}
_CODE_STATUS = {code: status for status, code in STATUS_CODES.items()}


def to_wire(event: Event) -> list[Any]:
    """``["t", user, old, new, at]`` for a transition, ``["a", user, 0|1, at]`` for availability,
    ``["r", room, person, member or null, at]`` for a room change, where a member is
    ``[account, name, status, custom status, [[device name, since, location], ...]]``, and
    ``["k", [token hash, ...], at]`` for revoked tokens."""
    if isinstance(event, Transition):
        return ["t", event.user_id, STATUS_CODES[event.old], STATUS_CODES[event.new], event.at]
    if isinstance(event, RoomChange):
        m = event.member
        member = None if m is None else [m.user_id, m.name, STATUS_CODES[m.status], m.custom_status,
                                         [[d.name, d.since, d.location] for d in m.devices]]
        return ["r", event.room_id, event.person_id, member, event.at]
    if isinstance(event, TokensRevoked):
        return ["k", list(event.hashes), event.at]
    return ["a", event.user_id, int(event.available), event.at]


def _room_member(person: str, wire: Any) -> RoomMember | None:
    match wire:
        case None:
            return None
        # Redis's Lua cjson writes an empty array it decoded as an object: ``{}`` is no devices.
        case [str(account), str() | None as name, str(status), str() | None as custom, list() | dict() as devices] \
                if status in _CODE_STATUS and (isinstance(devices, list) or not devices):
            return RoomMember(person, account, name, _CODE_STATUS[status], custom,
                              tuple(RoomDevice(str(n), int(since), location) for n, since, location in devices))
    raise ValueError(f"not a room member: {str(wire)[:100]}")


def from_wire(wire: Sequence[Any]) -> Event:
    """The event ``to_wire`` made; raises ``ValueError`` for anything else."""
    match list(wire):
        case ["t", str(user), str(old), str(new), int(at)] if old in _CODE_STATUS and new in _CODE_STATUS:
            return Transition(user, _CODE_STATUS[old], _CODE_STATUS[new], at)
        case ["a", str(user), 0 | 1 as available, int(at)]:
            return AvailabilityChange(user, bool(available), at)
        case ["r", str(room), str(person), member, int(at)]:
            return RoomChange(room, person, _room_member(person, member), at)
        case ["k", list(hashes), int(at)] if all(isinstance(h, str) for h in hashes):
            return TokensRevoked(tuple(hashes), at)
    raise ValueError(f"not an event: {str(wire)[:100]}")


def _callable(handler: object) -> Handler:
    """A listener is checked when it is registered, not on every event it would fail on."""
    if not callable(handler):
        raise InvalidArgumentError(f"a listener must be a function or other callable, not {type(handler).__name__}")
    return handler


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {name: [] for name in EVENTS}

    def on(self, event: str, handler: Handler | None = None) -> Any:
        """Register ``handler``; without one, return a decorator that does."""
        if event not in self._handlers:
            raise InvalidArgumentError(f"unknown event {event!r}: expected one of {', '.join(EVENTS)}")
        if handler is None:
            def decorator(func: Handler) -> Handler:
                self._handlers[event].append(_callable(func))
                return func
            return decorator
        self._handlers[event].append(_callable(handler))
        return handler

    def off(self, event: str, handler: Handler) -> None:
        self._handlers.get(event, []).remove(handler)

    async def emit(self, event: Event) -> None:
        """Call every listener of what this event means; a failing listener is logged, not raised."""
        for name, args in event.calls():
            for handler in list(self._handlers[name]):
                try:
                    result = handler(*args)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception("presence %s listener %r failed", name, handler)
