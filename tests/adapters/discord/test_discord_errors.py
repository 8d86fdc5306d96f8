"""Discord errors are logged and answered where the person can see them; nothing crashes, activity stays."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from discord.ext import commands
from discord_harness import Chat, operator_intents, running
from fake_discord import ALICE_ID, BOB_ID, CHANNEL_ID, EPHEMERAL, FakeDiscord, dm_channel_id, subcommand

import presence_adapters.discord.cog as cog_module
from presence_adapters.discord import PresenceCog
from presence_bot import i18n
from presence_bot.app import PresenceBot
from presence_core.service import PresenceService

ALICE = f"discord:{ALICE_ID}"
CALLBACK = r"/interactions/\d+/[^/]+/callback"
CHANNEL_MESSAGES = rf"/channels/{CHANNEL_ID}/messages"


def internal_error(locale: str = "en") -> str:
    return i18n.reply(locale, "error.internal").render("discord_markdown")


async def test_an_expired_interaction_is_answered_in_the_channel(chat: Chat, presence: PresenceService) -> None:
    chat.fake.fail("POST", CALLBACK, status=404, code=10062, message="Unknown interaction")

    [reply] = await chat.slash(ALICE_ID, subcommand("who"))

    assert reply.kind == "channel" and reply.channel_id == CHANNEL_ID
    assert "alice" in reply.content and reply.pings_nobody
    assert [e.type for e in await presence.get_activity(ALICE)] == ["interaction"]


async def test_an_expired_interaction_with_a_private_answer_is_answered_directly(chat: Chat) -> None:
    chat.fake.fail("POST", CALLBACK, status=404, code=10062, message="Unknown interaction")

    [reply] = await chat.slash(ALICE_ID, subcommand("devices"))

    assert reply.kind == "direct" and reply.channel_id == dm_channel_id(ALICE_ID)


async def test_an_interaction_acknowledged_elsewhere_gets_a_followup(chat: Chat) -> None:
    chat.fake.fail("POST", CALLBACK, status=400, code=40060, message="Interaction has already been acknowledged.")

    [reply] = await chat.slash(ALICE_ID, subcommand("who"))

    assert reply.kind == "followup" and "alice" in reply.content


async def test_a_rate_limited_reply_is_retried_and_delivered(chat: Chat) -> None:
    chat.fake.fail("POST", CHANNEL_MESSAGES, status=429, message="You are being rate limited.",
                   headers={"Via": "1.1 google", "Retry-After": "0.01"}, retry_after=0.01, **{"global": False})

    [reply] = await chat.say(ALICE_ID, "/presence who")

    assert "alice" in reply.content
    assert len(chat.fake.calls_to("POST", CHANNEL_MESSAGES)) == 2


async def test_a_reply_rate_limited_for_too_long_is_logged_and_the_bot_goes_on(
        fake: FakeDiscord, presence: PresenceService, caplog: pytest.LogCaptureFixture) -> None:
    bot = commands.Bot(command_prefix="!", intents=operator_intents(), max_ratelimit_timeout=30.0)
    await bot.add_cog(PresenceCog(bot, presence))
    fake.fail("POST", CHANNEL_MESSAGES, status=429, message="You are being rate limited.",
              headers={"Via": "1.1 google", "Retry-After": "600"}, retry_after=600.0, **{"global": False})

    async with running(fake, bot) as chat:
        with caplog.at_level(logging.WARNING, logger="presence_adapters.discord"):
            assert await chat.say(ALICE_ID, "/presence who") == []
        [reply] = await chat.say(BOB_ID, "/presence who")

    assert "rate limited" in caplog.text
    assert "alice" in reply.content


async def test_without_permission_to_post_the_answer_comes_privately(chat: Chat) -> None:
    chat.fake.fail("POST", CHANNEL_MESSAGES, status=403, code=50013, message="Missing Permissions")

    [reply] = await chat.say(ALICE_ID, "/presence who")

    assert reply.kind == "direct"
    notice = i18n.reply("en", "discord.cannot_post", channel="general").render("discord_markdown")
    assert reply.content.startswith(notice) and "alice" in reply.content


async def test_a_failing_command_is_answered_with_an_error_and_activity_is_kept(
        chat: Chat, presence: PresenceService, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("store exploded")
    monkeypatch.setattr(presence, "get_channel_presence", broken)

    [reply] = await chat.slash(ALICE_ID, subcommand("who"), locale="zh-CN")

    assert reply.content == internal_error("zh-CN")
    assert [e.type for e in await presence.get_activity(ALICE)] == ["interaction"]


async def test_a_crash_in_the_bot_is_answered_and_the_next_command_still_works(
        chat: Chat, cog: PresenceCog, monkeypatch: pytest.MonkeyPatch) -> None:
    handle = cog.presence.handle

    async def crash_once(session: Any) -> None:
        monkeypatch.setattr(cog.presence, "handle", handle)
        raise RuntimeError("bug")
    monkeypatch.setattr(cog.presence, "handle", crash_once)

    [error] = await chat.say(ALICE_ID, "/presence who")
    [reply] = await chat.say(ALICE_ID, "/presence who")

    assert error.content == internal_error()
    assert "alice" in reply.content


async def test_a_slash_command_of_an_older_shape_still_counts_and_gets_an_error(
        chat: Chat, presence: PresenceService) -> None:
    # ``device`` is required now; a client with stale commands can still send it without.
    [reply] = await chat.slash(ALICE_ID, subcommand("unlink"))

    assert reply.kind == "response" and reply.ephemeral
    assert reply.content == internal_error()
    assert [e.type for e in await presence.get_activity(ALICE)] == ["interaction"]


async def test_a_slow_answer_is_deferred_then_followed_up(
        chat: Chat, presence: PresenceService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cog_module, "DEFER_AFTER_S", 0.01)
    release = asyncio.Event()
    get_devices = presence.get_devices

    async def slow_devices(user_id: str) -> Any:
        await release.wait()
        return await get_devices(user_id)
    monkeypatch.setattr(presence, "get_devices", slow_devices)

    await chat.fake.send_interaction(ALICE_ID, subcommand("devices"))
    [deferral] = await chat.fake.wait_for_call("POST", CALLBACK)
    release.set()
    await chat.settle()

    assert deferral.json["type"] == 5 and deferral.json["data"]["flags"] & EPHEMERAL
    [answer] = chat.fake.sent()
    assert answer.kind == "followup" and "discord" in answer.content and answer.pings_nobody


async def test_with_text_commands_off_messages_are_only_activity(
        fake: FakeDiscord, presence: PresenceService) -> None:
    bot = commands.Bot(command_prefix="!", intents=operator_intents())
    await bot.add_cog(PresenceCog(bot, PresenceBot(presence), text_commands=False))

    async with running(fake, bot) as chat:
        assert await chat.say(ALICE_ID, "/presence who") == []
        [reply] = await chat.slash(ALICE_ID, subcommand("who"))

    assert "alice" in reply.content
    assert [e.type for e in await presence.get_activity(ALICE)] == ["interaction", "message"]
