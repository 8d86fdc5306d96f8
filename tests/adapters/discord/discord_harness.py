"""A running discord.py bot wired to the fake Discord, and the verbs tests use to talk to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import discord
from discord.ext import commands
from fake_discord import CHANNEL_ID, FakeDiscord, Sent

# discord.py runs each event handler and each app command in a task with one of these names.
_HANDLER_TASKS = ("discord.py: ", "CommandTree-invoker")
WAIT_S = 5.0


class Chat:
    """People talking to the bot through the fake gateway; each verb returns what the bot sent back."""

    def __init__(self, fake: FakeDiscord, bot: commands.Bot) -> None:
        self.fake = fake
        self.bot = bot

    async def settle(self) -> None:
        """Wait until the bot has read every event sent so far and finished handling it."""
        async with asyncio.timeout(WAIT_S):
            while self.bot.ws is None or (self.bot.ws.sequence or 0) < self.fake.last_seq:
                await asyncio.sleep(0.005)
            while busy := [t for t in asyncio.all_tasks() if t.get_name().startswith(_HANDLER_TASKS)
                           and t is not asyncio.current_task()]:
                await asyncio.gather(*busy, return_exceptions=True)

    async def _sent_after(self, action: Any) -> list[Sent]:
        mark = len(self.fake.calls)
        await action
        await self.settle()
        return self.fake.sent(mark)

    async def say(self, user_id: int, content: str, *, channel_id: int = CHANNEL_ID, direct: bool = False,
                  reply_to: dict[str, Any] | None = None, mentions: tuple[int, ...] = (),
                  ago_ms: int = 0) -> list[Sent]:
        """A message typed by a person (``ago_ms`` before it arrives); returns the messages the bot sent in response."""
        return await self._sent_after(self.fake.send_message(user_id, content, channel_id=channel_id, direct=direct,
                                                             reply_to=reply_to, mentions=mentions, ago_ms=ago_ms))

    async def slash(self, user_id: int, options: list[dict[str, Any]], *, locale: str = "en-US",
                    direct: bool = False, resolved: dict[str, Any] | None = None, name: str = "presence") -> list[Sent]:
        """A slash command used by a person; returns the response and any followups."""
        return await self._sent_after(self.fake.send_interaction(user_id, options, locale=locale, direct=direct,
                                                                 resolved=resolved, name=name))

    async def autocomplete(self, user_id: int, options: list[dict[str, Any]], *,
                           locale: str = "en-US") -> list[dict[str, Any]]:
        """The choices the bot offers while a person types an option."""
        mark = len(self.fake.calls)
        await self.fake.send_interaction(user_id, options, locale=locale, kind=4)
        await self.settle()
        answers = [c.json for c in self.fake.calls[mark:] if c.path.endswith("/callback") and c.json["type"] == 8]
        assert len(answers) == 1, answers
        return answers[0]["data"]["choices"]

    async def presence_update(self, user_id: int, status: str, client_status: dict[str, str], **kw: Any) -> None:
        await self.fake.send_presence(user_id, status, client_status, **kw)
        await self.settle()


@contextlib.asynccontextmanager
async def running(fake: FakeDiscord, bot: commands.Bot, token: str = "fake-token") -> AsyncIterator[Chat]:
    """Start ``bot`` against the fake, connected and past GUILD_CREATE; closed on the way out."""
    fake.connected.clear()
    task = asyncio.create_task(bot.start(token))
    try:
        async with asyncio.timeout(WAIT_S):
            await fake.connected.wait()
        chat = Chat(fake, bot)
        await chat.settle()
        yield chat
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, WAIT_S)


def operator_intents() -> discord.Intents:
    intents = discord.Intents.default()
    intents.message_content = True
    intents.presences = True
    return intents
