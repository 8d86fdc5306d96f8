"""Autocomplete while a person types an option: durations in their language, their linked accounts."""

from __future__ import annotations

from discord_harness import Chat
from fake_discord import ALICE_ID, BOB_ID, subcommand

from presence_core.service import PresenceService

ALICE = f"discord:{ALICE_ID}"


async def test_durations_are_offered_in_the_persons_language(chat: Chat) -> None:
    choices = await chat.autocomplete(ALICE_ID, subcommand("dnd", duration="", focused="duration"), locale="zh-CN")

    assert [c["name"] for c in choices][:3] == ["30分钟", "1小时", "2小时"]
    assert [c["value"] for c in choices][:3] == ["30m", "1h", "2h"]


async def test_a_typed_duration_is_offered_first_as_the_bot_reads_it(chat: Chat) -> None:
    choices = await chat.autocomplete(ALICE_ID, subcommand("status", text="lunch", duration="90 min",
                                                           focused="duration"))

    assert choices[0] == {"name": "1h 30m", "value": "1h30m"}


async def test_every_duration_option_offers_the_same_durations(chat: Chat) -> None:
    """A status, a look back in the log and a watch all read durations alike."""
    options = [subcommand("away", duration="2 h", focused="duration"),
               subcommand("activity", since="2 h", focused="since"),
               subcommand("notify", duration="2 h", focused="duration")]
    offered = [await chat.autocomplete(ALICE_ID, option) for option in options]

    assert all(choices[0] == {"name": "2h", "value": "2h"} for choices in offered), offered


async def test_unlink_offers_the_accounts_that_can_be_split_off(chat: Chat, presence: PresenceService) -> None:
    code = await presence.create_link_code(ALICE)
    await presence.link_account("telegram:42", code)

    choices = await chat.autocomplete(ALICE_ID, subcommand("unlink", device="tele", focused="device"))
    nothing = await chat.autocomplete(BOB_ID, subcommand("unlink", device="", focused="device"))

    assert choices == [{"name": "telegram", "value": "telegram"}]
    assert nothing == []


async def test_typing_a_command_keeps_someone_online_without_filling_their_log(
        chat: Chat, presence: PresenceService) -> None:
    for typed in ("1", "1h", "1h3"):
        await chat.autocomplete(ALICE_ID, subcommand("away", duration=typed, focused="duration"))

    assert (await presence.get_status(ALICE)).status == "online"
    assert await presence.get_activity(ALICE) == []
