"""The visibility table (SPEC section 7) through real python-telegram-bot and the fake Bot API, on every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from fake_bot_api import FakeBotApi
from harness import Telegram, polling_settings, running
from telegram_updates import GROUP, Chat, Messages, Person, private

from presence_bot.app import PresenceBot
from presence_core import PresenceService
from presence_core.stores.base import Store
from tests.support.clock import FakeClock
from tests.support.visibility_table import SITUATIONS, Place, ReadPath, Situation, Where, World, run_table

PEOPLE = {"alice": Person(42, "Alice", "alice"), "bob": Person(43, "Bob", "bob"),
          "fox": Person(45, "Fox", "anon_fox"), "zed": Person(46, "Zed", "zed")}
SECRET = Chat(-100_456, "supergroup", "Secret")
PLACES = {"room": GROUP, "secret": SECRET}


@pytest.fixture(params=["memory", "sqlite", "redis"])
def backend(request: pytest.FixtureRequest) -> Store:
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
async def presence(backend: Store, clock: FakeClock) -> AsyncIterator[PresenceService]:
    async with PresenceService(backend, clock=clock) as service:
        yield service


@pytest.fixture
async def world(api: FakeBotApi, presence: PresenceService, messages: Messages) -> AsyncIterator[TelegramWorld]:
    presence_bot = PresenceBot(presence)
    async with running(api, polling_settings(api), presence_bot) as telegram:
        yield TelegramWorld(telegram, presence, messages)
    await presence_bot.close()


class TelegramWorld:
    def __init__(self, telegram: Telegram, service: PresenceService, messages: Messages) -> None:
        self.telegram = telegram
        self.service = service
        self.messages = messages

    def account(self, who: str) -> str:
        return f"telegram:{PEOPLE[who].id}"

    def channel(self, place: Place) -> str:
        return f"telegram:{PLACES[place].id}"

    def names(self, who: str) -> Sequence[str]:
        person = PEOPLE[who]  # a reply to someone the bot never saw is answered under their id
        return [self.account(who), person.username or "", person.first_name]

    async def say(self, who: str, place: Place) -> None:
        await self.telegram.deliver(self.messages.message(PEOPLE[who], PLACES[place], "hello"))

    async def bob_asks(self, text: str, where: Where, **kw: Any) -> str:
        chat = GROUP if where == "room" else private(PEOPLE["bob"])
        [answer] = await self.telegram.ask(self.messages.message(PEOPLE["bob"], chat, text, **kw))
        return answer.text


def _telegram(world: World) -> TelegramWorld:
    assert isinstance(world, TelegramWorld)
    return world


async def typed_username(world: World, target: str, where: Where) -> str:
    """``@alice`` as typed: a ``mention`` entity, which carries no user; matched by username."""
    handle = f"@{PEOPLE[target].username}"
    return await _telegram(world).bob_asks(f"/presence {handle}", where,
                                           entities=[{"type": "mention", "offset": 10, "length": len(handle)}])


async def text_mention(world: World, target: str, where: Where) -> str:
    """A mention of someone picked from the member list: a ``text_mention`` entity with the user."""
    person = PEOPLE[target]
    return await _telegram(world).bob_asks(
        f"/presence {person.first_name}", where,
        entities=[{"type": "text_mention", "offset": 10, "length": len(person.first_name), "user": person.json()}])


async def reply(world: World, target: str, where: Where) -> str | None:
    """``/presence`` as a reply to one of their messages (which the bot may never have seen)."""
    if where == "dm":
        return None
    tg = _telegram(world)
    earlier = tg.messages.message(PEOPLE[target], GROUP, "earlier")["message"]
    return await tg.bob_asks("/presence", where, reply_to=earlier)


async def who(world: World, target: str, where: Where) -> str | None:
    if where == "dm":
        return None
    return await _telegram(world).bob_asks("/presence who", where)


PATHS = (ReadPath("@username typed", typed_username), ReadPath("text_mention", text_mention),
         ReadPath("reply", reply), ReadPath("who", who, listing=True))


@pytest.mark.parametrize("situation", SITUATIONS, ids=lambda s: s.name)
async def test_what_bob_may_see_of_alice(world: TelegramWorld, situation: Situation) -> None:
    await run_table(world, situation, PATHS)


async def test_a_first_name_never_answers_for_an_at_username(world: TelegramWorld) -> None:
    """Issue 17: an account without a username whose first name is "alice" must not answer for @alice."""
    impostor = Person(47, "alice")
    await world.telegram.deliver(world.messages.message(impostor, GROUP, "I am totally alice"))
    await world.service.set_custom_status("telegram:47", "OOO — DM @alice_backup instead")
    await world.say("bob", "room")
    before = await typed_username(world, "alice", "room")
    await world.say("alice", "room")
    after = await typed_username(world, "alice", "room")
    assert "haven't seen" in before and "alice_backup" not in before
    assert "<b>alice</b>: <b>online</b>" in after and "alice_backup" not in after
