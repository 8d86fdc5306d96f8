"""A client status Discord reports is a lease (SPEC section 10): counted while Discord says the client is
there, reconciled when the bot connects again, never a ghost after a restart. End to end."""

from __future__ import annotations

import asyncio

from discord.ext import commands
from discord_harness import Chat, operator_intents, running
from fake_discord import ALICE_ID, BOB_ID, FakeDiscord, subcommand

from presence_adapters.discord import PresenceCog
from presence_bot import i18n
from presence_core.models import DeviceInfo
from presence_core.service import PresenceService
from tests.support.clock import FakeClock

ALICE, BOB = f"discord:{ALICE_ID}", f"discord:{BOB_ID}"


async def desktop(presence: PresenceService, user_id: str) -> DeviceInfo:
    return next(d for d in await presence.get_devices(user_id) if d.name == "discord desktop")


class QuickBot(commands.Bot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s before identifying again, as Discord's rate limit asks; the fake has none."""


def fresh_bot() -> commands.Bot:
    return commands.Bot(command_prefix="!", intents=operator_intents())


async def test_a_client_reported_online_is_seen_just_now(chat: Chat, presence: PresenceService,
                                                         clock: FakeClock) -> None:
    await chat.say(ALICE_ID, "hi")
    clock.advance(hours=2)

    await chat.presence_update(ALICE_ID, "online", {"desktop": "online"})

    device = await desktop(presence, ALICE)
    assert (device.status, device.last_seen, device.is_stale) == ("online", clock.now, False)
    [reply] = await chat.slash(ALICE_ID, subcommand("devices"))
    line = next(line for line in reply.content.splitlines() if "discord desktop" in line)
    assert i18n.text("en", "time.just_now") in line and i18n.text("en", "time.never") not in line


async def test_a_client_that_quit_while_the_bot_was_down_is_no_ghost_after_a_restart(
        fake: FakeDiscord, presence: PresenceService, clock: FakeClock) -> None:
    first = fresh_bot()
    await first.add_cog(PresenceCog(first, presence))
    async with running(fake, first) as chat:
        await chat.say(BOB_ID, "hi")  # bob shares the channel, so he may see her
        await chat.say(ALICE_ID, "hi")
        await chat.presence_update(ALICE_ID, "online", {"desktop": "online"})
    fake.set_clients(ALICE_ID, {})  # she quits while the bot is down

    second = fresh_bot()
    await second.add_cog(PresenceCog(second, presence))
    async with running(fake, second):
        clock.advance(hours=3)
        await presence.sweep()

        assert (await presence.get_status(ALICE, viewer_id=BOB)).status == "offline"
        assert (await desktop(presence, ALICE)).status == "offline"


async def test_a_client_still_there_keeps_counting_while_the_bot_renews_it(
        chat: Chat, cog: PresenceCog, presence: PresenceService, clock: FakeClock) -> None:
    await chat.say(BOB_ID, "hi")  # bob shares the channel, so he may see her
    await chat.say(ALICE_ID, "hi")
    await chat.presence_update(ALICE_ID, "online", {"desktop": "online"})

    for _ in range(12):
        clock.advance(minutes=15)
        await cog.feed.renew()
        await presence.sweep()

    assert (await presence.get_status(ALICE, viewer_id=BOB)).status == "online"
    assert (await desktop(presence, ALICE)).last_seen == clock.now


async def test_a_new_gateway_session_asks_discord_again_who_is_there(fake: FakeDiscord,
                                                                     presence: PresenceService) -> None:
    # discord.py reports ready once no GUILD_CREATE came for guild_ready_timeout seconds.
    bot = QuickBot(command_prefix="!", intents=operator_intents(), guild_ready_timeout=0.05)
    await bot.add_cog(PresenceCog(bot, presence))
    ready = asyncio.Event()

    async def on_ready() -> None:
        ready.set()
    bot.add_listener(on_ready)
    async with running(fake, bot) as chat:
        await ready.wait()
        for person in (ALICE_ID, BOB_ID):
            await chat.say(person, "hi")
            await chat.presence_update(person, "online", {"desktop": "online"})
        fake.set_clients(ALICE_ID, {})  # she went offline while the connection was down
        ready.clear()

        await fake.new_session()
        async with asyncio.timeout(5):
            await ready.wait()
        await chat.settle()

    assert (await desktop(presence, ALICE)).status == "offline"
    assert (await desktop(presence, BOB)).status == "online"
