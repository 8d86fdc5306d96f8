"""Telegram updates become Sessions with the composite ids the rest of the bot relies on."""

from __future__ import annotations

from typing import Any

import pytest
from fake_bot_api import BOT_ID, BOT_USERNAME
from telegram import Bot, Update
from telegram_updates import CHANNEL, FORUM, GROUP, Messages, Person, private

from presence_adapters.telegram.sessions import parse_channel_key, session_from_update
from presence_bot.reply import Reply
from presence_bot.session import Session
from tests.support.clock import START_MS

ALICE = Person(42, "Alice", "alice", "en")
BOB = Person(43, "Bob", None, "zh-hans", last_name="Li")


class NoOutbox:
    async def send(self, session: Session, reply: Reply) -> None:
        raise AssertionError("nothing is sent while building a session")


def session_of(bot: Bot, update: dict[str, Any]) -> Session | None:
    return session_from_update(Update.de_json({"update_id": 1, **update}, bot), bot, NoOutbox())


def test_a_private_command_is_a_direct_command_session(tg_bot: Bot, messages: Messages) -> None:
    session = session_of(tg_bot, messages.message(ALICE, private(ALICE), "/presence who"))

    assert session is not None
    assert (session.platform, session.self_id, session.self_name) == ("telegram", str(BOT_ID), BOT_USERNAME)
    assert session.user_id == "telegram:42"
    assert session.user_name == "alice"
    assert session.channel_id == "telegram:42"
    assert session.guild_id is None
    assert session.is_direct
    assert session.kind == "command"
    assert session.content == "/presence who"
    assert session.locale == "en"
    assert session.timestamp == START_MS // 1000 * 1000


def test_a_group_message_names_the_group_and_uses_the_full_name_without_a_username(
        tg_bot: Bot, messages: Messages) -> None:
    session = session_of(tg_bot, messages.message(BOB, GROUP, "gm"))

    assert session is not None
    assert session.user_id == "telegram:43"
    assert session.user_name == "Bob Li"
    assert session.channel_id == "telegram:-100123"
    assert session.guild_id == "telegram:-100123"
    assert not session.is_direct
    assert session.kind == "message"
    assert session.locale == "zh-hans"


def test_a_forum_topic_is_its_own_channel_and_not_a_reply_to_the_topic_creator(
        tg_bot: Bot, messages: Messages) -> None:
    session = session_of(tg_bot, messages.message(ALICE, FORUM, "/presence", thread_id=7))

    assert session is not None
    assert session.channel_id == "telegram:-100777/7"
    assert parse_channel_key(session.channel_id) == (-100_777, 7)
    assert session.guild_id == "telegram:-100777"
    assert session.reply_to_user_id is None


def test_a_reply_names_the_person_replied_to(tg_bot: Bot, messages: Messages) -> None:
    bob_said = messages.message(BOB, GROUP, "selling")["message"]

    session = session_of(tg_bot, messages.message(ALICE, GROUP, "/presence", reply_to=bob_said))

    assert session is not None
    assert session.reply_to_user_id == "telegram:43"


def test_text_mentions_map_what_was_typed_to_the_user(tg_bot: Bot, messages: Messages) -> None:
    text = "/presence Bob"
    mention = {"type": "text_mention", "offset": 10, "length": 3, "user": BOB.json()}

    session = session_of(tg_bot, messages.message(ALICE, GROUP, text, entities=[mention]))

    assert session is not None
    assert dict(session.mentions) == {"Bob": "telegram:43"}


def test_an_edited_message_counts_at_its_edit_time(tg_bot: Bot, messages: Messages) -> None:
    original = messages.message(ALICE, GROUP, "hello")

    session = session_of(tg_bot, messages.edited(original, "hello!", seconds_later=90))

    assert session is not None
    assert session.content == "hello!"
    assert session.timestamp == (START_MS // 1000 + 90) * 1000


def test_a_photo_caption_is_the_content(tg_bot: Bot, messages: Messages) -> None:
    update = messages.message(ALICE, GROUP, "")
    del update["message"]["text"]
    update["message"]["caption"] = "chart"
    update["message"]["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]

    session = session_of(tg_bot, update)

    assert session is not None
    assert session.content == "chart"


def test_an_anonymous_admin_is_the_group_acting_not_a_person(tg_bot: Bot, messages: Messages) -> None:
    session = session_of(tg_bot, messages.on_behalf(GROUP, GROUP, "/presence who"))

    assert session is not None
    assert session.anonymous
    assert (session.user_id, session.user_name, session.locale) == ("telegram:-100123", "Traders", None)
    assert session.kind == "command"


def test_a_post_made_as_a_channel_in_a_group_is_that_channel_acting(tg_bot: Bot, messages: Messages) -> None:
    session = session_of(tg_bot, messages.on_behalf(CHANNEL, GROUP, "gm from the channel"))

    assert session is not None
    assert session.anonymous
    assert (session.user_id, session.channel_id) == ("telegram:-100555", "telegram:-100123")


def test_automatic_forwards_from_a_linked_channel_are_nothing(tg_bot: Bot, messages: Messages) -> None:
    assert session_of(tg_bot, messages.on_behalf(CHANNEL, GROUP, "/presence who", automatic_forward=True)) is None


def test_messages_of_other_bots_are_nothing(tg_bot: Bot, messages: Messages) -> None:
    other_bot = Person(555, "Other", "other_bot", is_bot=True)

    assert session_of(tg_bot, messages.message(other_bot, GROUP, "/presence who")) is None


@pytest.mark.parametrize("fields", [
    {"new_chat_members": [BOB.json()]},
    {"left_chat_member": BOB.json()},
    {"new_chat_title": "Traders 2"},
    {"pinned_message": {"message_id": 1, "date": 0, "chat": GROUP.json()}},
    {"delete_chat_photo": True},
    {"video_chat_started": {}},
    {"video_chat_ended": {"duration": 60}},
    {"group_chat_created": True},
    {"forum_topic_created": {"name": "Signals", "icon_color": 7322096}},
    {"forum_topic_closed": {}},
    {"migrate_to_chat_id": -100_999},
    {"migrate_from_chat_id": -4_321},
    {"write_access_allowed": {}},
], ids=lambda fields: next(iter(fields)))
def test_service_messages_are_nobodys_message(tg_bot: Bot, messages: Messages, fields: dict[str, Any]) -> None:
    assert session_of(tg_bot, messages.service(ALICE, GROUP, **fields)) is None


def test_a_reply_to_a_channel_post_is_a_reply_to_nobody(tg_bot: Bot, messages: Messages) -> None:
    for post in (messages.on_behalf(CHANNEL, GROUP, "news", automatic_forward=True),
                 messages.on_behalf(CHANNEL, GROUP, "news"), messages.on_behalf(GROUP, GROUP, "rules")):
        session = session_of(tg_bot, messages.message(ALICE, GROUP, "/presence", reply_to=post["message"]))

        assert session is not None
        assert session.reply_to_user_id is None


def test_a_reply_names_someone_the_bot_never_saw(tg_bot: Bot, messages: Messages) -> None:
    dan = Person(77, "Dan", None, last_name="Brown")
    dan_said = messages.message(dan, GROUP, "hello")["message"]

    session = session_of(tg_bot, messages.message(ALICE, GROUP, "/presence", reply_to=dan_said))

    assert session is not None
    assert session.reply_to_user_id == "telegram:77"
    assert dict(session.names) == {"telegram:77": "Dan Brown"}


def test_a_text_mention_of_several_words_is_one_mention_with_its_name(tg_bot: Bot, messages: Messages) -> None:
    ana = Person(88, "Ana", None, last_name="Lima")
    mention = {"type": "text_mention", "offset": 10, "length": 8, "user": ana.json()}

    session = session_of(tg_bot, messages.message(ALICE, GROUP, "/presence Ana Lima", entities=[mention]))

    assert session is not None
    assert dict(session.mentions) == {"Ana Lima": "telegram:88"}
    assert dict(session.names) == {"telegram:88": "Ana Lima"}


def test_a_reaction_is_the_reacting_persons_activity_in_the_chat(tg_bot: Bot, messages: Messages) -> None:
    session = session_of(tg_bot, messages.reaction(BOB, GROUP, 5))

    assert session is not None
    assert (session.user_id, session.user_name, session.channel_id) == ("telegram:43", "Bob Li", "telegram:-100123")
    assert (session.kind, session.content) == ("reaction", "")


def test_an_anonymous_reaction_is_nobodys(tg_bot: Bot, messages: Messages) -> None:
    assert session_of(tg_bot, messages.reaction(None, GROUP, 5, actor_chat=GROUP)) is None


def test_channel_posts_are_ignored(tg_bot: Bot, messages: Messages) -> None:
    post = messages.message(ALICE, GROUP, "news")["message"]
    del post["from"]

    assert session_of(tg_bot, {"channel_post": post}) is None
