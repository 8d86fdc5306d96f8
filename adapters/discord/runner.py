"""Running the cog as presence-bot's own Discord bot, and syncing its slash commands on request."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from presence_adapters.discord.cog import PresenceCog
from presence_adapters.discord.outbox import NO_PINGS
from presence_bot.app import PresenceBot
from presence_bot.settings import DiscordSettings
from presence_core import PresenceError, create_presence_service

log = logging.getLogger(__name__)

MAX_LOGIN_DELAY_S = 60.0
# What an unreachable Discord looks like while logging in: DNS or connection failures, timeouts,
# and Discord's own 5xx answers.
_UNREACHABLE = (aiohttp.ClientError, OSError, TimeoutError, discord.DiscordServerError)


class DiscordStartError(PresenceError):
    """Discord refused the bot (its token or its intents), or could not be reached when that is final."""


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


class _NoVoiceNotice(logging.Filter):
    """presence-bot never speaks in voice channels: discord.py's warning that voice libraries are
    missing (PyNaCl, davey) would be the first thing an operator reads, and means nothing here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


_VOICE_NOTICE = _NoVoiceNotice()


def build_client(settings: DiscordSettings) -> commands.Bot:
    """A bot with no prefix commands of its own: everything it does comes from the cog."""
    logging.getLogger("discord.client").addFilter(_VOICE_NOTICE)
    return commands.Bot(command_prefix=_no_prefix, help_command=None,
                        intents=intents_for(settings), allowed_mentions=NO_PINGS)


def _token(settings: DiscordSettings) -> str:
    if settings.token is None:
        raise ValueError("discord.token is not set")
    return settings.token.get_secret_value()


async def serve(settings: DiscordSettings, presence_bot: PresenceBot) -> None:
    """Connect and answer until cancelled; the Discord connection is closed on the way out.

    An unreachable Discord at start-up is waited for (a warning line per try, growing pauses);
    once connected, discord.py reconnects by itself. A token or intents Discord refuses raise
    ``DiscordStartError`` (one line from ``presence-bot``, never a traceback). Commands are not
    synced here: run ``presence-bot sync-commands`` once after changing them.
    """
    token = _token(settings)
    client = build_client(settings)
    async with client:
        await client.add_cog(PresenceCog(client, presence_bot, text_commands=settings.text_commands))
        await _login(client, token, retry=True)
        try:
            await client.connect(reconnect=True)
        except discord.PrivilegedIntentsRequired:
            raise DiscordStartError(
                "Discord refused the privileged intents: enable them for the bot in the Developer Portal, "
                "or turn discord.message_content / presences / members off in the settings") from None


async def _login(client: commands.Bot, token: str, *, retry: bool) -> None:
    """Log in over HTTP; with ``retry``, wait out an unreachable Discord instead of failing."""
    delay = 1.0
    while True:
        try:
            await client.login(token)
            return
        except discord.LoginFailure:
            # discord.py's own message may quote what it was given; ours names the setting only.
            raise DiscordStartError("Discord rejected discord.token; copy the bot token from the "
                                    "Developer Portal") from None
        except _UNREACHABLE as error:
            reason = f"{type(error).__name__}: {error}".rstrip(": ")
            if not retry:
                raise DiscordStartError(f"Discord is not reachable ({reason})") from None
            log.warning("Discord is not reachable (%s); trying again in %.0f s", reason, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_LOGIN_DELAY_S)


async def sync_commands(settings: DiscordSettings, guild_id: int | None = None) -> list[str]:
    """Register the slash commands with Discord: globally, or in one guild (instant, for testing).

    Logs in over HTTP only, so it works while the bot is running elsewhere. Returns the
    synced commands as they are typed, e.g. ``/presence who``. Raises ``DiscordStartError`` when
    Discord refuses the token or cannot be reached.
    """
    token = _token(settings)
    client = build_client(settings)
    async with client:
        # The command shapes are all that is needed here; this service never stores anything.
        await client.add_cog(PresenceCog(client, create_presence_service(storage="memory"),
                                         text_commands=settings.text_commands))
        await _login(client, token, retry=False)
        guild = discord.Object(guild_id) if guild_id is not None else None
        if guild is not None:
            client.tree.copy_global_to(guild=guild)
        try:
            synced = await client.tree.sync(guild=guild)
        except _UNREACHABLE as error:
            raise DiscordStartError(f"Discord is not reachable ({type(error).__name__})") from None
        except discord.HTTPException as error:
            raise DiscordStartError(f"Discord refused the commands: {error.status} {error.text[:200]}") from None
    return [name for command in synced for name in _typed(f"/{command.name}", command.options)]


def _typed(prefix: str, options: list[Any]) -> list[str]:
    """Every command as typed, subcommand groups expanded: ``/presence team pick``."""
    groups = [o for o in options if isinstance(o, discord.app_commands.AppCommandGroup)]
    if not groups:
        return [prefix]
    return [name for group in groups for name in _typed(f"{prefix} {group.name}", group.options)]
