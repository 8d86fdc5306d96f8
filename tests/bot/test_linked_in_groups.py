"""Nothing an answer says in a group reveals another account of the asker (SPEC sections 6 and 7).

anon2 speaks in the group; realalice2, seen only in direct chats, made the settings and linked anon2.
Every subcommand anon2 asks in the group is answered so that the group never reads realalice2's name,
device count or settings: what can only come from there is answered privately.
"""

from __future__ import annotations

import pytest

from presence_bot.catalog import SUBCOMMANDS
from presence_bot.router import command_topic
from tests.support.chat import Chat

# What the group must never read: the other account's name, its settings (zone, skills, privacy,
# tracking) and the device count that a second account makes.
FORBIDDEN = ("realalice2", "Berlin", "rust", "Privacy", "privacy", "Tracking", "2 devices", "2/2")

# Every subcommand, bare and with arguments, in an order that makes each answer meaningful (the
# hours without a zone come before any zone is typed here).
TYPED = [
    "/presence", "/presence @anon2", "/presence @bob", "/presence who", "/presence activity", "/presence devices",
    "/presence sync", "/presence privacy", "/presence privacy shared", "/presence tracking on",
    "/presence capacity", "/presence capacity 3", "/presence take", "/presence take 2 force", "/presence done",
    "/presence done all", "/presence capacity off", "/presence skills", "/presence skills go",
    "/presence skills clear", "/presence hours", "/presence hours mon-fri 9-17",
    "/presence hours mon-fri 9-17 Asia/Tokyo", "/presence hours off", "/presence available", "/presence pick",
    "/presence notify @bob", "/presence notify", "/presence notify cancel @bob", "/presence watchers",
    "/presence token laptop", "/presence tokens", "/presence token revoke laptop", "/presence link",
    "/presence unlink test realalice2", "/presence online", "/presence away", "/presence dnd 1h",
    "/presence offline", "/presence online", "/presence status at lunch", "/presence status clear",
    "/presence help", "/presence help forget", "/presence forget",
]
MENTIONS = {"@anon2": "test:anon2", "@bob": "test:bob"}


async def linked_elsewhere(chat: Chat) -> None:
    """realalice2 sets everything in a direct chat and links anon2, which is known only in the group."""
    await chat.say("bob", "hello", channel="room")
    await chat.say("anon2", "hello", channel="room")
    for typed in ("/presence privacy nobody", "/presence hours mon-fri 9-18 Europe/Berlin",
                  "/presence skills rust", "/presence capacity 7"):
        await chat.say("realalice2", typed, channel="dm-alice", direct=True)
    [sent] = await chat.say("realalice2", "/presence link", channel="dm-alice", direct=True)
    code = sent.text.split("link code: ")[1].split(".")[0]
    await chat.say("anon2", f"/presence link {code}", channel="dm-anon", direct=True)


def test_the_list_covers_every_subcommand() -> None:
    asked = {command_topic(typed.removeprefix("/presence"), MENTIONS) for typed in TYPED}
    assert asked >= {*SUBCOMMANDS, "presence", "user"}


@pytest.mark.parametrize("ephemeral", [False, True], ids=["group message", "interaction"])
async def test_no_group_answer_reveals_the_linked_account(chat: Chat, ephemeral: bool) -> None:
    await linked_elsewhere(chat)
    for typed in TYPED:
        for sent in await chat.say("anon2", typed, channel="room", mentions=MENTIONS, ephemeral=ephemeral):
            if not sent.reply.private:
                assert not [word for word in FORBIDDEN if word in sent.text], (typed, sent.text)


async def test_what_came_from_the_linked_account_is_still_told_privately(chat: Chat) -> None:
    await linked_elsewhere(chat)
    [hours] = await chat.say("anon2", "/presence hours mon-fri 9-17", channel="room")
    assert hours.reply.private and "(Europe/Berlin)" in hours.text
    [sync] = await chat.say("anon2", "/presence sync", channel="room")
    assert sync.reply.private and "2/2 devices" in sync.text
    [shown] = await chat.say("anon2", "/presence privacy", channel="room")
    assert shown.reply.private and "nobody" in shown.text
    [skills] = await chat.say("anon2", "/presence skills", channel="room")
    assert skills.reply.private and "rust" in skills.text


async def test_what_was_typed_in_the_group_is_answered_there(chat: Chat) -> None:
    await linked_elsewhere(chat)
    for typed, said in (("/presence hours mon-fri 9-17 Asia/Tokyo", "Mon–Fri 09:00–17:00 (Asia/Tokyo)"),
                        ("/presence skills go", "Skills: go."), ("/presence capacity 3", "at most 3 at once"),
                        ("/presence take", "Took 1 item. Load: 1/3.")):
        [sent] = await chat.say("anon2", typed, channel="room")
        assert not sent.reply.private and said in sent.text, sent.text


async def test_forget_in_a_group_message_erases_nothing_and_asks_for_a_private_chat(chat: Chat) -> None:
    await linked_elsewhere(chat)
    [sent] = await chat.say("anon2", "/presence forget", channel="room", ephemeral=False)
    assert sent.text == "🔒 Send that to me in a private chat: its answer is for you alone, so nothing was done here."
    assert not sent.reply.private
    assert await chat.say("anon2", "yes", channel="room", ephemeral=False) == []
    assert (await chat.bot.service.get_availability("test:anon2")).capacity == 7


async def test_forget_is_a_conversation_in_the_private_chat_only(chat: Chat) -> None:
    """A slash command in a server is answered privately, but the "yes" would be typed in the channel."""
    await linked_elsewhere(chat)
    [refused] = await chat.say("anon2", "/presence forget", channel="room", ephemeral=True)
    assert refused.text.startswith("🔒 Send that to me in a private chat")
    [question] = await chat.say("anon2", "/presence forget", channel="dm-anon2", direct=True)
    assert question.reply.private and "realalice2" in question.text
    [done] = await chat.say("anon2", "yes", channel="dm-anon2", direct=True)
    assert done.reply.private and "was erased too" in done.text
