from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from presence_bot.app import PresenceBot
from presence_bot.options import BotOptions
from presence_core import PresenceService
from presence_core.stores.memory import MemoryStore
from tests.support.chat import Chat
from tests.support.clock import FakeClock


@pytest.fixture
async def chat(clock: FakeClock) -> AsyncIterator[Chat]:
    """The router over a memory store: command behaviour does not depend on the backend."""
    service = PresenceService(MemoryStore(), clock=clock)
    async with service:
        presence_bot = PresenceBot(service, BotOptions(prompt_timeout_s=5))
        yield Chat(presence_bot)
        await presence_bot.close()
