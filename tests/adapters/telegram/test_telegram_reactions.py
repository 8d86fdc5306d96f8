"""Reactions are activity, and presence-bot asks Telegram for every update type it reads (SPEC sections 9, 10)."""

from __future__ import annotations

from harness import Telegram
from telegram_updates import FORUM, GROUP, Messages, Person

from presence_bot import i18n
from presence_core.service import PresenceService
from tests.support.clock import FakeClock

ALICE = Person(42, "Alice", "alice")
BOB = Person(43, "Bob", "bob")


async def test_a_reaction_brings_someone_away_back_online_in_that_chat(
        telegram: Telegram, messages: Messages, presence: PresenceService, clock: FakeClock) -> None:
    alice_said = messages.message(ALICE, GROUP, "BTC at 100k")
    await telegram.deliver(messages.message(BOB, GROUP, "gm"), alice_said)
    clock.advance(minutes=30)
    await presence.sweep()
    assert (await presence.get_status("telegram:43")).status == "away"

    await telegram.deliver(messages.reaction(BOB, GROUP, alice_said["message"]["message_id"], "👍"))

    assert (await presence.get_status("telegram:43")).status == "online"
    latest = (await presence.get_activity("telegram:43"))[0]
    assert (latest.type, latest.channel_id, latest.timestamp) == ("reaction", "telegram:-100123", clock.now)


async def test_a_reaction_in_a_forum_counts_in_the_topic_of_the_message(
        telegram: Telegram, messages: Messages, presence: PresenceService) -> None:
    alice_said = messages.message(ALICE, FORUM, "signal", thread_id=7)
    await telegram.deliver(alice_said)

    await telegram.deliver(messages.reaction(BOB, FORUM, alice_said["message"]["message_id"]))

    assert {u.user_id for u in await presence.get_online_users("telegram:-100777/7")} == {"telegram:42", "telegram:43"}
    assert await presence.get_online_users("telegram:-100777") == []


async def test_an_anonymous_reaction_is_nobodys_activity(telegram: Telegram, messages: Messages,
                                                         presence: PresenceService) -> None:
    await telegram.deliver_ignored(messages.reaction(None, GROUP, 5, actor_chat=GROUP))

    assert await presence.get_online_users("telegram:-100123") == []


async def test_a_reaction_is_not_the_answer_to_a_question(telegram: Telegram, messages: Messages) -> None:
    asked = messages.message(ALICE, GROUP, "/presence dnnd")
    await telegram.ask(asked)

    await telegram.deliver(messages.reaction(ALICE, GROUP, asked["message"]["message_id"], "👍"))
    [done] = await telegram.ask(messages.message(ALICE, GROUP, "."))

    assert done.text.startswith(i18n.reply("en", "set.done", icon="⛔", status="do not disturb").render("telegram_html"))


async def test_presence_bot_asks_telegram_for_members_and_reactions(telegram: Telegram) -> None:
    [poll, *_] = telegram.api.called("getUpdates")

    assert set(poll["allowed_updates"]) == {"message", "edited_message", "chat_member", "my_chat_member",
                                            "message_reaction"}
