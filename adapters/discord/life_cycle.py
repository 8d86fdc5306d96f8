"""The cog's listeners for what happens around messages (SPEC section 10): edits, reactions, typing,
people leaving or banned, threads and channels going away, the bot removed, reconnections.

Each becomes a Session (someone acted), a heartbeat, or a membership change for the PresenceBot.
Which gateway intents each needs is in docs/discord.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from presence_adapters.discord import membership
from presence_adapters.discord.clients import LEASE_MS, ClientStatusFeed
from presence_adapters.discord.outbox import DiscordOutbox
from presence_adapters.discord.sessions import is_person, session_from_reaction, user_key
from presence_bot.app import PresenceBot
from presence_bot.membership import MembershipChange
from presence_bot.session import Session

log = logging.getLogger(__name__)

# How often leases of Discord clients still there are renewed (well within their length).
RENEW_EVERY_S = LEASE_MS / 3 / 1000


class LifeCycle(commands.Cog):
    """Listeners PresenceCog inherits; it provides the attributes and methods declared here."""

    bot: commands.Bot
    presence: PresenceBot
    outbox: DiscordOutbox
    feed: ClientStatusFeed
    _renewing: asyncio.Task[None] | None = None

    if TYPE_CHECKING:
        async def _person_message(self, message: discord.Message, *, edited: bool = False) -> None: ...

        async def _handle(self, session: Session, user_id: int) -> None: ...

    def _start_renewing(self) -> None:
        self._renewing = asyncio.create_task(self._renew_forever())

    async def _stop_renewing(self) -> None:
        if self._renewing is not None:
            self._renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewing

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY_S)
            try:
                await self.feed.renew()
            except Exception:
                log.exception("could not renew the Discord client statuses; trying again later")

    async def _apply(self, change: MembershipChange) -> None:
        await self.presence.apply(change)

    # people acting ---------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """An edit is activity at its time; one that changed nothing (an embed unfurled) is ignored."""
        if is_person(payload.message):
            await self._person_message(payload.message, edited=True)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """A person's reaction is their activity in that channel (in a direct chat the user is cached)."""
        user = payload.member or self.bot.get_user(payload.user_id)
        if user is not None and not user.bot:
            await self._reaction(payload, user)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        """Taking a reaction back is activity too. Discord names nobody with a removal: it counts for
        someone the cache knows to be a person, or presence already knows (bots never get a record)."""
        user = self.bot.get_user(payload.user_id)
        if user is not None:
            if not user.bot:
                await self._reaction(payload, user)
        else:
            account = user_key(payload.user_id)
            if (await self.presence.service.get_status(account, viewer_id=account)).device_count:
                await self._reaction(payload, None)

    async def _reaction(self, payload: discord.RawReactionActionEvent, user: discord.abc.User | None) -> None:
        if self.bot.user is None or payload.user_id == self.bot.user.id:
            return
        session = session_from_reaction(payload, user, self.bot.user.id, self.outbox, self.presence.service.clock())
        await self._handle(session, payload.user_id)

    @commands.Cog.listener()
    async def on_raw_typing(self, payload: discord.RawTypingEvent) -> None:
        """Someone typing is here: a heartbeat, not an activity log entry."""
        user = payload.user
        if user is None or user.bot:
            return
        try:
            await self.presence.service.heartbeat(user_key(user.id))
        except Exception:
            log.exception("could not record that %s is typing", user_key(user.id))

    # membership ------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        await self._apply(membership.left_guild(self.bot, self.presence.places, payload.guild_id, payload.user.id))

    @commands.Cog.listener()
    async def on_member_ban(self, guild: discord.Guild, user: discord.User | discord.Member) -> None:
        await self._apply(membership.left_guild(self.bot, self.presence.places, guild.id, user.id))

    @commands.Cog.listener()
    async def on_raw_thread_member_remove(self, payload: discord.RawThreadMembersUpdate) -> None:
        removed = [int(u) for u in payload.data.get("removed_member_ids", [])]
        await self._apply(membership.left_thread(payload.thread_id, removed))

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self._apply(membership.bot_removed(guild))

    @commands.Cog.listener()
    async def on_thread_remove(self, thread: discord.Thread) -> None:
        """The bot was removed from a (private) thread."""
        await self._apply(membership.channels_gone([thread.id]))

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self._apply(membership.channels_gone([payload.thread_id]))

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        threads = getattr(channel, "threads", [])
        await self._apply(membership.channels_gone([channel.id, *(t.id for t in threads)]))

    # reconnections ---------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """A new gateway session (not a resume): what Discord said about clients may be stale."""
        if not self.bot.intents.presences:
            return
        try:
            await self.feed.reconnected(self._clients_now)
        except Exception:
            log.exception("could not reconcile the Discord client statuses after connecting")

    async def _clients_now(self, guild_id: int, user_ids: Sequence[int]) -> Mapping[int, discord.ClientStatus]:
        """The client statuses Discord reports now for these members of a guild (absent: not there)."""
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return {}
        try:
            members = await guild.query_members(user_ids=list(user_ids), presences=True, cache=False)
        except (discord.ClientException, asyncio.TimeoutError) as error:
            log.warning("could not ask Discord for the presences of %d members of %s: %s", len(user_ids), guild_id, error)
            return {}
        return {member.id: member.client_status for member in members}
