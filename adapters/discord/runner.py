"""Running the cog as presence-bot's own Discord bot, and syncing its slash commands on request."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.ext import commands

from presence_adapters.discord.cog import PresenceCog
from presence_adapters.discord.outbox import NO_PINGS
from presence_bot.app import PresenceBot
from presence_bot.settings import DiscordSettings
from presence_core import create_presence_service

log = logging.getLogger(__name__)


def intents_for(settings: DiscordSettings) -> discord.Intents:
    """Guilds and messages always; the privileged intents only as configured (see docs/discord.md)."""
    intents = discord.Intents.default()
    intents.message_content = settings.message_content
    intents.presences = settings.presences
    intents.members = settings.members
    return intents


def _no_prefix(bot: commands.Bot, message: discord.Message) -> list[str]:
    """No message is a prefix command, so mentioning the bot is not a "command not found" error."""
    return []


def build_client(settings: DiscordSettings) -> commands.Bot:
    """A bot with no prefix commands of its own: everything it does comes from the cog."""
    return commands.Bot(command_prefix=_no_prefix, help_command=None,
                        intents=intents_for(settings), allowed_mentions=NO_PINGS)


def _token(settings: DiscordSettings) -> str:
    if settings.token is None:
        raise ValueError("discord.token is not set")
    return settings.token.get_secret_value()


async def serve(settings: DiscordSettings, presence_bot: PresenceBot) -> None:
    """Connect and answer until cancelled; the Discord connection is closed on the way out.

    Commands are not synced here: run ``presence-bot sync-commands`` once after changing them.
    """
    token = _token(settings)
    client = build_client(settings)
    async with client:
        await client.add_cog(PresenceCog(client, presence_bot, text_commands=settings.text_commands))
        try:
            await client.start(token)
        except discord.PrivilegedIntentsRequired:
            log.error("Discord refused the privileged intents: enable them for the bot in the Developer "
                      "Portal, or turn discord.message_content / presences / members off in the settings")
            raise


async def sync_commands(settings: DiscordSettings, guild_id: int | None = None) -> list[str]:
    """Register the slash commands with Discord: globally, or in one guild (instant, for testing).

    Logs in over HTTP only, so it works while the bot is running elsewhere. Returns the
    synced commands as they are typed, e.g. ``/presence who``.
    """
    token = _token(settings)
    client = build_client(settings)
    async with client:
        # The command shapes are all that is needed here; this service never stores anything.
        await client.add_cog(PresenceCog(client, create_presence_service(storage="memory"),
                                         text_commands=settings.text_commands))
        await client.login(token)
        guild = discord.Object(guild_id) if guild_id is not None else None
        if guild is not None:
            client.tree.copy_global_to(guild=guild)
        synced = await client.tree.sync(guild=guild)
    return [name for command in synced for name in _typed(f"/{command.name}", command.options)]


def _typed(prefix: str, options: list[Any]) -> list[str]:
    """Every command as typed, subcommand groups expanded: ``/presence team pick``."""
    groups = [o for o in options if isinstance(o, discord.app_commands.AppCommandGroup)]
    if not groups:
        return [prefix]
    return [name for group in groups for name in _typed(f"{prefix} {group.name}", group.options)]
