"""The visibility table (SPEC section 7) through the router: every way of asking about someone, on every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest

from presence_bot.app import PresenceBot
from presence_bot.options import BotOptions
from presence_core import PresenceService
from presence_core.stores.base import Store
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.visibility_table import SITUATIONS, Place, ReadPath, Situation, Where, World, run_table

BACKENDS = ["memory", "sqlite", "redis"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Store:
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
async def world(backend: Store, clock: FakeClock) -> AsyncIterator[RouterWorld]:
    async with PresenceService(backend, clock=clock) as service:
        presence_bot = PresenceBot(service, BotOptions(prompt_timeout_s=5))
        yield RouterWorld(Chat(presence_bot))
        await presence_bot.close()


class RouterWorld:
    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self.service = chat.bot.service

    def account(self, who: str) -> str:
        return f"test:{who}"

    def channel(self, place: Place) -> str:
        return f"test:{place}"

    def names(self, who: str) -> Sequence[str]:
        return [who]

    async def say(self, who: str, place: Place) -> None:
        await self.chat.say(who, "hello", channel=place)

    async def bob_asks(self, text: str, where: Where, **kw: object) -> str:
        place = {"channel": "room"} if where == "room" else {"channel": "dm-bob", "direct": True}
        return await self.chat.text("bob", text, **place, **kw)  # type: ignore[arg-type]


def _router(world: World) -> RouterWorld:
    assert isinstance(world, RouterWorld)
    return world


async def mention(world: World, target: str, where: Where) -> str:
    """A mention the platform resolved (Telegram text_mention, Discord <@id> and user options)."""
    return await _router(world).bob_asks(f"/presence @{target}", where, mentions={f"@{target}": f"test:{target}"})


async def typed_username(world: World, target: str, where: Where) -> str:
    return await _router(world).bob_asks(f"/presence @{target}", where)


async def bare_name(world: World, target: str, where: Where) -> str:
    return await _router(world).bob_asks(f"/presence {target}", where)


async def reply(world: World, target: str, where: Where) -> str | None:
    if where == "dm":
        return None
    return await _router(world).bob_asks("/presence", where, reply_to=f"test:{target}")


async def who(world: World, target: str, where: Where) -> str | None:
    if where == "dm":
        return None
    return await _router(world).bob_asks("/presence who", where)


PATHS = (ReadPath("@user (mention)", mention), ReadPath("@username typed", typed_username),
         ReadPath("bare name", bare_name), ReadPath("reply", reply), ReadPath("who", who, listing=True))


@pytest.mark.parametrize("situation", SITUATIONS, ids=lambda s: s.name)
async def test_what_bob_may_see_of_alice(world: RouterWorld, situation: Situation) -> None:
    await run_table(world, situation, PATHS)
