"""The presence plugin for discord.py 2.x (SPEC section 9); see docs/discord.md."""

from presence_adapters.discord.cog import PresenceCog, setup
from presence_adapters.discord.outbox import DiscordOutbox
from presence_adapters.discord.runner import serve, sync_commands

__all__ = ["DiscordOutbox", "PresenceCog", "serve", "setup", "sync_commands"]
