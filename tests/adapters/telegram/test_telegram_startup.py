"""presence-bot's Telegram start-up: waits for an unreachable Telegram, refuses a bad token cleanly."""

from __future__ import annotations

import asyncio
import logging

import pytest
from fake_bot_api import FakeBotApi
from harness import polling_settings, running
from telegram_updates import Messages, Person, private

from presence_adapters.telegram import serve
from presence_bot.app import PresenceBot
from presence_bot.settings import TelegramSettings
from presence_core.errors import InvalidArgumentError
from presence_core.service import PresenceService

ALICE = Person(42, "Alice", "alice", "en")


async def test_an_unreachable_telegram_at_start_up_is_waited_for(
        api: FakeBotApi, presence: PresenceService, messages: Messages, caplog: pytest.LogCaptureFixture) -> None:
    api.failures["getMe"].append((502, "Bad Gateway", {}))
    presence_bot = PresenceBot(presence)

    async with running(api, polling_settings(api), presence_bot) as telegram:
        [answer] = await telegram.ask(messages.message(ALICE, private(ALICE), "/presence"))
    await presence_bot.close()

    assert answer.chat_id == ALICE.id
    assert len(api.called("getMe")) == 2
    assert "Telegram is not reachable" in caplog.text


async def test_a_rejected_token_stops_start_up_without_showing_the_token(
        api: FakeBotApi, presence: PresenceService, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = TelegramSettings(token="999:not-the-token", base_url=api.base_url)

    with pytest.raises(InvalidArgumentError) as refused:
        await asyncio.wait_for(serve(settings, PresenceBot(presence)), 5)

    assert "not-the-token" not in str(refused.value)
    # (The fake Bot API's own access log is not the bot's.)
    assert not [r for r in caplog.records if "not-the-token" in r.getMessage() and r.name != "aiohttp.access"]
