"""Availability and watches on Discord end to end: slash subcommands, autocomplete, pick's one ping, DMs."""

from __future__ import annotations

from typing import Any

from discord_harness import Chat
from fake_discord import ALICE_ID, BOB_ID, USERS, FakeDiscord, dm_channel_id, subcommand

from presence_bot import i18n
from presence_core.service import PresenceService

ALICE, BOB = f"discord:{ALICE_ID}", f"discord:{BOB_ID}"
SILENT = 1 << 12  # Discord's SUPPRESS_NOTIFICATIONS message flag


def notify(user_id: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    options = [{"type": 1, "name": "notify", "options": [{"name": "user", "type": 6, "value": str(user_id)}]}]
    return options, {"users": {str(user_id): USERS[user_id]}}


async def test_capacity_take_and_who_through_slash_commands(chat: Chat) -> None:
    [answer] = await chat.slash(BOB_ID, subcommand("capacity", group="team", value="2"))
    assert answer.content.startswith(i18n.reply("en", "desk.capacity_set", capacity=2).render("discord_markdown"))
    await chat.slash(BOB_ID, subcommand("take", group="team", n=2))
    [who] = await chat.slash(ALICE_ID, subcommand("who"))
    assert "full (2/2)" in who.content


async def test_pick_pings_the_chosen_person_and_nobody_else(chat: Chat) -> None:
    await chat.slash(BOB_ID, subcommand("capacity", group="team", value="3"))
    [answer] = await chat.slash(ALICE_ID, subcommand("pick", group="team"))
    assert answer.content.startswith(f"<@{BOB_ID}> ")
    mentions = answer.body["allowed_mentions"]
    assert mentions["users"] == [BOB_ID] and mentions["parse"] == [] and not mentions.get("replied_user")


async def test_time_zones_and_skills_are_offered_while_typing(chat: Chat, presence: PresenceService) -> None:
    zones = await chat.autocomplete(BOB_ID, subcommand("hours", group="team", hours="mon-fri 9-18", zone="berl", focused="zone"))
    assert zones[0] == {"name": "Europe/Berlin", "value": "Europe/Berlin"}
    await chat.slash(BOB_ID, subcommand("skills", group="team", tags="billing refunds"))
    await chat.slash(BOB_ID, subcommand("capacity", group="team", value="2"))
    offered = await chat.autocomplete(ALICE_ID, subcommand("pick", group="team", skill="re", focused="skill"))
    assert offered == [{"name": "refunds", "value": "refunds"}]


async def test_a_watch_fires_as_a_silent_direct_message_while_dnd(chat: Chat, fake: FakeDiscord,
                                                                 presence: PresenceService) -> None:
    await chat.slash(BOB_ID, subcommand("capacity", group="team", value="1"))
    await chat.slash(BOB_ID, subcommand("take", group="team"))
    await chat.slash(ALICE_ID, subcommand("dnd"))
    options, resolved = notify(BOB_ID)
    [answer] = await chat.slash(ALICE_ID, options, resolved=resolved)
    assert answer.ephemeral
    sent = await chat.slash(BOB_ID, subcommand("done", group="team"))
    [fired] = [s for s in sent if s.kind == "direct"]
    assert fired.channel_id == dm_channel_id(ALICE_ID)
    assert fired.content == i18n.reply("en", "watch.fired_available", name="bob").render("discord_markdown")
    assert fired.body["flags"] & SILENT and fired.pings_nobody
    assert await presence.get_watchers(BOB) == []
