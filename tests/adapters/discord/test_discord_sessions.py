"""What the cog hands to PresenceBot: one Session per message or slash command, ids composite."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from discord.ext import commands
from discord_harness import Chat, operator_intents, running
from fake_discord import (
    ALICE_ID,
    BOB_ID,
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    OTHER_BOT_ID,
    USERS,
    FakeDiscord,
    dm_channel_id,
    subcommand,
    user_subcommand,
)

from presence_adapters.discord import PresenceCog
from presence_adapters.discord.sessions import command_line
from presence_bot import i18n
from presence_bot.session import Session
from presence_core.service import PresenceService
from tests.support.clock import FakeClock

ALICE = f"discord:{ALICE_ID}"


@pytest.fixture
def sessions(cog: PresenceCog, monkeypatch: pytest.MonkeyPatch) -> list[Session]:
    """Every Session the cog hands to PresenceBot, in order."""
    seen: list[Session] = []
    handle = cog.presence.handle

    async def spy(session: Session) -> None:
        seen.append(session)
        await handle(session)
    monkeypatch.setattr(cog.presence, "handle", spy)
    return seen


async def test_a_guild_message_becomes_a_message_session(chat: Chat, sessions: list[Session], clock: FakeClock) -> None:
    await chat.say(ALICE_ID, "gm")

    [session] = sessions
    assert (session.platform, session.self_id, session.user_id, session.user_name) == (
        "discord", str(BOT_ID), ALICE, "alice")
    assert (session.channel_id, session.guild_id, session.is_direct) == (f"discord:{CHANNEL_ID}", str(GUILD_ID), False)
    assert (session.content, session.kind, session.locale) == ("gm", "message", None)
    assert session.message_id == chat.fake.messages[-1]["id"]
    assert session.timestamp == clock.now


async def test_a_text_command_carries_its_mentions(chat: Chat, sessions: list[Session]) -> None:
    await chat.say(BOB_ID, f"/presence <@!{ALICE_ID}>", mentions=(ALICE_ID,))

    [session] = sessions
    assert session.kind == "command"
    assert dict(session.mentions) == {f"<@!{ALICE_ID}>": ALICE}


async def test_a_reply_names_the_person_replied_to_but_not_a_bot(chat: Chat, sessions: list[Session]) -> None:
    said = await chat.fake.send_message(ALICE_ID, "brb")
    await chat.say(BOB_ID, "/presence", reply_to=said)
    await chat.say(BOB_ID, "/presence", reply_to={**said, "author": USERS[BOT_ID]})

    assert [s.reply_to_user_id for s in sessions] == [None, ALICE, None]


async def test_a_direct_message_is_direct_and_has_no_guild(chat: Chat, sessions: list[Session]) -> None:
    await chat.say(ALICE_ID, "hello", direct=True)

    [session] = sessions
    assert (session.is_direct, session.guild_id, session.channel_id) == (True, None, f"discord:{dm_channel_id(ALICE_ID)}")


async def test_bots_messages_are_nobodys_activity(chat: Chat, sessions: list[Session]) -> None:
    await chat.say(OTHER_BOT_ID, "/presence who")
    await chat.say(BOT_ID, "I am the bot")

    assert sessions == []


async def test_a_slash_command_becomes_its_text_command(chat: Chat, sessions: list[Session], clock: FakeClock) -> None:
    [reply] = await chat.slash(ALICE_ID, subcommand("status", text="交易 BTC", duration="2h"), locale="zh-CN")

    [session] = sessions
    assert session.content == '/presence status "交易 BTC" for 2h'
    assert (session.kind, session.locale, session.timestamp) == ("interaction", "zh-CN", clock.now)
    assert session.message_id == chat.fake.interactions[-1]["id"]
    assert "交易 BTC" in reply.content


async def test_the_user_option_becomes_a_mention(chat: Chat, sessions: list[Session]) -> None:
    options, resolved = user_subcommand(ALICE_ID)
    await chat.slash(BOB_ID, options, resolved=resolved)

    [session] = sessions
    assert session.content == f"/presence <@{ALICE_ID}>"
    assert dict(session.mentions) == {f"<@{ALICE_ID}>": ALICE}


def test_arguments_with_spaces_or_quotes_are_quoted_so_they_read_back_the_same() -> None:
    assert command_line(["status", 'say "hi" now', "for", "1h"]) == '/presence status 「say "hi" now」 for 1h'
    assert command_line([]) == "/presence"


@pytest.fixture
async def community_chat(fake: FakeDiscord, presence: PresenceService) -> AsyncIterator[Chat]:
    """A Community server whose primary language is Simplified Chinese."""
    fake.guild_locale, fake.guild_features = "zh-CN", ["COMMUNITY"]
    bot = commands.Bot(command_prefix="!", intents=operator_intents())
    await bot.add_cog(PresenceCog(bot, presence))
    async with running(fake, bot) as chat:
        yield chat


async def test_text_commands_follow_a_community_servers_language(community_chat: Chat) -> None:
    [reply] = await community_chat.say(ALICE_ID, "/presence online")

    away = i18n.text("zh-CN", "unit.m", n=5)
    assert away in reply.content
