"""Discord messages, edits, reactions and interactions -> Session (SPEC sections 2 and 10), and the
composite ids they carry."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType

import discord

from presence_bot.catalog import COMMAND
from presence_bot.parsing import quote_arg
from presence_bot.platform_clock import PlatformClock
from presence_bot.router import command_text
from presence_bot.session import Outbox, Session

PLATFORM = "discord"
_MENTION = re.compile(r"<@!?(\d{1,20})>")


def user_key(user_id: int) -> str:
    return f"{PLATFORM}:{user_id}"


def channel_key(channel_id: int) -> str:
    return f"{PLATFORM}:{channel_id}"


def parse_key(key: str) -> int:
    """``discord:<id>`` -> the snowflake; raises ValueError for another platform's id."""
    platform, _, rest = key.partition(":")
    if platform != PLATFORM or not rest.isdigit():
        raise ValueError(f"not a Discord id: {key!r}")
    return int(rest)


def mention(user_id: int) -> str:
    return f"<@{user_id}>"


def mentions_in(content: str) -> dict[str, str]:
    """``<@123>`` and the older ``<@!123>`` tokens, as typed, -> composite user ids."""
    return {match[0]: user_key(int(match[1])) for match in _MENTION.finditer(content)}


def command_line(args: Iterable[str]) -> str:
    """The text command a slash command stands for, e.g. ``/presence status "交易 BTC" for 2h``."""
    return " ".join([f"/{COMMAND}", *(quote_arg(a) for a in args)])


def _epoch_ms(moment: datetime, clock: PlatformClock | None) -> int:
    stamped = int(moment.timestamp() * 1000)
    return stamped if clock is None else clock.local(stamped)


def display_name(user: discord.abc.User) -> str:
    """The account's username, the name presence shows for Discord people everywhere."""
    return user.name


def _message_locale(message: discord.Message) -> str | None:
    """A Community server's chosen language (others cannot set one, so theirs says nothing)."""
    guild = message.guild
    if guild is None or "COMMUNITY" not in guild.features:
        return None
    return str(guild.preferred_locale)


def channel_name(channel: object) -> str | None:
    """``#general`` as people see it in the channel list (a thread: its name); None in direct messages."""
    if channel is None or isinstance(channel, discord.DMChannel | discord.GroupChannel):
        return None
    name = getattr(channel, "name", None)
    if not name:
        return None
    return name if isinstance(channel, discord.Thread) else f"#{name}"


def is_person(message: discord.Message) -> bool:
    """Messages from people: bots, webhooks (crossposts of followed channels too) and system notices
    (joins, pins, boosts, thread starts …) are nobody's activity."""
    return not message.author.bot and message.webhook_id is None and not message.is_system()


def _replied_to(message: discord.Message) -> discord.abc.User | None:
    """The person a reply answers: not a bot, a webhook or a system notice."""
    replied = message.reference.resolved if message.reference is not None else None
    return replied.author if isinstance(replied, discord.Message) and is_person(replied) else None


def _names(message: discord.Message, replied: discord.abc.User | None) -> dict[str, str]:
    """Names Discord resolved for the people a message names: its mentions and the author it answers."""
    people = [*message.mentions, *([replied] if replied is not None else [])]
    return {user_key(user.id): display_name(user) for user in people}


def session_from_message(message: discord.Message, self_id: int, outbox: Outbox, clock: PlatformClock | None = None,
                         *, edited: bool = False) -> Session:
    """The Session for a person's message, or its edit (at the edit's time); a ``/presence`` text
    command is of kind "command". ``clock`` places Discord's times on the service's clock."""
    content = message.content
    replied = _replied_to(message)
    moment = message.edited_at if edited and message.edited_at is not None else message.created_at
    return Session(
        platform=PLATFORM,
        self_id=str(self_id),
        user_id=user_key(message.author.id),
        user_name=display_name(message.author),
        username=message.author.name,
        channel_id=channel_key(message.channel.id),
        guild_id=None if message.guild is None else str(message.guild.id),
        is_direct=message.guild is None,
        content=content,
        message_id=str(message.id),
        timestamp=_epoch_ms(moment, clock),
        locale=_message_locale(message),
        kind="command" if command_text(content, None) is not None else "message",
        outbox=outbox,
        raw=message,
        mentions=MappingProxyType(mentions_in(content)),
        reply_to_user_id=user_key(replied.id) if replied is not None else None,
        names=MappingProxyType(_names(message, replied)),
        channel_name=channel_name(message.channel),
    )


def session_from_reaction(payload: discord.RawReactionActionEvent, user: discord.abc.User | None, self_id: int,
                          outbox: Outbox, now: int) -> Session:
    """The Session for a person's reaction (added or taken back) to a message, at ``now`` (Discord
    gives reactions no time of their own; gateway events arrive live). ``user`` when Discord or its
    cache named the person (a removal names nobody)."""
    return Session(
        platform=PLATFORM, self_id=str(self_id), user_id=user_key(payload.user_id),
        user_name=display_name(user) if user is not None else None,
        channel_id=channel_key(payload.channel_id),
        guild_id=None if payload.guild_id is None else str(payload.guild_id),
        is_direct=payload.guild_id is None, content="", message_id=str(payload.message_id), timestamp=now,
        locale=None, kind="reaction", outbox=outbox, raw=payload,
    )


def session_from_interaction(interaction: discord.Interaction, args: Iterable[str], outbox: Outbox, *,
                             mentions: Mapping[str, str] | None = None, names: Mapping[str, str] | None = None,
                             clock: PlatformClock | None = None) -> Session:
    """The Session for a slash command, its content the equivalent text command; ``names`` are the
    names of the users Discord resolved for its options."""
    user = interaction.user
    if interaction.channel_id is None:
        raise ValueError("an application command always comes from a channel")
    return Session(
        platform=PLATFORM,
        self_id=str(interaction.client.user.id if interaction.client.user else interaction.application_id),
        user_id=user_key(user.id),
        user_name=display_name(user),
        username=user.name,
        channel_id=channel_key(interaction.channel_id),
        guild_id=None if interaction.guild_id is None else str(interaction.guild_id),
        is_direct=interaction.guild_id is None,
        content=command_line(args),
        message_id=str(interaction.id),
        timestamp=_epoch_ms(interaction.created_at, clock),
        locale=str(interaction.locale),
        kind="interaction",
        outbox=outbox,
        raw=interaction,
        ephemeral=True,
        mentions=MappingProxyType(dict(mentions or {})),
        names=MappingProxyType(dict(names or {})),
        channel_name=channel_name(interaction.channel) if interaction.guild_id is not None else None,
    )
