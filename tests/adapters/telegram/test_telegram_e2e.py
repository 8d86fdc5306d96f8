"""presence-bot's Telegram side end to end: real python-telegram-bot, long polling, fake Bot API."""

from __future__ import annotations

import pytest
from fake_bot_api import BOT_USERNAME, CANNOT_INITIATE
from harness import Telegram
from telegram_updates import FORUM, GROUP, Messages, Person, private

from presence_bot import i18n
from presence_bot.options import BotOptions
from presence_core.service import PresenceService

ALICE = Person(42, "Alice", "alice", "en")
BOB = Person(43, "Bob", "bob", "en")
LI = Person(44, "磊", "lei", "zh-hans")


def html(locale: str, key: str, **values: object) -> str:
    """A locale line as the bot sends it to Telegram."""
    return i18n.reply(locale, key, **values).render("telegram_html")


async def test_start_up_sets_the_command_menu_in_english_and_chinese(telegram: Telegram) -> None:
    menus = {call.get("language_code"): call["commands"] for call in telegram.api.called("setMyCommands")}

    assert menus == {
        None: [{"command": "presence", "description": i18n.text("en", "help.presence")}],
        "zh": [{"command": "presence", "description": i18n.text("zh-CN", "help.presence")}],
    }


async def test_presence_in_a_private_chat_answers_there_in_html(telegram: Telegram, messages: Messages) -> None:
    [answer] = await telegram.ask(messages.message(ALICE, private(ALICE), "/presence"))

    assert answer.chat_id == ALICE.id
    assert answer.parse_mode == "HTML"
    assert answer.text.startswith(html("en", "me.status", icon="🟢", status=i18n.text("en", "status.online")))


async def test_a_plain_group_message_is_activity_that_shows_in_who(telegram: Telegram, messages: Messages,
                                                                  presence: PresenceService) -> None:
    await telegram.deliver(messages.message(BOB, GROUP, "anyone trading today?"))

    assert (await presence.get_status("telegram:43")).status == "online"
    [answer] = await telegram.ask(messages.message(ALICE, GROUP, "/presence who"))
    assert answer.chat_id == GROUP.id
    assert "<b>bob</b>" in answer.text and "<b>alice</b>" in answer.text


async def test_a_forum_topic_is_answered_in_the_topic_and_lists_only_its_people(
        telegram: Telegram, messages: Messages) -> None:
    await telegram.deliver(messages.message(BOB, FORUM, "in another topic", thread_id=8))

    [answer] = await telegram.ask(messages.message(ALICE, FORUM, "/presence who", thread_id=7))

    assert (answer.chat_id, answer.message_thread_id) == (FORUM.id, 7)
    assert "<b>alice</b>" in answer.text
    assert "bob" not in answer.text


async def test_a_big_who_arrives_in_several_messages_under_telegrams_limit(
        telegram: Telegram, messages: Messages, presence: PresenceService) -> None:
    crowd = [Person(1000 + n, f"Trader{n}", f"trader{n}") for n in range(60)]
    await telegram.deliver(*(messages.message(person, GROUP, "gm") for person in crowd))
    for person in crowd:
        await presence.set_custom_status(f"telegram:{person.id}", "watching BTC & ETH <closely> " * 4)

    # 61 people seen here, Alice included: 50 listed, then a line for the other 11.
    last_line = html("en", "who.more", count=11)
    before = len(telegram.api.sent)
    await telegram.deliver(messages.message(ALICE, GROUP, "/presence who"))
    await telegram.api.wait_for(lambda api: bool(api.sent) and api.sent[-1].text.endswith(last_line))
    parts = telegram.api.sent[before:]

    assert len(parts) > 1
    assert all(part.chat_id == GROUP.id and len(part.text) <= 4096 for part in parts)
    assert parts[0].text.startswith(html("en", "who.header", count=50))
    assert sum(part.text.count("&amp; ETH &lt;closely&gt;") for part in parts) == 50 * 4


async def test_presence_addressed_to_another_bot_is_recorded_but_not_answered(
        telegram: Telegram, messages: Messages, presence: PresenceService) -> None:
    await telegram.deliver(messages.message(ALICE, GROUP, "/presence@OtherBot who"))

    assert telegram.api.sent == []
    assert len(await presence.get_activity("telegram:42")) == 1
    [answer] = await telegram.ask(messages.message(ALICE, GROUP, f"/presence@{BOT_USERNAME} who"))
    assert answer.text.startswith(html("en", "who.header", count=1))


async def test_a_chinese_user_gets_chinese_replies(telegram: Telegram, messages: Messages) -> None:
    [answer] = await telegram.ask(messages.message(LI, private(LI), "/presence"))

    assert answer.text.startswith(html("zh-CN", "me.status", icon="🟢",
                                       status=i18n.text("zh-CN", "status.online")))


async def test_html_in_a_custom_status_arrives_escaped(telegram: Telegram, messages: Messages) -> None:
    await telegram.ask(messages.message(ALICE, GROUP, '/presence status "<b>rich</b> & <a href=x>me</a>"'))

    [answer] = await telegram.ask(messages.message(BOB, GROUP, "/presence who"))

    assert "&lt;b&gt;rich&lt;/b&gt; &amp; &lt;a href=x&gt;me&lt;/a&gt;" in answer.text
    assert "<a href" not in answer.text


async def test_activity_asked_in_a_group_is_answered_privately(telegram: Telegram, messages: Messages) -> None:
    private_answer, note = await telegram.ask(messages.message(ALICE, GROUP, "/presence activity"), replies=2)

    assert private_answer.chat_id == ALICE.id
    assert private_answer.text.startswith(html("en", "activity.header", count=1))
    assert (note.chat_id, note.text) == (GROUP.id, html("en", "private.sent"))


async def test_activity_asked_by_someone_who_never_started_the_bot_gets_a_hint_in_the_group(
        telegram: Telegram, messages: Messages) -> None:
    telegram.api.refused_chats[BOB.id] = CANNOT_INITIATE

    [note] = await telegram.ask(messages.message(BOB, GROUP, "/presence activity"))

    assert (note.chat_id, note.text) == (GROUP.id, html("en", "private.hint"))


async def test_flood_control_delays_the_reply_but_delivers_it(telegram: Telegram, messages: Messages,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # retry_after as a timedelta, python-telegram-bot's coming default (the outbox tests use int).
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    telegram.api.flood("sendMessage", retry_after=1)

    [answer] = await telegram.ask(messages.message(ALICE, private(ALICE), "/presence"))

    assert answer.chat_id == ALICE.id
    assert len(telegram.api.called("sendMessage")) == 2


async def test_activity_is_kept_when_the_reply_cannot_be_sent(telegram: Telegram, messages: Messages,
                                                             presence: PresenceService) -> None:
    telegram.api.refused_chats[GROUP.id] = (403, "Forbidden: bot was kicked from the supergroup chat")

    await telegram.deliver(messages.message(ALICE, GROUP, "/presence who"))

    assert (await presence.get_status("telegram:42")).status == "online"
    # The bot is still running: the next message is answered.
    [answer] = await telegram.ask(messages.message(ALICE, private(ALICE), "/presence"))
    assert answer.chat_id == ALICE.id


async def test_a_failed_poll_is_retried(telegram: Telegram, messages: Messages) -> None:
    telegram.api.failures["getUpdates"].append((502, "Bad Gateway", {}))

    [answer] = await telegram.ask(messages.message(ALICE, private(ALICE), "/presence"))

    assert answer.chat_id == ALICE.id


async def test_an_edited_message_counts_as_activity(telegram: Telegram, messages: Messages,
                                                   presence: PresenceService) -> None:
    original = messages.message(BOB, GROUP, "hello")

    await telegram.deliver(original, messages.edited(original, "hello all", seconds_later=60))

    assert len(await presence.get_activity("telegram:43")) == 2


async def test_forget_asks_for_confirmation_and_takes_the_next_message_as_the_answer(
        telegram: Telegram, messages: Messages, presence: PresenceService) -> None:
    [question] = await telegram.ask(messages.message(ALICE, private(ALICE), "/presence forget"))
    assert question.text.splitlines() == [html("en", "forget.confirm"), html("en", "forget.next_fresh"),
                                          html("en", "forget.ask", count=int(BotOptions().prompt_timeout_s))]

    [done] = await telegram.ask(messages.message(ALICE, private(ALICE), "yes"))

    assert done.chat_id == ALICE.id
    assert done.text.splitlines() == [html("en", "forget.done"), html("en", "forget.done_fresh")]
    assert (await presence.get_status("telegram:42")).last_seen is None


async def test_forget_in_a_group_asks_for_a_private_chat_and_erases_nothing(
        telegram: Telegram, messages: Messages, presence: PresenceService) -> None:
    """The question would go by direct message while the answer is awaited in the group: the whole
    conversation belongs in the private chat."""
    [answer] = await telegram.ask(messages.message(ALICE, GROUP, "/presence forget"))
    assert (answer.chat_id, answer.text) == (GROUP.id, html("en", "private.ask_in_private"))

    await telegram.deliver(messages.message(ALICE, GROUP, "yes"))

    assert len(telegram.api.sent) == 1
    assert (await presence.get_status("telegram:42")).last_seen is not None


async def test_the_activity_log_names_telegram_chats_by_their_titles(telegram: Telegram, messages: Messages) -> None:
    await telegram.deliver(messages.message(ALICE, GROUP, "gm"),
                           messages.message(ALICE, FORUM, "signal up", thread_id=7),
                           messages.message(ALICE, FORUM, "a reply in the topic", thread_id=7,
                                            reply_to=messages.message(BOB, FORUM, "hm", thread_id=7)["message"]))
    [answer] = await telegram.ask(messages.message(ALICE, private(ALICE), "/presence activity"))

    lines = answer.text.splitlines()
    assert lines[1:] == ["just now · command here", "just now · message in <b>Forum › Signals</b>",
                         "just now · message in <b>Forum › Signals</b>", "just now · message in <b>Traders</b>"]
    assert "telegram:" not in answer.text
