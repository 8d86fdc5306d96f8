"""Fixtures for the Discord adapter: a fake Discord on 127.0.0.1, an operator's bot, the cog on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest
import yarl
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord_harness import Chat, operator_intents, running
from fake_discord import FakeDiscord

from presence_adapters.discord import PresenceCog
from presence_core import create_presence_service
from presence_core.service import PresenceService
from tests.support.clock import FakeClock


@pytest.fixture
async def fake(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """The fake Discord, with discord.py's REST base and gateway URL pointed at it."""
    server = FakeDiscord(clock)
    await server.start()
    monkeypatch.setattr(discord.http.Route, "BASE", server.api_base)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
    yield server
    await server.close()


@pytest.fixture
async def presence(clock: FakeClock) -> AsyncIterator[PresenceService]:
    service = create_presence_service(clock=clock, storage="memory")
    async with service:
        yield service


@pytest.fixture
def operator_bot() -> commands.Bot:
    """An operator's existing bot, with a prefix command and a slash command of its own."""
    bot = commands.Bot(command_prefix="!", intents=operator_intents(), help_command=None)

    @bot.command(name="ping")
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("pong")

    @bot.tree.command(name="ping", description="Check the bot answers")
    async def slash_ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    return bot


@pytest.fixture
async def cog(operator_bot: commands.Bot, presence: PresenceService) -> PresenceCog:
    cog = PresenceCog(operator_bot, presence)
    await operator_bot.add_cog(cog)
    return cog


@pytest.fixture
async def chat(fake: FakeDiscord, operator_bot: commands.Bot, cog: PresenceCog) -> AsyncIterator[Chat]:
    """The operator's bot with the cog added, connected to the fake gateway."""
    async with running(fake, operator_bot) as connected:
        yield connected

