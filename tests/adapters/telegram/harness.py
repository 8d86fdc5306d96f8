"""A running presence-bot Telegram side, driven through the fake Bot API like real Telegram."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fake_bot_api import TOKEN, FakeBotApi, Sent
from telegram_updates import Messages, Person, private

from presence_adapters.telegram import serve
from presence_bot.app import PresenceBot
from presence_bot.membership import MembershipChange
from presence_bot.session import Session
from presence_bot.settings import TelegramSettings

# Someone no test asks about, whose private message shows the bot got past the updates before it.
MARKER = Person(9_999, "Marker")


class Handled:
    """Counts sessions and membership changes the PresenceBot has finished with, so tests wait for
    work, not for time."""

    def __init__(self, presence_bot: PresenceBot) -> None:
        self.count = 0
        self._changed = asyncio.Condition()
        handle, apply = presence_bot.handle, presence_bot.apply

        async def counted_handle(session: Session) -> None:
            await handle(session)
            await self._done()

        async def counted_apply(change: MembershipChange) -> None:
            await apply(change)
            await self._done()

        presence_bot.handle = counted_handle  # type: ignore[method-assign]
        presence_bot.apply = counted_apply  # type: ignore[method-assign]

    async def _done(self) -> None:
        async with self._changed:
            self.count += 1
            self._changed.notify_all()

    async def reach(self, count: int, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self.count >= count)


class Telegram:
    def __init__(self, api: FakeBotApi, presence_bot: PresenceBot) -> None:
        self.api = api
        self.presence_bot = presence_bot
        self.handled = Handled(presence_bot)
        self._pushed = 0

    async def deliver(self, *updates: dict[str, Any]) -> None:
        """Telegram delivers these updates; returns once the bot has handled all of them."""
        for update in updates:
            await self.api.push(update)
        self._pushed += len(updates)
        await self.handled.reach(self._pushed)

    async def deliver_ignored(self, *updates: dict[str, Any]) -> None:
        """Updates the bot takes as nothing (neither a session nor a membership change): delivered, then
        a message from someone else, which the bot handles only after starting on them."""
        for update in updates:
            await self.api.push(update)
        await self.deliver(Messages(self.api.telegram_ms).message(MARKER, private(MARKER), "tick"))

    async def ask(self, update: dict[str, Any], replies: int = 1) -> list[Sent]:
        """Deliver one update and return the ``replies`` messages the bot sent for it."""
        before = len(self.api.sent)
        await self.deliver(update)
        sent = await self.api.wait_sent(before + replies)
        return sent[before:]


@contextlib.asynccontextmanager
async def running(api: FakeBotApi, settings: TelegramSettings, presence_bot: PresenceBot,
                  ready: str = "getUpdates") -> AsyncIterator[Telegram]:
    """``serve`` in a task until the block ends, then cancelled as the CLI would."""
    telegram = Telegram(api, presence_bot)
    task = asyncio.create_task(serve(settings, presence_bot))
    try:
        await api.wait_for(lambda api: bool(api.called(ready)) or task.done())
        if task.done():
            task.result()
        yield telegram
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)


def polling_settings(api: FakeBotApi) -> TelegramSettings:
    return TelegramSettings(token=TOKEN, base_url=api.base_url)
