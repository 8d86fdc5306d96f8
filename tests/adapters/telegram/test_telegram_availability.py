"""Availability and watches on Telegram end to end: real python-telegram-bot against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fake_bot_api import FakeBotApi
from harness import Telegram, polling_settings, running
from telegram_updates import GROUP, Messages, Person

from presence_bot import i18n
from presence_bot.app import PresenceBot
from presence_core.service import PresenceService

ALICE = Person(42, "Alice", "alice", "en")
BOB = Person(43, "Bob", "bob", "en")
LI = Person(44, "磊", "lei", "zh-hans")


@pytest.fixture
async def telegram(api: FakeBotApi, presence: PresenceService) -> AsyncIterator[Telegram]:
    presence_bot = PresenceBot(presence)
    async with running(api, polling_settings(api), presence_bot) as telegram:
        yield telegram
    await presence_bot.close()


async def test_a_desk_set_up_in_a_group_in_chinese_and_english(telegram: Telegram, messages: Messages) -> None:
    [zh] = await telegram.ask(messages.message(LI, GROUP, "/presence hours 周一至周五 9:00-18:00 Asia/Shanghai"))
    assert "周一–周五 09:00–18:00（Asia/Shanghai）" in zh.text
    [en] = await telegram.ask(messages.message(BOB, GROUP, "/presence capacity 2"))
    assert en.text.startswith(i18n.reply("en", "desk.capacity_set", capacity=2).render("telegram_html"))
    [who] = await telegram.ask(messages.message(ALICE, GROUP, "/presence who"))
    assert "<b>bob</b> · online · 0/2" in who.text


async def test_pick_names_and_pings_only_the_chosen_person(telegram: Telegram, messages: Messages) -> None:
    await telegram.deliver(messages.message(BOB, GROUP, "/presence capacity 3"))
    [answer] = await telegram.ask(messages.message(ALICE, GROUP, "/presence pick"))
    assert answer.chat_id == GROUP.id
    assert answer.text == '<a href="tg://user?id=43">👋</a> ' + i18n.reply(
        "en", "desk.picked", name="bob", load="1/3").render("telegram_html")


async def test_a_watch_arrives_as_a_direct_message_silently_while_dnd(telegram: Telegram, messages: Messages,
                                                                    presence: PresenceService) -> None:
    await telegram.deliver(messages.message(BOB, GROUP, "/presence capacity 1"),
                           messages.message(BOB, GROUP, "/presence take"))
    await telegram.deliver(messages.message(ALICE, GROUP, "/presence dnd"))
    before = len(telegram.api.sent)
    await telegram.deliver(messages.message(ALICE, GROUP, "/presence notify @bob for 2h"))
    sent = await telegram.api.wait_sent(before + 2)
    assert [s.chat_id for s in sent[before:]] == [ALICE.id, GROUP.id]  # answered privately, noted in the group
    before = len(telegram.api.sent)
    await telegram.deliver(messages.message(BOB, GROUP, "/presence done"))
    await telegram.api.wait_for(lambda api: any(s.chat_id == ALICE.id for s in api.sent[before:]))
    [fired] = [s for s in telegram.api.sent[before:] if s.chat_id == ALICE.id]
    assert fired.text == i18n.reply("en", "watch.fired_available", name="bob").render("telegram_html")
    assert fired.params.get("disable_notification") == "true"  # as Telegram receives the form field
    assert await presence.get_watches("telegram:42") == []
