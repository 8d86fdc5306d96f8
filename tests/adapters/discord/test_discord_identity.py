"""Who acted on Discord, and under which name (SPEC section 10), end to end."""

from __future__ import annotations

from discord_harness import Chat
from fake_discord import ALICE_ID, ANA_ID, BOB_ID, USERS, subcommand, user_subcommand

from presence_bot import i18n
from presence_core.service import PresenceService


async def test_someone_never_seen_is_named_from_the_mention_discord_resolved(chat: Chat) -> None:
    [reply] = await chat.say(ALICE_ID, f"/presence <@{ANA_ID}>", mentions=(ANA_ID,))

    assert "ana.lima" in reply.content
    assert f"<@{ANA_ID}>" not in reply.content and str(ANA_ID) not in reply.content


async def test_someone_never_seen_is_named_from_the_user_option(chat: Chat) -> None:
    options, resolved = user_subcommand(ANA_ID)

    [reply] = await chat.slash(ALICE_ID, options, resolved=resolved)

    assert "ana.lima" in reply.content and str(ANA_ID) not in reply.content


async def test_a_reply_to_someone_never_seen_names_them(chat: Chat) -> None:
    # Ana's message was written before the bot started: it only arrives inside the reply.
    said = {**await chat.fake.send_message(BOB_ID, "olá"), "author": USERS[ANA_ID]}

    [reply] = await chat.say(ALICE_ID, "/presence", reply_to=said)

    assert "ana.lima" in reply.content


async def test_webhook_messages_are_nobodys_and_a_reply_to_one_asks_about_nobody(chat: Chat,
                                                                                presence: PresenceService) -> None:
    hooked = await chat.fake.send_message(BOB_ID, "/presence who", webhook=True)
    await chat.settle()
    assert await presence.get_online_users(f"discord:{hooked['channel_id']}") == []

    [reply] = await chat.say(ALICE_ID, "/presence", reply_to=hooked)

    assert reply.content.startswith(i18n.reply("en", "me.status", icon="🟢", status="online").render("discord_markdown"))


async def test_system_messages_are_nobodys_activity(chat: Chat, presence: PresenceService) -> None:
    for kind in (7, 6, 8, 18):  # a member joined, a pin, a boost, a thread created
        await chat.fake.send_message(BOB_ID, "", kind=kind)
    await chat.settle()

    assert await presence.get_activity(f"discord:{BOB_ID}") == []
    [reply] = await chat.slash(ALICE_ID, subcommand("who"))
    assert "bob" not in reply.content
