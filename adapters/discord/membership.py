"""Discord events that change who is in a place -> membership changes (SPEC section 10).

- a member leaving or removed (``GUILD_MEMBER_REMOVE``, needs the members intent) or banned
  (``GUILD_BAN_ADD``, the moderation intent): they are in none of the server's channels or threads;
- someone removed from a thread (``THREAD_MEMBERS_UPDATE``): no longer in that thread;
- the bot removed from a server, a thread or channel deleted, the bot removed from a thread:
  those places list nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import discord

from presence_adapters.discord.sessions import channel_key, parse_key, user_key
from presence_bot.membership import Dropped, Left
from presence_bot.places import Places


def in_guild(client: discord.Client, places: Places, guild_id: int) -> Callable[[str], bool]:
    """Whether a channel id is one of the guild's channels or threads: as Discord's cache knows it, or,
    for channels it no longer lists (archived threads), as the bot's sessions placed it."""
    def test(channel_id: str) -> bool:
        try:
            channel = client.get_channel(parse_key(channel_id))
        except ValueError:
            return False
        guild = getattr(channel, "guild", None)
        if guild is not None:
            return guild.id == guild_id
        return places.guild_of(channel_id) == str(guild_id)
    return test


def left_guild(client: discord.Client, places: Places, guild_id: int, user_id: int) -> Left:
    return Left((user_key(user_id),), in_guild(client, places, guild_id))


def left_thread(thread_id: int, user_ids: Iterable[int]) -> Left:
    thread = channel_key(thread_id)
    return Left(tuple(user_key(u) for u in user_ids), lambda channel_id: channel_id == thread)


def bot_removed(guild: discord.Guild) -> Dropped:
    """Every channel and thread of the server the bot still knows, and those its sessions saw there."""
    channels = [*guild.channels, *guild.threads]
    return Dropped(tuple(channel_key(c.id) for c in channels), guild_id=str(guild.id))


def channels_gone(channel_ids: Iterable[int]) -> Dropped:
    return Dropped(tuple(channel_key(c) for c in channel_ids))
