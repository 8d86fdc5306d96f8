"""Reactions and typing (SPEC section 10), end to end through discord.py."""

from __future__ import annotations

from discord_harness import Chat
from fake_discord import ALICE_ID, BOB_ID, CHANNEL_ID, OTHER_BOT_ID

from presence_core.service import PresenceService
from tests.support.clock import FakeClock

BOB = f"discord:{BOB_ID}"


async def idle(chat: Chat, presence: PresenceService, clock: FakeClock) -> dict:  # type: ignore[type-arg]
    """Bob says something, Alice too, then half an hour passes: Bob is away."""
    await chat.say(BOB_ID, "gm")
    said = await chat.fake.send_message(ALICE_ID, "BTC at 100k")
    await chat.settle()
    clock.advance(minutes=30)
    await presence.sweep()
    assert (await presence.get_status(BOB)).status == "away"
    return said


async def test_a_reaction_is_activity_of_the_person_who_reacted(chat: Chat, presence: PresenceService,
                                                                clock: FakeClock) -> None:
    said = await idle(chat, presence, clock)

    await chat.fake.react(BOB_ID, said, "🚀")
    await chat.settle()

    assert (await presence.get_status(BOB)).status == "online"
    latest = (await presence.get_activity(BOB))[0]
    assert (latest.type, latest.channel_id, latest.timestamp) == ("reaction", f"discord:{CHANNEL_ID}", clock.now)


async def test_taking_a_reaction_back_is_activity_too(chat: Chat, presence: PresenceService,
                                                     clock: FakeClock) -> None:
    said = await idle(chat, presence, clock)

    await chat.fake.react(BOB_ID, said, "🚀", remove=True)
    await chat.settle()

    assert (await presence.get_activity(BOB))[0].type == "reaction"


async def test_reactions_of_bots_are_nobodys(chat: Chat, presence: PresenceService) -> None:
    said = await chat.fake.send_message(ALICE_ID, "gm")

    await chat.fake.react(OTHER_BOT_ID, said)
    await chat.settle()

    assert await presence.get_activity(f"discord:{OTHER_BOT_ID}") == []


async def test_typing_is_a_heartbeat(chat: Chat, presence: PresenceService, clock: FakeClock) -> None:
    await idle(chat, presence, clock)

    await chat.fake.typing(BOB_ID)
    await chat.settle()

    status = await presence.get_status(BOB)
    assert (status.status, status.last_seen) == ("online", clock.now)
    assert [e.type for e in await presence.get_activity(BOB)] == ["message"]
