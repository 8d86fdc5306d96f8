"""install() adds presence to an operator's own Application without disturbing their handlers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fake_bot_api import TOKEN, FakeBotApi
from harness import Handled
from telegram import Bot, Update
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes, MessageHandler, filters
from telegram_updates import GROUP, Messages, Person

import presence_adapters.telegram
from presence_bot import i18n
from presence_core.service import PresenceService

ALICE = Person(42, "Alice", "alice", "en")


class OperatorBot:
    """The operator's own bot: a /start command and an echo of group chatter."""

    def __init__(self, api: FakeBotApi) -> None:
        self.seen: list[str] = []
        self._changed = asyncio.Condition()
        self.started_by: list[int] = []
        self.post_init_ran = False
        self.application = (ApplicationBuilder().token(TOKEN).base_url(api.base_url)
                            .post_init(self.post_init).build())
        self.application.add_handler(CommandHandler("start", self.start))
        self.application.add_handler(MessageHandler(filters.TEXT, self.chatter))

    async def post_init(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.post_init_ran = True

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_user is not None
        self.started_by.append(update.effective_user.id)

    async def chatter(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        async with self._changed:
            self.seen.append(update.effective_message.text or "")
            self._changed.notify_all()

    async def wait_seen(self, count: int) -> None:
        async with asyncio.timeout(5), self._changed:
            await self._changed.wait_for(lambda: len(self.seen) >= count)


@pytest.fixture
async def operator(api: FakeBotApi, presence: PresenceService) -> AsyncIterator[tuple[OperatorBot, Handled]]:
    """The operator's bot with the plugin installed, polling the fake Bot API."""
    bot = OperatorBot(api)
    presence_bot = presence_adapters.telegram.install(bot.application, presence)
    handled = Handled(presence_bot)
    async with bot.application:
        await bot.application.start()
        assert bot.application.updater is not None
        await bot.application.updater.start_polling()
        yield bot, handled
        await bot.application.updater.stop()
        await bot.application.stop()
    await presence_bot.close()


async def test_the_operators_handlers_still_fire_next_to_the_plugin(
        api: FakeBotApi, operator: tuple[OperatorBot, Handled], messages: Messages,
        presence: PresenceService) -> None:
    bot, handled = operator

    for text in ("/start", "hello", "/presence"):
        await api.push(messages.message(ALICE, GROUP, text))
    await handled.reach(3)
    [answer] = await api.wait_sent(1)
    await bot.wait_seen(2)

    assert bot.started_by == [ALICE.id]
    assert bot.seen == ["hello", "/presence"]
    assert len(await presence.get_activity("telegram:42")) == 3
    assert answer.chat_id == GROUP.id


async def test_the_command_menu_is_set_in_post_init_before_the_operators_own(
        api: FakeBotApi, presence: PresenceService) -> None:
    bot = OperatorBot(api)
    presence_adapters.telegram.install(bot.application, presence)

    async with bot.application:
        assert bot.application.post_init is not None
        await bot.application.post_init(bot.application)

    assert bot.post_init_ran
    assert [call.get("language_code") for call in api.called("setMyCommands")] == [None, "zh"]
    [english, _] = api.called("setMyCommands")
    assert english["commands"][0]["description"] == i18n.text("en", "help.presence")


async def test_a_failing_command_menu_is_logged_and_start_up_goes_on(
        api: FakeBotApi, tg_bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    api.failures["setMyCommands"].append((400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID", {}))

    await presence_adapters.telegram.setup_commands(tg_bot)

    assert "command menu not set" in caplog.text
