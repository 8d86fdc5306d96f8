"""Replies reach Telegram as HTML, in chunks, privately when personal, despite Telegram's errors."""

from __future__ import annotations

import logging
import time

import pytest
from fake_bot_api import CANNOT_INITIATE, FakeBotApi
from telegram import Bot

from presence_adapters.telegram.outbox import TelegramOutbox
from presence_bot import i18n
from presence_bot.reply import Reply
from presence_bot.session import Session

ALICE_ID = 42
GROUP_ID = -100_123


def session(*, channel_id: str = f"telegram:{GROUP_ID}", is_direct: bool = False, locale: str | None = "en",
            outbox: TelegramOutbox) -> Session:
    return Session(platform="telegram", self_id="123", self_name="PresenceBot", user_id=f"telegram:{ALICE_ID}",
                   user_name="alice", channel_id=channel_id, guild_id=None, is_direct=is_direct,
                   content="/presence", message_id="7", timestamp=0, locale=locale, kind="command",
                   outbox=outbox)


def plain(*lines: str, private: bool = False) -> Reply:
    return Reply(tuple((("", text),) for text in lines), private=private)


@pytest.fixture
def outbox(tg_bot: Bot) -> TelegramOutbox:
    return TelegramOutbox(tg_bot)


async def test_a_reply_is_sent_as_html_to_the_chat_quoting_the_command(api: FakeBotApi,
                                                                        outbox: TelegramOutbox) -> None:
    await outbox.send(session(outbox=outbox), Reply(((("b", "<b>bold</b> & co"),),)))

    [sent] = api.sent
    assert sent.chat_id == GROUP_ID
    assert sent.parse_mode == "HTML"
    assert sent.text == "<b>&lt;b&gt;bold&lt;/b&gt; &amp; co</b>"
    assert sent.params["reply_parameters"]["message_id"] == 7
    assert sent.message_thread_id is None


async def test_a_reply_in_a_forum_topic_stays_in_the_topic(api: FakeBotApi, outbox: TelegramOutbox) -> None:
    await outbox.send(session(channel_id=f"telegram:{GROUP_ID}/9", outbox=outbox), plain("hi"))

    [sent] = api.sent
    assert (sent.chat_id, sent.message_thread_id) == (GROUP_ID, 9)


async def test_a_long_reply_is_split_under_telegrams_message_limit(api: FakeBotApi,
                                                                   outbox: TelegramOutbox) -> None:
    lines = [f"person {n:04d} " + "x" * 80 for n in range(200)]

    await outbox.send(session(outbox=outbox), plain(*lines))

    assert len(api.sent) > 1
    assert all(len(sent.text) <= 4096 for sent in api.sent)
    assert "\n".join(sent.text for sent in api.sent).split("\n") == lines
    # Only the first part quotes the command.
    assert ["reply_parameters" in sent.params for sent in api.sent] == [True] + [False] * (len(api.sent) - 1)


async def test_an_emoji_heavy_reply_stays_under_the_limit_telegram_counts_in_utf16(
        api: FakeBotApi, outbox: TelegramOutbox) -> None:
    lines = ["🟢" * 100 for _ in range(60)]

    await outbox.send(session(outbox=outbox), plain(*lines))

    assert all(len(sent.text.encode("utf-16-le")) // 2 <= 4096 for sent in api.sent)
    assert "\n".join(sent.text for sent in api.sent).split("\n") == lines


async def test_a_private_answer_asked_in_a_group_goes_to_the_private_chat(api: FakeBotApi,
                                                                          outbox: TelegramOutbox) -> None:
    await outbox.send(session(channel_id=f"telegram:{GROUP_ID}/9", locale="zh-CN", outbox=outbox),
                      plain("your activity", private=True))

    private, note = api.sent
    assert (private.chat_id, private.text, private.message_thread_id) == (ALICE_ID, "your activity", None)
    assert (note.chat_id, note.message_thread_id) == (GROUP_ID, 9)
    assert note.text == i18n.reply("zh-CN", "private.sent").render("telegram_html")


async def test_when_the_person_never_started_the_bot_the_group_gets_a_hint_and_no_detail(
        api: FakeBotApi, outbox: TelegramOutbox) -> None:
    api.refused_chats[ALICE_ID] = CANNOT_INITIATE

    await outbox.send(session(outbox=outbox), plain("secret activity", private=True))

    [note] = api.sent
    assert note.chat_id == GROUP_ID
    assert note.text == i18n.reply("en", "private.hint").render("telegram_html")
    assert "secret" not in note.text


async def test_a_private_answer_in_a_private_chat_is_just_sent(api: FakeBotApi, outbox: TelegramOutbox) -> None:
    await outbox.send(session(channel_id=f"telegram:{ALICE_ID}", is_direct=True, outbox=outbox),
                      plain("your devices", private=True))

    [sent] = api.sent
    assert (sent.chat_id, sent.text) == (ALICE_ID, "your devices")
    assert "reply_parameters" not in sent.params


# python-telegram-bot warns about the int form of retry_after when it builds the error itself.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_control_waits_retry_after_and_sends_once(api: FakeBotApi, outbox: TelegramOutbox) -> None:
    api.flood("sendMessage", retry_after=1)
    started = time.monotonic()

    await outbox.send(session(outbox=outbox), plain("hello"))

    assert time.monotonic() - started >= 1.0
    assert [sent.text for sent in api.sent] == ["hello"]
    assert len(api.called("sendMessage")) == 2


async def test_network_errors_are_retried(api: FakeBotApi, outbox: TelegramOutbox) -> None:
    api.failures["sendMessage"].append((502, "Bad Gateway", {}))

    await outbox.send(session(outbox=outbox), plain("hello"))

    assert [sent.text for sent in api.sent] == ["hello"]


async def test_a_blocked_bot_is_logged_once_and_nothing_is_raised(api: FakeBotApi, outbox: TelegramOutbox,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    api.refused_chats[ALICE_ID] = (403, "Forbidden: bot was blocked by the user")
    caplog.set_level(logging.INFO, logger="presence_adapters.telegram")

    await outbox.send(session(channel_id=f"telegram:{ALICE_ID}", is_direct=True, outbox=outbox), plain("hi"))

    assert api.sent == []
    assert len(api.called("sendMessage")) == 1
    [record] = [r for r in caplog.records if r.name.startswith("presence_adapters.telegram")]
    assert "blocked" in record.getMessage()
    assert record.exc_info is None


async def test_a_chat_that_does_not_exist_is_logged_once_and_nothing_is_raised(
        api: FakeBotApi, outbox: TelegramOutbox, caplog: pytest.LogCaptureFixture) -> None:
    api.refused_chats[GROUP_ID] = (400, "Bad Request: chat not found")
    caplog.set_level(logging.INFO, logger="presence_adapters.telegram")

    await outbox.send(session(outbox=outbox), plain("hi"))

    assert len(api.called("sendMessage")) == 1
    assert len([r for r in caplog.records if r.name.startswith("presence_adapters.telegram")]) == 1


async def test_a_group_upgraded_to_a_supergroup_gets_the_reply_at_its_new_id(
        api: FakeBotApi, outbox: TelegramOutbox) -> None:
    api.failures["sendMessage"].append((400, "Bad Request: group chat was upgraded to a supergroup chat",
                                        {"migrate_to_chat_id": -100_999}))

    await outbox.send(session(channel_id="telegram:-4321", outbox=outbox), plain("hi"))

    [sent] = api.sent
    assert sent.chat_id == -100_999
