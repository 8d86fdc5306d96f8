"""A small Bot API server on 127.0.0.1 that the real python-telegram-bot talks to in tests.

It serves queued updates through getUpdates (long polling), records every sendMessage, and
can be told to fail: flood control (429 with retry_after) or a chat the bot cannot write to.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from aiohttp import web

BOT_ID = 123
BOT_USERNAME = "PresenceBot"
TOKEN = f"{BOT_ID}:AAfake-token-for-tests"
# Form fields PTB sends JSON-encoded; everything else arrives as a plain string.
_JSON_FIELDS = {"reply_parameters", "commands", "allowed_updates", "link_preview_options", "scope"}
_INT_FIELDS = {"chat_id", "message_thread_id", "offset", "limit"}

CANNOT_INITIATE = (403, "Forbidden: bot can't initiate conversation with a user")


@dataclass
class Sent:
    """One sendMessage the bot made."""

    chat_id: int
    text: str
    parse_mode: str | None
    message_thread_id: int | None
    params: dict[str, Any] = field(repr=False)


@dataclass
class FakeBotApi:
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Chats sendMessage refuses, with the HTTP status and description Telegram gives.
    refused_chats: dict[int, tuple[int, str]] = field(default_factory=dict)
    # Scripted failures for the next calls of a method, in order: (status, description, parameters).
    failures: dict[str, deque[tuple[int, str, dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(deque))
    port: int = 0
    # The host's clock (the tests' clock), and how far Telegram's clock is from it: Telegram stamps
    # what it sends (message dates, the Date of its responses) with its own.
    now_ms: Callable[[], int] = field(default=lambda: time.time_ns() // 1_000_000)
    offset_ms: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(10_000))
    _runner: web.AppRunner | None = None

    def telegram_ms(self) -> int:
        """Now on Telegram's clock."""
        return self.now_ms() + self.offset_ms

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        # A long poll the client gave up on ends with it, as on Telegram.
        self._runner = web.AppRunner(app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # scripting ---------------------------------------------------------------------------------

    async def push(self, update: dict[str, Any]) -> int:
        """Queue an update for the next getUpdates; returns its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        async with self._changed:
            self.updates.append(update)
            self._changed.notify_all()
        return update["update_id"]

    def flood(self, method: str, retry_after: int) -> None:
        self.failures[method].append((429, f"Too Many Requests: retry after {retry_after}",
                                      {"retry_after": retry_after}))

    async def wait_for(self, predicate: Callable[[FakeBotApi], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(lambda: predicate(self))

    async def wait_sent(self, count: int, timeout: float = 5.0) -> list[Sent]:
        """The first ``count`` messages the bot sent, waiting for them if needed."""
        await self.wait_for(lambda api: len(api.sent) >= count, timeout)
        return self.sent[:count]

    def called(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    # the Bot API -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = _decode(dict(await request.post()))
        async with self._changed:
            self.calls.append((method, params))
            self._changed.notify_all()
        if self.failures[method]:
            status, description, parameters = self.failures[method].popleft()
            response = _error(status, description, parameters)
        else:
            handler = getattr(self, f"_api_{method}", None)
            response = _ok(True) if handler is None else await handler(params)
        response.headers["Date"] = formatdate(self.telegram_ms() / 1000, usegmt=True)
        return response

    async def _api_getMe(self, params: dict[str, Any]) -> web.Response:
        return _ok({"id": BOT_ID, "is_bot": True, "first_name": "Presence", "username": BOT_USERNAME,
                    "can_join_groups": True, "can_read_all_group_messages": True,
                    "supports_inline_queries": False})

    async def _api_getUpdates(self, params: dict[str, Any]) -> web.Response:
        offset = params.get("offset", 0)
        timeout = float(params.get("timeout", 0))

        def pending() -> list[dict[str, Any]]:
            return [u for u in self.updates if u["update_id"] >= offset]

        async with self._changed:
            # Confirmed updates (below offset) are gone for good, as on Telegram.
            self.updates = pending()
            if not self.updates and timeout > 0:
                try:
                    async with asyncio.timeout(timeout):
                        await self._changed.wait_for(lambda: bool(pending()))
                except TimeoutError:
                    pass
            return _ok(pending())

    async def _api_sendMessage(self, params: dict[str, Any]) -> web.Response:
        chat_id = params["chat_id"]
        if chat_id in self.refused_chats:
            return _error(*self.refused_chats[chat_id])
        sent = Sent(chat_id=chat_id, text=params["text"], parse_mode=params.get("parse_mode"),
                    message_thread_id=params.get("message_thread_id"), params=params)
        async with self._changed:
            self.sent.append(sent)
            self._changed.notify_all()
        chat_type = "private" if chat_id > 0 else "supergroup"
        return _ok({"message_id": next(self._message_ids), "date": self.telegram_ms() // 1000,
                    "chat": {"id": chat_id, "type": chat_type},
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Presence", "username": BOT_USERNAME},
                    "text": params["text"]})

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> web.Response:
        return _ok({"url": "", "has_custom_certificate": False, "pending_update_count": 0})


def _decode(form: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for key, value in form.items():
        if key in _JSON_FIELDS:
            decoded[key] = json.loads(value)
        elif key in _INT_FIELDS:
            decoded[key] = int(value)
        else:
            decoded[key] = value
    return decoded


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
