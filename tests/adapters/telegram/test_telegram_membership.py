"""People who leave a Telegram chat, a group that migrates, the bot removed (SPEC section 10), end to end."""

from __future__ import annotations

from harness import Telegram
from telegram_updates import BASIC_GROUP, FORUM, GROUP, THE_BOT, Chat, Messages, Person, chat_member

from presence_core.service import PresenceService

ALICE = Person(42, "Alice", "alice")
BOB = Person(43, "Bob", "bob")
CAROL = Person(44, "Carol", "carol")


async def who(telegram: Telegram, messages: Messages, chat: Chat = GROUP, thread_id: int | None = None) -> str:
    [answer] = await telegram.ask(messages.message(ALICE, chat, "/presence who", thread_id=thread_id))
    return answer.text


async def test_someone_who_leaves_or_is_removed_is_no_longer_listed(telegram: Telegram, messages: Messages,
                                                                    presence: PresenceService) -> None:
    await telegram.deliver(messages.message(BOB, GROUP, "gm"), messages.message(CAROL, GROUP, "gm"))

    await telegram.deliver(messages.service(BOB, GROUP, left_chat_member=BOB.json()),
                           messages.service(ALICE, GROUP, left_chat_member=CAROL.json()))

    listed = await who(telegram, messages)
    assert "alice" in listed and "bob" not in listed and "carol" not in listed
    assert [e.type for e in await presence.get_activity("telegram:43")] == ["message"]
    assert [e.type for e in await presence.get_activity("telegram:42")] == ["command"]
    assert not await presence.is_member("telegram:43", "telegram:-100123")


async def test_a_kicked_member_is_no_longer_listed(telegram: Telegram, messages: Messages,
                                                  presence: PresenceService) -> None:
    await telegram.deliver(messages.message(BOB, GROUP, "gm"))

    await telegram.deliver(messages.member_update(GROUP, ALICE, chat_member(BOB, "member"), chat_member(BOB, "kicked")))

    assert "bob" not in await who(telegram, messages)
    assert not await presence.is_member("telegram:43", "telegram:-100123")


async def test_leaving_and_restriction_out_of_the_chat_end_membership_but_a_muted_member_stays(
        telegram: Telegram, messages: Messages, presence: PresenceService) -> None:
    dan, erin = Person(45, "Dan", "dan"), Person(46, "Erin", "erin")
    await telegram.deliver(*(messages.message(p, GROUP, "gm") for p in (BOB, CAROL, dan, erin)))

    await telegram.deliver(
        messages.member_update(GROUP, BOB, chat_member(BOB, "member"), chat_member(BOB, "left")),
        messages.member_update(GROUP, ALICE, chat_member(CAROL, "member"),
                               chat_member(CAROL, "restricted", is_member=False)))
    await telegram.deliver_ignored(
        messages.member_update(GROUP, ALICE, chat_member(dan, "member"), chat_member(dan, "restricted", is_member=True)),
        messages.member_update(GROUP, ALICE, chat_member(erin, "member"), chat_member(erin, "administrator")))

    listed = await who(telegram, messages)
    assert "bob" not in listed and "carol" not in listed
    assert "dan" in listed and "erin" in listed


async def test_someone_who_leaves_a_forum_leaves_every_topic(telegram: Telegram, messages: Messages,
                                                            presence: PresenceService) -> None:
    await telegram.deliver(messages.message(BOB, FORUM, "in topic 7", thread_id=7),
                           messages.message(BOB, FORUM, "in topic 8", thread_id=8),
                           messages.message(BOB, GROUP, "elsewhere"))

    await telegram.deliver(messages.service(BOB, FORUM, left_chat_member=BOB.json()))

    assert "bob" not in await who(telegram, messages, FORUM, 7)
    assert "bob" not in await who(telegram, messages, FORUM, 8)
    assert [m.channel_id for m in await presence.memberships("telegram:43")] == ["telegram:-100123"]


async def test_a_group_that_becomes_a_supergroup_keeps_its_people(telegram: Telegram, messages: Messages,
                                                                 presence: PresenceService) -> None:
    supergroup = Chat(-100_4321, "supergroup", "Old group")
    await telegram.deliver(messages.message(BOB, BASIC_GROUP, "gm"))

    # Telegram sends both: one in the old group, one in the new supergroup.
    await telegram.deliver(messages.service(ALICE, BASIC_GROUP, migrate_to_chat_id=supergroup.id),
                           messages.service(ALICE, supergroup, migrate_from_chat_id=BASIC_GROUP.id))

    assert "bob" in await who(telegram, messages, supergroup)
    assert await presence.is_member("telegram:43", "telegram:-1004321")
    assert not await presence.is_member("telegram:43", "telegram:-4321")


async def test_the_bot_removed_from_a_chat_forgets_who_was_there(telegram: Telegram, messages: Messages,
                                                                presence: PresenceService) -> None:
    await telegram.deliver(messages.message(BOB, FORUM, "gm", thread_id=7), messages.message(CAROL, FORUM, "gm"),
                           messages.message(BOB, GROUP, "gm"))

    await telegram.deliver(messages.member_update(FORUM, ALICE, chat_member(THE_BOT, "member"),
                                                  chat_member(THE_BOT, "kicked"), mine=True))

    assert await presence.get_online_users("telegram:-100777") == []
    assert await presence.get_online_users("telegram:-100777/7") == []
    assert [m.channel_id for m in await presence.memberships("telegram:43")] == ["telegram:-100123"]
    assert await presence.memberships("telegram:44") == []


async def test_the_bot_leaving_as_a_service_message_forgets_the_chat_too(telegram: Telegram, messages: Messages,
                                                                        presence: PresenceService) -> None:
    await telegram.deliver(messages.message(BOB, GROUP, "gm"))

    await telegram.deliver(messages.service(ALICE, GROUP, left_chat_member=THE_BOT.json()))

    assert await presence.get_online_users("telegram:-100123") == []


async def test_service_messages_are_no_ones_activity(telegram: Telegram, messages: Messages,
                                                    presence: PresenceService) -> None:
    await telegram.deliver_ignored(
        messages.service(BOB, GROUP, new_chat_members=[BOB.json()]),
        messages.service(BOB, GROUP, new_chat_title="Traders 2"),
        messages.service(BOB, GROUP, pinned_message={"message_id": 1, "date": 0, "chat": GROUP.json()}),
        messages.service(BOB, GROUP, video_chat_started={}),
        messages.service(BOB, FORUM, forum_topic_created={"name": "Signals", "icon_color": 7322096},
                         message_thread_id=9, is_topic_message=True))

    assert await presence.get_activity("telegram:43") == []
    assert await presence.get_online_users("telegram:-100123") == []
