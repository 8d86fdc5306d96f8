"""PresenceCog: the plugin for an existing discord.py bot (SPEC section 9).

Slash subcommands and typed text commands both become a Session whose content is the text
command; PresenceBot records it as activity first and answers it. Presence updates feed the
person's Discord clients into the core as devices.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from presence_adapters.discord.autocomplete import (
    capacity_choices,
    duration_choices,
    linked_account_choices,
    skill_choices,
    zone_choices,
)
from presence_adapters.discord.clients import ClientStatusFeed
from presence_adapters.discord.life_cycle import LifeCycle
from presence_adapters.discord.outbox import DiscordOutbox
from presence_adapters.discord.sessions import (
    display_name,
    is_person,
    mention,
    parse_key,
    session_from_interaction,
    session_from_message,
    user_key,
)
from presence_adapters.discord.translator import PresenceTranslator, localized
from presence_bot import i18n
from presence_bot.app import PresenceBot
from presence_bot.catalog import COMMAND
from presence_bot.commands.help import TOPICS
from presence_bot.options import BotOptions
from presence_bot.parsing import quote_arg
from presence_bot.platform_clock import PlatformClock
from presence_bot.reply import Reply
from presence_bot.router import may_be_private
from presence_bot.session import Session
from presence_bot.settings import Settings, load_settings
from presence_bot.wiring import build_bot, build_service
from presence_core import PresenceService
from presence_core.availability import MAX_CAPACITY, MAX_LOAD
from presence_core.models import PRIVACY_CHOICES
from presence_core.service import MAX_ACTIVITY_LIMIT

log = logging.getLogger(__name__)

# Discord wants a first answer within 3 s; a command still running after this is deferred.
DEFER_AFTER_S = 2.0

_ON_OFF = [Choice(name=localized("words.on", word=True), value="on"),
           Choice(name=localized("words.off", word=True), value="off")]
_TOPICS = [Choice(name=topic, value=topic) for topic in TOPICS]
_PRIVACY = [Choice(name=localized(f"words.{choice}", word=True), value=choice) for choice in PRIVACY_CHOICES]


class PresenceCog(LifeCycle, name="Presence"):
    """``/presence`` as slash and text commands, activity recording and client presence for a bot.

    ``presence`` is the PresenceService to use (the cog then answers with ``options``) or a
    ready PresenceBot. A bot the cog made itself is closed when the cog is removed.
    """

    group = app_commands.Group(name=COMMAND, description=localized("help.presence"))

    def __init__(self, bot: commands.Bot, presence: PresenceService | PresenceBot, *,
                 options: BotOptions | None = None, text_commands: bool = True) -> None:
        self.bot = bot
        self._on_unload: list[Callable[[], Awaitable[None]]] = []
        if isinstance(presence, PresenceBot):
            self.presence = presence
        else:
            self.presence = PresenceBot(presence, options)
            self._on_unload.append(self.presence.close)
        self.text_commands = text_commands
        self.outbox = DiscordOutbox(self.presence.options.default_locale)
        self.feed = ClientStatusFeed(self.presence.service)
        # Discord's clock (snowflake times) against the service's.
        self.clock = PlatformClock(self.presence.service.clock)
        self._translator: PresenceTranslator | None = None
        self.presence.watches.register("discord", self._send_watch)

    @classmethod
    async def from_settings(cls, bot: commands.Bot, settings: Settings) -> PresenceCog:
        """A cog with its own started service, built from presence-bot's settings; closed with the cog."""
        service = build_service(settings)
        await service.start()
        cog = cls(bot, build_bot(settings, service), text_commands=settings.discord.text_commands)
        cog._on_unload += [cog.presence.close, service.close]
        return cog

    @property
    def service(self) -> PresenceService:
        return self.presence.service

    # lifecycle ---------------------------------------------------------------------------------

    async def cog_load(self) -> None:
        tree = self.bot.tree
        self._translator = PresenceTranslator(tree.translator)
        await tree.set_translator(self._translator)
        intents = self.bot.intents
        if self.text_commands and not intents.message_content:
            log.warning("message content intent is off: text commands work only in direct messages")
        if not intents.presences:
            log.warning("presences intent is off: Discord clients will not show as devices")
        if not intents.members:
            log.info("members intent is off: people who leave a server stay listed until they are banned "
                     "or their membership expires")
        self._start_renewing()

    async def cog_unload(self) -> None:
        await self._stop_renewing()
        tree = self.bot.tree
        if self._translator is not None and tree.translator is self._translator:
            await tree.set_translator(self._translator.inner)
        for close in self._on_unload:
            try:
                await close()
            except Exception:
                log.exception("closing the presence plugin failed")

    # events ------------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if is_person(message):
            await self._person_message(message)

    async def _person_message(self, message: discord.Message, *, edited: bool = False) -> None:
        if self.bot.user is None:
            return
        session = session_from_message(message, self.bot.user.id, self.outbox, self.clock, edited=edited)
        if not self.text_commands and session.kind == "command":
            # Still activity, and still an answer to a question waiting for it, but not a command.
            session = replace(session, content="", kind="message")
        await self._handle(session, message.author.id)

    @commands.Cog.listener()
    async def on_raw_presence_update(self, payload: discord.RawPresenceUpdateEvent) -> None:
        await self._feed(payload.user_id, payload.client_status, payload.guild_id)

    @commands.Cog.listener()
    async def on_presence_update(self, before: discord.Member, after: discord.Member) -> None:
        # With the members intent discord.py sends this instead of the raw event; both at once
        # (enable_raw_presences) cost nothing extra: the feed skips a report it already has.
        await self._feed(after.id, after.client_status, after.guild.id)

    async def _feed(self, user_id: int, client_status: discord.ClientStatus, guild_id: int | None) -> None:
        try:
            await self.feed.update(user_id, client_status, guild_id)
        except Exception:
            log.exception("could not record the Discord clients of %s", user_key(user_id))

    async def _handle(self, session: Session, user_id: int) -> None:
        """PresenceBot records, then answers; a failure is logged and answered, never raised into discord.py."""
        try:
            await self.presence.handle(session)
        except Exception:
            log.exception("handling %s from %s failed", session.kind, session.user_id)
            await self.outbox.send(session, i18n.reply(self.outbox.locale(session), "error.internal"))
        await self._feed_seen(user_id)

    async def _feed_seen(self, user_id: int) -> None:
        try:
            await self.feed.seen(user_id)
        except Exception:
            log.exception("could not record the Discord clients of %s", user_key(user_id))

    async def _send_watch(self, user_id: str, reply: Reply, silent: bool) -> bool:
        """A watch that fired, as a direct message (SPEC section 12)."""
        key = parse_key(user_id)
        user = self.bot.get_user(key) or await self.bot.fetch_user(key)
        return await self.outbox.direct(user, reply, silent=silent)

    # slash commands ----------------------------------------------------------------------------

    async def _run(self, interaction: discord.Interaction, *args: str, mentions: dict[str, str] | None = None,
                   names: dict[str, str] | None = None) -> None:
        """Hand the slash command to PresenceBot as its text command; defer if it takes a while."""
        session = session_from_interaction(interaction, args, self.outbox, mentions=mentions, names=names,
                                           clock=self.clock)
        # Decided before anything is sent: a deferral's visibility is its answer's.
        private = may_be_private(session)
        async with self.outbox.handling(interaction):
            work = asyncio.ensure_future(self._handle(session, interaction.user.id))
            done, _ = await asyncio.wait({work}, timeout=DEFER_AFTER_S)
            if not done:
                await self.outbox.defer(interaction, ephemeral=private)
            await work

    async def cog_app_command_error(self, interaction: discord.Interaction,
                                    error: app_commands.AppCommandError) -> None:
        """A slash command discord.py could not run (stale command shape, failed check): still activity."""
        log.warning("/%s from %s could not run: %s", COMMAND, user_key(interaction.user.id), error)
        session = session_from_interaction(interaction, (), self.outbox, clock=self.clock)
        try:
            await self.presence.handle(replace(session, content=""))
        except Exception:
            log.exception("recording /%s from %s failed", COMMAND, session.user_id)
        await self.outbox.send(session, i18n.reply(self.outbox.locale(session), "error.internal", private=True))

    @group.command(name="me", description=localized("help.presence"))
    async def me(self, interaction: discord.Interaction) -> None:
        await self._run(interaction)

    @group.command(name="user", description=localized("help.user"))
    @app_commands.describe(user=localized("discord.option.user"))
    async def user(self, interaction: discord.Interaction, user: discord.User) -> None:
        token = mention(user.id)
        await self._run(interaction, token, mentions={token: user_key(user.id)},
                        names={user_key(user.id): display_name(user)})

    @group.command(name="who", description=localized("help.who"))
    async def who(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "who")

    @group.command(name="activity", description=localized("help.activity"))
    @app_commands.describe(limit=localized("discord.option.limit"), since=localized("discord.option.since"))
    async def activity(self, interaction: discord.Interaction, limit: Range[int, 1, MAX_ACTIVITY_LIMIT] | None = None,
                       since: str | None = None) -> None:
        args = ["activity", *([str(limit)] if limit is not None else []), *(["since", since] if since else [])]
        await self._run(interaction, *args)

    @group.command(name="online", description=localized("help.online"))
    async def online(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "online")

    @group.command(name="away", description=localized("help.away"))
    @app_commands.describe(duration=localized("discord.option.duration"))
    async def away(self, interaction: discord.Interaction, duration: str | None = None) -> None:
        await self._run(interaction, "away", *([duration] if duration else []))

    @group.command(name="dnd", description=localized("help.dnd"))
    @app_commands.describe(duration=localized("discord.option.duration"))
    async def dnd(self, interaction: discord.Interaction, duration: str | None = None) -> None:
        await self._run(interaction, "dnd", *([duration] if duration else []))

    @group.command(name="offline", description=localized("help.offline"))
    @app_commands.describe(duration=localized("discord.option.duration"))
    async def offline(self, interaction: discord.Interaction, duration: str | None = None) -> None:
        await self._run(interaction, "offline", *([duration] if duration else []))

    @group.command(name="status", description=localized("help.status"))
    @app_commands.describe(text=localized("discord.option.text"), duration=localized("discord.option.for"))
    async def status(self, interaction: discord.Interaction, text: str, duration: str | None = None) -> None:
        await self._run(interaction, "status", text, *(["for", duration] if duration else []))

    @group.command(name="devices", description=localized("help.devices"))
    async def devices(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "devices")

    @group.command(name="sync", description=localized("help.sync"))
    async def sync(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "sync")

    @group.command(name="link", description=localized("help.link"))
    @app_commands.describe(code=localized("discord.option.code"))
    async def link(self, interaction: discord.Interaction, code: str | None = None) -> None:
        await self._run(interaction, "link", *([code] if code else []))

    @group.command(name="unlink", description=localized("help.unlink"))
    @app_commands.describe(device=localized("discord.option.device"))
    async def unlink(self, interaction: discord.Interaction, device: str) -> None:
        await self._run(interaction, "unlink", device)

    @group.command(name="tracking", description=localized("help.tracking"))
    @app_commands.describe(state=localized("discord.option.state"))
    @app_commands.choices(state=_ON_OFF)
    async def tracking(self, interaction: discord.Interaction, state: Choice[str]) -> None:
        await self._run(interaction, "tracking", state.value)

    @group.command(name="privacy", description=localized("help.privacy"))
    @app_commands.describe(choice=localized("discord.option.privacy"))
    @app_commands.choices(choice=_PRIVACY)
    async def privacy(self, interaction: discord.Interaction, choice: Choice[str] | None = None) -> None:
        await self._run(interaction, "privacy", *([choice.value] if choice else []))

    @group.command(name="forget", description=localized("help.forget"))
    async def forget(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "forget")

    # Discord allows 25 subcommands in a group: handing out work is a group of its own,
    # /presence team pick (typed, it stays /presence pick).
    team = app_commands.Group(name="team", description=localized("help.team"), parent=group)

    @team.command(name="capacity", description=localized("help.capacity"))
    @app_commands.describe(value=localized("discord.option.capacity"))
    async def capacity(self, interaction: discord.Interaction, value: str | None = None) -> None:
        await self._run(interaction, "capacity", *([value] if value else []))

    @team.command(name="take", description=localized("help.take"))
    @app_commands.describe(n=localized("discord.option.n"), force=localized("discord.option.force"))
    async def take(self, interaction: discord.Interaction, n: Range[int, 1, MAX_CAPACITY] | None = None,
                   force: bool = False) -> None:
        await self._run(interaction, "take", *([str(n)] if n else []), *(["force"] if force else []))

    @team.command(name="done", description=localized("help.done"))
    @app_commands.describe(n=localized("discord.option.n"))
    async def done(self, interaction: discord.Interaction, n: Range[int, 1, MAX_LOAD] | None = None) -> None:
        await self._run(interaction, "done", *([str(n)] if n else []))

    @team.command(name="skills", description=localized("help.skills"))
    @app_commands.describe(tags=localized("discord.option.skills"))
    async def skills(self, interaction: discord.Interaction, tags: str | None = None) -> None:
        await self._run(interaction, "skills", *(tags.split() if tags else []))

    @team.command(name="hours", description=localized("help.hours"))
    @app_commands.describe(hours=localized("discord.option.hours"), zone=localized("discord.option.zone"))
    async def hours(self, interaction: discord.Interaction, hours: str | None = None, zone: str | None = None) -> None:
        await self._run(interaction, "hours", *(hours.split() if hours else []), *([zone] if zone else []))

    @team.command(name="available", description=localized("help.available"))
    @app_commands.describe(skill=localized("discord.option.skill"))
    async def available(self, interaction: discord.Interaction, skill: str | None = None) -> None:
        await self._run(interaction, "available", *([quote_arg(skill)] if skill else []))

    @team.command(name="pick", description=localized("help.pick"))
    @app_commands.describe(skill=localized("discord.option.skill"))
    async def pick(self, interaction: discord.Interaction, skill: str | None = None) -> None:
        await self._run(interaction, "pick", *([quote_arg(skill)] if skill else []))

    @group.command(name="notify", description=localized("help.notify"))
    @app_commands.describe(user=localized("discord.option.watch_user"), duration=localized("discord.option.watch_for"))
    async def notify(self, interaction: discord.Interaction, user: discord.User | None = None,
                     duration: str | None = None) -> None:
        if user is None:
            await self._run(interaction, "notify")
            return
        token = mention(user.id)
        await self._run(interaction, "notify", token, *(["for", duration] if duration else []),
                        mentions={token: user_key(user.id)})

    @group.command(name="watchers", description=localized("help.watchers"))
    async def watchers(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "watchers")

    # API tokens as a group too: /presence token create|list|revoke (typed: /presence token NAME,
    # /presence tokens, /presence token revoke NAME).
    token = app_commands.Group(name="token", description=localized("help.token"), parent=group)

    @token.command(name="create", description=localized("help.token_create"))
    @app_commands.describe(name=localized("discord.option.token_name"))
    async def token_create(self, interaction: discord.Interaction, name: str) -> None:
        await self._run(interaction, "token", name)

    @token.command(name="list", description=localized("help.tokens"))
    async def token_list(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "tokens")

    @token.command(name="revoke", description=localized("help.token_revoke"))
    @app_commands.describe(name=localized("discord.option.token_name"))
    async def token_revoke(self, interaction: discord.Interaction, name: str) -> None:
        await self._run(interaction, "token", "revoke", name)

    @group.command(name="help", description=localized("help.help"))
    @app_commands.describe(command=localized("discord.option.command"))
    @app_commands.choices(command=_TOPICS)
    async def help(self, interaction: discord.Interaction, command: Choice[str] | None = None) -> None:
        await self._run(interaction, "help", *([command.value] if command else []))

    # autocomplete ------------------------------------------------------------------------------

    async def _typing(self, interaction: discord.Interaction) -> None:
        """Someone typing a command is active: a heartbeat, not one activity entry per keystroke."""
        try:
            await self.service.heartbeat(user_key(interaction.user.id))
        except Exception:
            log.exception("could not record that %s is typing a command", user_key(interaction.user.id))

    def _locale(self, interaction: discord.Interaction) -> str:
        return i18n.pick_locale(str(interaction.locale), self.presence.options.default_locale)

    @away.autocomplete("duration")
    @dnd.autocomplete("duration")
    @offline.autocomplete("duration")
    @status.autocomplete("duration")
    @activity.autocomplete("since")
    @notify.autocomplete("duration")
    async def _durations(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        await self._typing(interaction)
        return duration_choices(self._locale(interaction), current)

    @capacity.autocomplete("value")
    async def _capacities(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        await self._typing(interaction)
        return capacity_choices(self._locale(interaction), current)

    @hours.autocomplete("zone")
    async def _zones(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        await self._typing(interaction)
        return zone_choices(current)

    @skills.autocomplete("tags")
    @available.autocomplete("skill")
    @pick.autocomplete("skill")
    async def _skills(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        await self._typing(interaction)
        channel = session_from_interaction(interaction, (), self.outbox).channel_id
        return await skill_choices(self.service, user_key(interaction.user.id), channel, current)

    @unlink.autocomplete("device")
    async def _linked_accounts(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        await self._typing(interaction)
        return await linked_account_choices(self.service, user_key(interaction.user.id), current)


async def setup(bot: commands.Bot) -> None:
    """Extension entry point: ``await bot.load_extension("presence_adapters.discord")``.

    Uses ``bot.presence`` (a PresenceService or PresenceBot) when the bot has one; otherwise
    builds and starts a service from presence-bot's settings (config.toml, PRESENCE_*).
    """
    presence = getattr(bot, "presence", None)
    if presence is not None:
        await bot.add_cog(PresenceCog(bot, presence))
        return
    settings, _ = load_settings()
    await bot.add_cog(await PresenceCog.from_settings(bot, settings))
