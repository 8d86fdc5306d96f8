"""Reply -> Discord: interaction responses (ephemeral when private), channel messages, direct messages.

Nothing sent here can ping anyone (``allowed_mentions`` none, on top of the escaping the reply
does), and no Discord error escapes: each is logged, and where the person could otherwise miss
the answer it is delivered another way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

import discord

from presence_adapters.discord.sessions import parse_key
from presence_bot import i18n
from presence_bot.reply import Reply
from presence_bot.session import Session

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000
NO_PINGS = discord.AllowedMentions.none()
# Room kept in a message for a mention in front of it (``<@`` + 20 digits + ``> ``).
PING_ROOM = 25
# Discord's error codes for an interaction whose token expired (3 s to answer) or was answered already.
UNKNOWN_INTERACTION = 10062
ALREADY_ACKNOWLEDGED = 40060


class DiscordOutbox:
    """The Outbox of every Discord session; one per cog."""

    def __init__(self, default_locale: str) -> None:
        self.default_locale = default_locale
        # One lock per interaction being handled, so a late defer never races the first answer.
        self._answering: dict[int, asyncio.Lock] = {}
        # Interactions deferred, and whether privately: a followup shows as its deferral did.
        self._deferred: dict[int, bool] = {}

    async def send(self, session: Session, reply: Reply) -> None:
        chunks = reply.render_chunks("discord_markdown", MESSAGE_LIMIT - PING_ROOM)
        mentions = NO_PINGS
        if reply.ping and reply.ping.startswith("discord:") and not reply.private:
            # The one person a reply may notify (a pick's chosen person), and nobody else.
            pinged = parse_key(reply.ping)
            chunks[0] = f"<@{pinged}> {chunks[0]}"
            mentions = discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                               users=[discord.Object(pinged)])
        try:
            if isinstance(session.raw, discord.Interaction):
                await self._answer_interaction(session.raw, session, reply, chunks, mentions)
            elif isinstance(session.raw, discord.Message):
                await self._answer_message(session.raw, session, reply, chunks, mentions)
            else:
                raise TypeError(f"not a Discord session: {type(session.raw).__name__}")
        except discord.RateLimited as error:
            log.warning("reply to %s dropped: rate limited for %.0f s", session.channel_id, error.retry_after)
        except discord.HTTPException as error:
            log.warning("reply to %s failed: %s %s (code %s)", session.channel_id, error.status, error.text,
                        error.code)

    def locale(self, session: Session) -> str:
        return i18n.pick_locale(session.locale, self.default_locale)

    # interactions ------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def handling(self, interaction: discord.Interaction) -> AsyncIterator[None]:
        """While an interaction is handled, answers to it and a late ``defer`` take turns."""
        self._answering[interaction.id] = asyncio.Lock()
        try:
            yield
        finally:
            del self._answering[interaction.id]
            self._deferred.pop(interaction.id, None)

    async def defer(self, interaction: discord.Interaction, *, ephemeral: bool) -> None:
        """Buy time (Discord allows 3 s for the first answer) unless an answer went out already."""
        async with self._answering.get(interaction.id) or asyncio.Lock():
            if interaction.response.is_done():
                return
            try:
                await interaction.response.defer(ephemeral=ephemeral, thinking=True)
                self._deferred[interaction.id] = ephemeral
            except discord.HTTPException as error:
                log.warning("could not defer interaction %s: %s (code %s)", interaction.id, error.status, error.code)

    async def _answer_interaction(self, interaction: discord.Interaction, session: Session, reply: Reply,
                                  chunks: Sequence[str], mentions: discord.AllowedMentions = NO_PINGS) -> None:
        async with self._answering.get(interaction.id) or asyncio.Lock():
            try:
                deferred_privately = self._deferred.get(interaction.id)
                if reply.private and deferred_privately is False:
                    # The public "thinking…" message would show the first followup to everyone: it
                    # becomes a notice, and the answer follows privately.
                    notice = i18n.reply(self.locale(session), "private.sent").render("discord_markdown")
                    await interaction.edit_original_response(content=notice, allowed_mentions=NO_PINGS)
                await self._respond(interaction, chunks, ephemeral=reply.private or bool(deferred_privately),
                                    mentions=mentions)
                return
            except discord.NotFound as error:
                if error.code != UNKNOWN_INTERACTION:
                    raise
                log.warning("interaction %s expired before it was answered; answering by message", interaction.id)
        # The person sees "the application did not respond"; the answer still reaches them.
        if reply.private:
            await self._direct(interaction.user, chunks)
        else:
            await self._post(interaction.client.get_partial_messageable(parse_key(session.channel_id)), chunks,
                             mentions=mentions)

    async def _respond(self, interaction: discord.Interaction, chunks: Sequence[str], *, ephemeral: bool,
                       mentions: discord.AllowedMentions = NO_PINGS) -> None:
        first, *rest = chunks
        if interaction.response.is_done():
            rest = list(chunks)
        else:
            try:
                await interaction.response.send_message(first, ephemeral=ephemeral, allowed_mentions=mentions,
                                                        suppress_embeds=True)
            except (discord.InteractionResponded, discord.HTTPException) as error:
                if isinstance(error, discord.HTTPException) and error.code != ALREADY_ACKNOWLEDGED:
                    raise
                # Answered elsewhere (another handler, another process): the rest goes as followups.
                rest = list(chunks)
        for chunk in rest:
            await interaction.followup.send(chunk, ephemeral=ephemeral, allowed_mentions=mentions,
                                            suppress_embeds=True)

    # messages ----------------------------------------------------------------------------------

    async def _answer_message(self, message: discord.Message, session: Session, reply: Reply,
                              chunks: Sequence[str], mentions: discord.AllowedMentions = NO_PINGS) -> None:
        locale = self.locale(session)
        if reply.private and not session.is_direct:
            notice = "private.sent" if await self._direct(message.author, chunks) else "private.hint"
            await self._post(message.channel, [i18n.reply(locale, notice).render("discord_markdown")],
                             reference=message)
            return
        try:
            await self._post(message.channel, chunks, reference=message, mentions=mentions)
        except discord.Forbidden:
            if session.is_direct:
                raise
            # No permission to post there: the person gets the answer privately, and why.
            log.warning("cannot post in %s (missing permissions); answering privately", session.channel_id)
            where = getattr(message.channel, "name", None) or session.channel_id
            notice = i18n.reply(locale, "discord.cannot_post", channel=where)
            await self._direct(message.author, (notice + reply).render_chunks("discord_markdown", MESSAGE_LIMIT))

    async def direct(self, user: discord.abc.User, reply: Reply, *, silent: bool = False) -> bool:
        """A private message (a watch that fired); ``silent``: no notification. False when not delivered."""
        try:
            return await self._direct(user, reply.render_chunks("discord_markdown", MESSAGE_LIMIT), silent=silent)
        except discord.HTTPException as error:
            log.warning("direct message to %s failed: %s (code %s)", user.id, error.status, error.code)
            return False

    async def _direct(self, user: discord.abc.User, chunks: Sequence[str], *, silent: bool = False) -> bool:
        """Send privately; False when the person does not accept direct messages from the bot."""
        try:
            for chunk in chunks:
                await user.send(chunk, allowed_mentions=NO_PINGS, suppress_embeds=True, silent=silent)
        except discord.Forbidden:
            return False
        return True

    async def _post(self, channel: discord.abc.Messageable, chunks: Sequence[str], *,
                    reference: discord.Message | None = None, mentions: discord.AllowedMentions = NO_PINGS) -> None:
        for index, chunk in enumerate(chunks):
            await channel.send(chunk, allowed_mentions=mentions, suppress_embeds=True,
                               reference=reference.to_reference(fail_if_not_exists=False)
                               if reference is not None and index == 0 else None)
