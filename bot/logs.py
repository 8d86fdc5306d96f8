"""Structured logs: one ``key=value`` line per record, stamped with the message being handled.

Each incoming session gets a request id, kept in a context variable while the bot handles it, so
every line logged meanwhile (by the bot, the core, a store or an adapter's outbox) carries the same
id and the ids of its platform, person and channel; tasks started meanwhile copy the context.
Lines never hold message text, and configured secrets are blanked in case a library logs them.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import secrets
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import NamedTuple, TextIO

from presence_bot.session import Session

REQUEST_FIELDS = ("request_id", "platform", "user_id", "channel_id")
# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged too.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
_BARE = re.compile(r"[\w.:/@+\-]+")


class Request(NamedTuple):
    """A tuple, not a dataclass: one is made for every incoming message."""

    request_id: str
    platform: str
    user_id: str
    channel_id: str


_current: ContextVar[Request | None] = ContextVar("presence_request", default=None)
# Request ids: a random tag per process and a counter, unique across processes and cheap per message.
_PROCESS = secrets.token_hex(3)
_sequence = itertools.count(1)


def current_request() -> Request | None:
    return _current.get()


class request_scope:  # noqa: N801 - used as a function: ``with request_scope(session):``
    """The request of one incoming session, current until the block ends (a class, not a generator:
    it runs for every message)."""

    __slots__ = ("_request", "_token")

    def __init__(self, session: Session) -> None:
        self._request = Request(f"{_PROCESS}-{next(_sequence):x}", session.platform, session.user_id,
                                session.channel_id)

    def __enter__(self) -> Request:
        self._token = _current.set(self._request)
        return self._request

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)


class RequestFilter(logging.Filter):
    """Stamps every record with the current request, so any formatter can show it."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = _current.get()
        for name in REQUEST_FIELDS:
            if request is not None:
                setattr(record, name, getattr(request, name))
            elif not hasattr(record, name):  # keep what a caller passed in ``extra``
                setattr(record, name, None)
        return True


def _value(text: str) -> str:
    """Bare when safe, else a JSON string with every unprintable character escaped: ids cannot forge lines."""
    if _BARE.fullmatch(text):
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(ch if ch.isprintable() else json.dumps(ch)[1:-1] for ch in quoted)


class KeyValueFormatter(logging.Formatter):
    """``ts=… level=… logger=… request_id=… platform=… user_id=… channel_id=… msg="…"`` and any extras."""

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted((s for s in secret_values if s), key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        pairs: list[tuple[str, object]] = [("ts", moment), ("level", record.levelname), ("logger", record.name)]
        pairs += [(name, getattr(record, name)) for name in REQUEST_FIELDS if getattr(record, name, None) is not None]
        pairs.append(("msg", record.getMessage()))
        pairs += [(key, value) for key, value in vars(record).items()
                  if key not in _STANDARD and key not in REQUEST_FIELDS and not key.startswith("_")]
        if record.exc_info:
            pairs.append(("exc", self.formatException(record.exc_info)))
        if record.stack_info:
            pairs.append(("stack", self.formatStack(record.stack_info)))
        return " ".join(f"{key}={_value(self._redact(str(value)))}" for key, value in pairs)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def configure(level: str | int, stream: TextIO, secret_values: Iterable[str] = ()) -> logging.Handler:
    """Send every logger's records to ``stream`` as structured lines; returns the handler it installed."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestFilter())
    handler.setFormatter(KeyValueFormatter(secret_values))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
