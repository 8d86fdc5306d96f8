"""Presence updates: a person's Discord clients become their devices, and only when it matters."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from discord.ext import commands
from discord_harness import WAIT_S, Chat, operator_intents, running
from fake_discord import ALICE_ID, BOB_ID, FakeDiscord, subcommand

from presence_adapters.discord import PresenceCog
from presence_core.service import PresenceService

ALICE = f"discord:{ALICE_ID}"
BOB = f"discord:{BOB_ID}"


async def device_statuses(presence: PresenceService, user_id: str) -> dict[str, str]:
    return {d.name: d.status.value for d in await presence.get_devices(user_id)}


async def test_a_busy_phone_makes_the_person_busy_for_everyone(chat: Chat, presence: PresenceService) -> None:
    await chat.say(ALICE_ID, "hi")
    await chat.say(BOB_ID, "hi")

    await chat.presence_update(ALICE_ID, "dnd", {"desktop": "online", "mobile": "dnd"})

    assert (await presence.get_status(ALICE, viewer_id=BOB)).status == "dnd"
    assert await device_statuses(presence, ALICE) == {
        "discord": "online", "discord desktop": "online", "discord mobile": "dnd"}


async def test_a_client_that_disappears_goes_offline(chat: Chat, presence: PresenceService) -> None:
    await chat.say(ALICE_ID, "hi")
    await chat.presence_update(ALICE_ID, "online", {"desktop": "online", "web": "online"})

    await chat.presence_update(ALICE_ID, "online", {"web": "online"})

    statuses = await device_statuses(presence, ALICE)
    assert (statuses["discord desktop"], statuses["discord web"]) == ("offline", "online")


async def test_strangers_get_no_record_until_they_use_the_bot(chat: Chat, presence: PresenceService) -> None:
    await chat.presence_update(BOB_ID, "online", {"desktop": "online"})
    assert await presence.get_devices(BOB) == []

    await chat.say(BOB_ID, "hello")

    assert await device_statuses(presence, BOB) == {"discord": "online", "discord desktop": "online"}


async def test_game_and_song_changes_write_nothing(
        chat: Chat, presence: PresenceService, monkeypatch: pytest.MonkeyPatch) -> None:
    await chat.say(ALICE_ID, "hi")
    await chat.presence_update(ALICE_ID, "online", {"desktop": "online"})
    writes: list[tuple[Any, ...]] = []
    set_device_status = presence.set_device_status

    async def counting(*args: Any, **kwargs: Any) -> None:
        writes.append(args)
        await set_device_status(*args, **kwargs)
    monkeypatch.setattr(presence, "set_device_status", counting)

    for game in ("Chess", "Go", "Tetris"):
        await chat.presence_update(ALICE_ID, "online", {"desktop": "online"},
                                   activities=[{"type": 0, "name": game, "created_at": 0}])

    assert writes == []


async def test_tracking_off_keeps_clients_out(chat: Chat, presence: PresenceService) -> None:
    await chat.slash(ALICE_ID, subcommand("tracking", state="off"))

    await chat.presence_update(ALICE_ID, "online", {"desktop": "online"})

    assert "discord desktop" not in await device_statuses(presence, ALICE)


async def test_forgotten_people_are_not_brought_back_by_presence(chat: Chat, presence: PresenceService) -> None:
    await chat.say(ALICE_ID, "hi")
    await chat.presence_update(ALICE_ID, "online", {"desktop": "online"})
    await chat.slash(ALICE_ID, subcommand("forget"), direct=True)
    await chat.say(ALICE_ID, "yes", direct=True)
    assert await presence.get_devices(ALICE) == []

    await chat.presence_update(ALICE_ID, "idle", {"desktop": "idle"})

    assert await presence.get_devices(ALICE) == []


async def test_with_the_members_intent_cached_members_feed_devices_too(
        fake: FakeDiscord, presence: PresenceService) -> None:
    intents = operator_intents()
    intents.members = True
    bot = commands.Bot(command_prefix="!", intents=intents)
    await bot.add_cog(PresenceCog(bot, presence))
    fake.guild_members = [ALICE_ID]

    async with running(fake, bot) as chat:
        await chat.say(ALICE_ID, "hi")
        await chat.presence_update(ALICE_ID, "online", {"mobile": "online"})

    assert (await device_statuses(presence, ALICE))["discord mobile"] == "online"


async def test_a_newer_report_is_never_overtaken_by_a_slow_older_write(
        chat: Chat, presence: PresenceService, monkeypatch: pytest.MonkeyPatch) -> None:
    await chat.say(ALICE_ID, "hi")
    release = asyncio.Event()
    writes: list[tuple[Any, ...]] = []
    set_device_status = presence.set_device_status

    async def first_write_stalls(*args: Any, **kwargs: Any) -> None:
        writes.append(args)
        if len(writes) == 1:
            await release.wait()
        await set_device_status(*args, **kwargs)
    monkeypatch.setattr(presence, "set_device_status", first_write_stalls)

    await chat.fake.send_presence(ALICE_ID, "online", {"desktop": "online", "mobile": "online"})
    await chat.fake.send_presence(ALICE_ID, "idle", {"desktop": "idle", "mobile": "idle"})
    async with asyncio.timeout(WAIT_S):
        while not writes or chat.bot.ws.sequence < chat.fake.last_seq:
            await asyncio.sleep(0.005)
    for _ in range(50):  # let the second report go as far as it can while the first write stalls
        await asyncio.sleep(0)
    release.set()
    await chat.settle()

    statuses = await device_statuses(presence, ALICE)
    assert (statuses["discord desktop"], statuses["discord mobile"]) == ("away", "away")
