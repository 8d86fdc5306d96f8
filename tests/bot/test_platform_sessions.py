"""What the adapters' sessions carry from real chats (SPEC section 10): mentions of several words,
names of people never seen, people acting anonymously as a chat, reactions."""

from __future__ import annotations

from dataclasses import replace

from presence_bot import i18n
from presence_bot.router import command_topic, split_command
from presence_bot.session import Session
from tests.support.chat import Chat

ANA = "test:88"


def test_a_resolved_mention_of_several_words_is_one_argument() -> None:
    mentions = {"Ana Lima": ANA, "Ana": "test:1"}

    assert split_command("Ana Lima", mentions) == ["Ana Lima"]
    assert split_command('notify Ana Lima for "2h"', mentions) == ["notify", "Ana Lima", "for", "2h"]
    assert command_topic("Ana Lima", mentions) == "user"
    assert command_topic("Ana Maria", {}) is None


async def test_a_mention_of_several_words_asks_about_that_person_by_the_platforms_name(chat: Chat) -> None:
    text = await chat.text("alice", "/presence Ana Lima", mentions={"Ana Lima": ANA}, names={ANA: "Ana Lima"})

    assert text.startswith(i18n.reply("en", "user.status", icon="⚫", name="Ana Lima",
                                      status=i18n.text("en", "status.offline")).render("plain"))


async def test_a_reply_to_someone_never_seen_names_them_not_their_id(chat: Chat) -> None:
    text = await chat.text("alice", "/presence", reply_to=ANA, names={ANA: "Ana Lima"})

    assert "Ana Lima" in text and ANA not in text


async def test_someone_acting_as_the_chat_gets_channel_answers_and_no_record(chat: Chat) -> None:
    await chat.say("bob", "gm")

    who = await chat.text("-100", "/presence who", anonymous=True)
    mine = await chat.text("-100", "/presence dnd", anonymous=True)
    help_ = await chat.text("-100", "/presence help", anonymous=True)
    available = await chat.text("-100", "/presence available", anonymous=True)

    assert "bob" in who
    assert mine == i18n.reply("en", "anonymous.personal").render("plain")
    assert help_ and help_ != mine
    assert available and available != mine
    assert (await chat.bot.service.get_status("test:-100", viewer_id="test:-100")).device_count == 0


async def test_did_you_mean_runs_nothing_personal_for_someone_acting_as_the_chat(chat: Chat) -> None:
    await chat.say("-100", "/presence onlin", anonymous=True)

    [answer] = await chat.say("-100", ".", anonymous=True)

    assert answer.text == i18n.reply("en", "anonymous.personal").render("plain")
    assert (await chat.bot.service.get_status("test:-100", viewer_id="test:-100")).device_count == 0


async def test_a_reaction_is_activity_and_never_an_answer(chat: Chat) -> None:
    await chat.say("alice", "/presence forget", channel="dm", direct=True)
    bot = chat.bot
    reaction = Session(platform="test", self_id="bot", user_id="test:alice", user_name="alice",
                       channel_id="test:dm", guild_id=None, is_direct=True, content="", message_id="9",
                       timestamp=bot.service.clock(), locale=None, kind="reaction", outbox=chat.outbox)

    await bot.handle(reaction)
    await bot.handle(replace(reaction, message_id="10"))

    assert [e.type for e in await bot.service.get_activity("test:alice")][:2] == ["reaction", "reaction"]
    [done] = await chat.say("alice", "yes", channel="dm", direct=True)
    assert done.text.startswith(i18n.reply("en", "forget.done").render("plain"))
