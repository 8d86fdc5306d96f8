"""People who leave or are banned, threads and channels that go, the bot removed (SPEC section 10), end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from discord.ext import commands
from discord_harness import Chat, operator_intents, running
from fake_discord import ALICE_ID, BOB_ID, CHANNEL_ID, THREAD_ID, FakeDiscord, subcommand

from presence_adapters.discord import PresenceCog
from presence_core.service import PresenceService

BOB = f"discord:{BOB_ID}"
GENERAL, THREAD = f"discord:{CHANNEL_ID}", f"discord:{THREAD_ID}"


@pytest.fixture
async def members_chat(fake: FakeDiscord, presence: PresenceService) -> AsyncIterator[Chat]:
    """A bot with the members intent, which Discord needs to send GUILD_MEMBER_REMOVE."""
    intents = operator_intents()
    intents.members = True
    bot = commands.Bot(command_prefix="!", intents=intents)
    await bot.add_cog(PresenceCog(bot, presence))
    async with running(fake, bot) as chat:
        yield chat


async def who(chat: Chat) -> str:
    [reply] = await chat.slash(ALICE_ID, subcommand("who"))
    return reply.content


async def test_someone_who_leaves_is_no_longer_listed(members_chat: Chat, presence: PresenceService) -> None:
    await members_chat.say(BOB_ID, "gm")

    await members_chat.fake.remove_member(BOB_ID)
    await members_chat.presence_update(BOB_ID, "offline", {})

    assert "bob" not in await who(members_chat)
    assert not await presence.is_member(BOB, GENERAL)


async def test_someone_who_leaves_leaves_the_servers_threads_too(members_chat: Chat, presence: PresenceService) -> None:
    await members_chat.fake.create_thread()
    await members_chat.say(BOB_ID, "in the thread", channel_id=THREAD_ID)
    await members_chat.say(BOB_ID, "in general")
    await members_chat.say(BOB_ID, "to the bot", direct=True)

    await members_chat.fake.remove_member(BOB_ID)
    await members_chat.settle()

    assert [m.channel_id for m in await presence.memberships(BOB)] == [f"discord:{BOB_ID + 1_000}"]


async def test_a_banned_member_is_no_longer_listed_without_the_members_intent(chat: Chat,
                                                                            presence: PresenceService) -> None:
    await chat.say(BOB_ID, "gm")

    await chat.fake.ban(BOB_ID)
    await chat.settle()

    assert "bob" not in await who(chat)
    assert not await presence.is_member(BOB, GENERAL)


async def test_someone_removed_from_a_thread_is_no_longer_listed_there(chat: Chat, presence: PresenceService) -> None:
    await chat.fake.create_thread()
    await chat.say(BOB_ID, "in the thread", channel_id=THREAD_ID)
    await chat.say(BOB_ID, "in general")

    await chat.fake.remove_from_thread(BOB_ID)
    await chat.settle()

    assert [m.channel_id for m in await presence.memberships(BOB)] == [GENERAL]


async def test_a_deleted_thread_or_channel_lists_nobody(chat: Chat, presence: PresenceService) -> None:
    await chat.fake.create_thread()
    await chat.say(BOB_ID, "in the thread", channel_id=THREAD_ID)
    await chat.say(ALICE_ID, "in general")

    await chat.fake.delete_thread()
    await chat.settle()
    assert await presence.memberships(BOB) == []
    await chat.fake.delete_channel()
    await chat.settle()

    assert await presence.memberships(f"discord:{ALICE_ID}") == []


async def test_the_bot_removed_from_a_server_forgets_who_was_there(chat: Chat, presence: PresenceService) -> None:
    await chat.fake.create_thread()
    await chat.say(BOB_ID, "in the thread", channel_id=THREAD_ID)
    await chat.say(ALICE_ID, "in general")
    await chat.say(ALICE_ID, "to the bot", direct=True)

    await chat.fake.remove_bot()
    await chat.settle()

    assert await presence.memberships(BOB) == []
    assert [m.channel_id for m in await presence.memberships(f"discord:{ALICE_ID}")] == [f"discord:{ALICE_ID + 1_000}"]
