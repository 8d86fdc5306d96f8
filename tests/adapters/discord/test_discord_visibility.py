"""The visibility table (SPEC section 7) through real discord.py and the fake Discord, on every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
import pytest
from discord_harness import Chat
from fake_discord import (
    ALICE_ID,
    BOB_ID,
    CHANNEL_ID,
    FOX_ID,
    SECRET_CHANNEL_ID,
    USERS,
    ZED_ID,
    Sent,
    subcommand,
    user_subcommand,
)

from presence_bot.text import escape_discord
from presence_core import PresenceService
from presence_core.stores.base import Store
from tests.support.clock import FakeClock
from tests.support.visibility_table import SITUATIONS, Place, ReadPath, Situation, Where, World, run_table

IDS = {"alice": ALICE_ID, "bob": BOB_ID, "fox": FOX_ID, "zed": ZED_ID}
PLACES = {"room": CHANNEL_ID, "secret": SECRET_CHANNEL_ID}


@pytest.fixture(params=["memory", "sqlite", "redis"])
def backend(request: pytest.FixtureRequest) -> Store:
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
async def presence(backend: Store, clock: FakeClock) -> AsyncIterator[PresenceService]:
    async with PresenceService(backend, clock=clock) as service:
        yield service


class DiscordWorld:
    def __init__(self, chat: Chat, service: PresenceService) -> None:
        self.chat = chat
        self.service = service

    def account(self, who: str) -> str:
        return f"discord:{IDS[who]}"

    def channel(self, place: Place) -> str:
        return f"discord:{PLACES[place]}"

    def names(self, who: str) -> Sequence[str]:
        """Every form of the person's names an answer may hold: as Discord gives them and as escaped."""
        user = USERS[IDS[who]]
        names = [str(IDS[who]), user["username"], user["global_name"]]
        return [*names, *(escape_discord(n) for n in names)]

    async def say(self, who: str, place: Place) -> None:
        await self.chat.say(IDS[who], "hello", channel_id=PLACES[place])


def _text(sent: list[Sent]) -> str:
    return "\n".join(s.content for s in sent)


def _discord(world: World) -> DiscordWorld:
    assert isinstance(world, DiscordWorld)
    return world


async def user_option(world: World, target: str, where: Where) -> str:
    """``/presence user user:@alice``: Discord resolves the member and sends it along."""
    options, resolved = user_subcommand(IDS[target])
    return _text(await _discord(world).chat.slash(BOB_ID, options, resolved=resolved, direct=where == "dm"))


async def typed_mention(world: World, target: str, where: Where) -> str:
    """``/presence @alice`` typed as a message: the client sends ``<@id>`` with the user in ``mentions``."""
    user_id = IDS[target]
    return _text(await _discord(world).chat.say(BOB_ID, f"/presence <@{user_id}>", mentions=(user_id,),
                                                direct=where == "dm"))


async def reply(world: World, target: str, where: Where) -> str | None:
    if where == "dm":
        return None
    chat = _discord(world).chat
    earlier = chat.fake.message_payload(IDS[target], "earlier")
    return _text(await chat.say(BOB_ID, "/presence", reply_to=earlier))


async def who(world: World, target: str, where: Where) -> str | None:
    if where == "dm":
        return None
    return _text(await _discord(world).chat.say(BOB_ID, "/presence who"))


PATHS = (ReadPath("user option (resolved member)", user_option), ReadPath("<@id> mention", typed_mention),
         ReadPath("reply", reply), ReadPath("who", who, listing=True))


@pytest.mark.parametrize("situation", SITUATIONS, ids=lambda s: s.name)
async def test_what_bob_may_see_of_alice(chat: Chat, presence: PresenceService, situation: Situation) -> None:
    await run_table(DiscordWorld(chat, presence), situation, PATHS)


async def test_privacy_is_a_slash_subcommand_in_both_languages(chat: Chat, presence: PresenceService) -> None:
    [shown] = await chat.slash(ALICE_ID, subcommand("privacy"))
    [chosen] = await chat.slash(ALICE_ID, subcommand("privacy", choice="nobody"), locale="zh-CN")
    assert "Privacy: **shared**" in shown.content
    assert "隐私已设为**不公开**" in chosen.content
    assert await presence.get_privacy(f"discord:{ALICE_ID}") == "nobody"
