"""Who acted, and under which name (SPEC section 10), end to end through python-telegram-bot."""

from __future__ import annotations

from harness import Telegram
from telegram_updates import CHANNEL, GROUP, Messages, Person

from presence_bot import i18n
from presence_core.service import PresenceService

ALICE = Person(42, "Alice", "alice")
BOB = Person(43, "Bob", "bob")
ANA = Person(88, "Ana", None, last_name="Lima")
ANONYMOUS_ADMIN = "telegram:1087968824"


def html(key: str, **values: object) -> str:
    return i18n.reply("en", key, **values).render("telegram_html")


async def nobody_recorded(presence: PresenceService, *user_ids: str) -> bool:
    statuses = await presence.get_statuses(user_ids)
    return all(status.device_count == 0 for status in statuses.values())


async def test_an_anonymous_admin_asking_who_gets_the_groups_who(telegram: Telegram, messages: Messages,
                                                                 presence: PresenceService) -> None:
    await telegram.deliver(messages.message(BOB, GROUP, "gm"))

    [answer] = await telegram.ask(messages.on_behalf(GROUP, GROUP, "/presence who"))

    assert answer.chat_id == GROUP.id
    assert answer.text.startswith(html("who.header", count=1)) and "bob" in answer.text
    assert await nobody_recorded(presence, ANONYMOUS_ADMIN, "telegram:-100123")


async def test_an_anonymous_admin_asking_about_themself_is_told_they_have_no_presence(
        telegram: Telegram, messages: Messages, presence: PresenceService) -> None:
    for text in ("/presence", "/presence dnd 2h", "/presence activity", "/presence forget"):
        [answer] = await telegram.ask(messages.on_behalf(GROUP, GROUP, text))

        assert (answer.chat_id, answer.text) == (GROUP.id, html("anonymous.personal"))
    assert await nobody_recorded(presence, ANONYMOUS_ADMIN, "telegram:-100123")


async def test_an_anonymous_admin_may_ask_about_someone_by_replying(telegram: Telegram, messages: Messages) -> None:
    bob_said = messages.message(BOB, GROUP, "selling")
    await telegram.deliver(bob_said)

    asked = messages.on_behalf(GROUP, GROUP, "/presence")
    asked["message"]["reply_to_message"] = bob_said["message"]

    [answer] = await telegram.ask(asked)

    assert answer.text.startswith(html("user.status", icon="🟢", name="bob", status="online"))


async def test_posts_as_a_channel_and_automatic_forwards_are_nobodys_activity(
        telegram: Telegram, messages: Messages, presence: PresenceService) -> None:
    await telegram.deliver(messages.on_behalf(CHANNEL, GROUP, "gm from the channel"))
    await telegram.deliver_ignored(messages.on_behalf(CHANNEL, GROUP, "/presence who", automatic_forward=True))

    assert await nobody_recorded(presence, "telegram:-100555", "telegram:136817688", "telegram:777000")
    assert await presence.get_online_users("telegram:-100123") == []
    assert telegram.api.sent == []


async def test_a_text_mention_of_several_words_asks_about_that_person(telegram: Telegram, messages: Messages) -> None:
    await telegram.deliver(messages.message(ANA, GROUP, "olá"))
    mention = {"type": "text_mention", "offset": 10, "length": 8, "user": ANA.json()}

    [answer] = await telegram.ask(messages.message(ALICE, GROUP, "/presence Ana Lima", entities=[mention]))

    assert answer.text.startswith(html("user.status", icon="🟢", name="Ana Lima", status="online"))


async def test_someone_never_seen_is_named_as_telegram_names_them(telegram: Telegram, messages: Messages) -> None:
    mention = {"type": "text_mention", "offset": 10, "length": 8, "user": ANA.json()}
    [by_mention] = await telegram.ask(messages.message(ALICE, GROUP, "/presence Ana Lima", entities=[mention]))
    ana_said = messages.message(ANA, GROUP, "olá")["message"]
    [by_reply] = await telegram.ask(messages.message(ALICE, GROUP, "/presence", reply_to=ana_said))

    for answer in (by_mention, by_reply):
        assert "Ana Lima" in answer.text
        assert "telegram:" not in answer.text and "88" not in answer.text


async def test_a_reply_to_a_channel_post_asks_about_nobody(telegram: Telegram, messages: Messages) -> None:
    post = messages.on_behalf(CHANNEL, GROUP, "news", automatic_forward=True)["message"]

    [answer] = await telegram.ask(messages.message(ALICE, GROUP, "/presence", reply_to=post))

    assert answer.text.startswith(html("me.status", icon="🟢", status="online"))
