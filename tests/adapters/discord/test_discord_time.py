"""Edits, late events and a host clock that disagrees with Discord's (SPEC sections 4 and 10), end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from discord.ext import commands
from discord_harness import Chat, operator_intents, running
from fake_discord import ALICE_ID, BOB_ID, FakeDiscord, subcommand

from presence_adapters.discord import PresenceCog
from presence_core.policy import HOUR_MS, MINUTE_MS
from presence_core.service import PresenceService
from tests.support.clock import FakeClock

BOB = f"discord:{BOB_ID}"


async def test_an_edit_that_changes_nothing_is_not_answered_again(chat: Chat, presence: PresenceService) -> None:
    said = await chat.fake.send_message(ALICE_ID, "/presence who https://example.com")
    await chat.settle()

    await chat.fake.edit_message(said, said["content"], embeds=[{"type": "link", "url": "https://example.com"}])
    await chat.settle()
    await chat.fake.edit_message(said, "/presence help who")
    await chat.settle()

    replies = chat.fake.sent()
    assert len(replies) == 2 and replies[0].content != replies[1].content
    assert [e.type for e in await presence.get_activity(f"discord:{ALICE_ID}")] == ["command", "command"]


async def test_an_edit_is_activity_at_its_time(chat: Chat, presence: PresenceService, clock: FakeClock) -> None:
    said = await chat.fake.send_message(BOB_ID, "gm")
    await chat.settle()
    clock.advance(minutes=30)

    await chat.fake.edit_message(said, "gm all", later_ms=0)
    await chat.settle()

    assert (await presence.get_status(BOB)).last_seen == clock.now


async def test_a_message_replayed_late_keeps_its_age(chat: Chat, presence: PresenceService) -> None:
    heard: list[tuple[str, str]] = []
    presence.on("status_change", lambda user, old, new: heard.append((old, new)))
    await chat.say(ALICE_ID, "gm")

    await chat.say(BOB_ID, "said while the bot was reconnecting", ago_ms=3 * HOUR_MS)
    await presence.sweep()

    assert (await presence.get_status(BOB)).status == "offline"
    assert heard == [("offline", "online")]


@pytest.fixture
async def skewed_chat(fake: FakeDiscord, presence: PresenceService,
                      request: pytest.FixtureRequest) -> AsyncIterator[Chat]:
    """A bot whose host clock differs from Discord's by the test's parameter (positive: Discord ahead)."""
    fake.offset_ms = request.param
    bot = commands.Bot(command_prefix="!", intents=operator_intents())
    await bot.add_cog(PresenceCog(bot, presence))
    async with running(fake, bot) as chat:
        yield chat


@pytest.mark.parametrize("skewed_chat", [-6 * MINUTE_MS, -MINUTE_MS, 6 * MINUTE_MS, 10 * MINUTE_MS],
                         indirect=True, ids=["host 6m ahead", "host 1m ahead", "host 6m behind", "host 10m behind"])
async def test_someone_who_just_spoke_is_online_whatever_the_skew(skewed_chat: Chat, presence: PresenceService,
                                                                  clock: FakeClock) -> None:
    await skewed_chat.say(BOB_ID, "hi")
    [reply] = await skewed_chat.slash(ALICE_ID, subcommand("who"))

    assert reply.content.count("🟢") == 2
    assert (await presence.get_status(BOB)).last_seen == clock.now
    clock.advance(minutes=5)
    await presence.sweep()
    assert (await presence.get_status(BOB)).status == "away"


@pytest.mark.parametrize("skewed_chat", [-6 * MINUTE_MS], indirect=True)
async def test_with_a_skewed_clock_a_late_message_still_keeps_its_age(skewed_chat: Chat,
                                                                     presence: PresenceService) -> None:
    await skewed_chat.say(ALICE_ID, "gm")

    await skewed_chat.say(BOB_ID, "from before", ago_ms=10 * MINUTE_MS)
    await presence.sweep()

    assert (await presence.get_status(BOB)).status == "away"
