"""The cog on an operator's bot, driven end to end through the real discord.py and a fake Discord."""

from __future__ import annotations

from discord_harness import Chat
from fake_discord import ALICE_ID, BOB_ID, subcommand

from bot import i18n


async def test_a_slash_command_is_answered_in_the_channel(chat: Chat) -> None:
    await chat.say(ALICE_ID, "gm everyone")

    [reply] = await chat.slash(BOB_ID, subcommand("who"))

    assert reply.kind == "response"
    assert "alice" in reply.content
    assert not reply.ephemeral
