"""The cog on an operator's bot, driven end to end through the real discord.py and a fake Discord."""

from __future__ import annotations

from discord_harness import Chat
from fake_discord import ALICE_ID, BOB_ID, CHANNEL_ID, dm_channel_id, subcommand, user_subcommand

from presence_bot import i18n
from presence_core.service import PresenceService

ALICE = f"discord:{ALICE_ID}"


async def test_a_slash_command_is_answered_in_the_channel(chat: Chat) -> None:
    await chat.say(ALICE_ID, "gm everyone")

    [reply] = await chat.slash(BOB_ID, subcommand("who"))

    assert reply.kind == "response"
    assert "alice" in reply.content
    assert not reply.ephemeral
    assert reply.pings_nobody


async def test_a_text_command_is_answered_as_a_reply_to_it(chat: Chat) -> None:
    await chat.say(ALICE_ID, "gm everyone")

    [reply] = await chat.say(BOB_ID, "/presence who")

    assert reply.kind == "channel" and reply.channel_id == CHANNEL_ID
    assert reply.replies_to == chat.fake.messages[-1]["id"]
    assert "alice" in reply.content and "bob" in reply.content
    assert reply.pings_nobody


async def test_a_plain_message_is_activity_and_shows_in_who(chat: Chat, presence: PresenceService) -> None:
    assert await chat.say(ALICE_ID, "anyone around?") == []

    [event] = await presence.get_activity(ALICE)
    assert (event.type, event.channel_id) == ("message", f"discord:{CHANNEL_ID}")
    [reply] = await chat.slash(BOB_ID, subcommand("who"))
    assert "alice" in reply.content


async def test_desktop_and_mobile_clients_show_in_devices(chat: Chat) -> None:
    await chat.say(ALICE_ID, "hi")

    await chat.presence_update(ALICE_ID, "online", {"desktop": "online", "mobile": "idle"})

    [reply] = await chat.slash(ALICE_ID, subcommand("devices"))
    assert "discord desktop" in reply.content and "discord mobile" in reply.content
    assert "discord web" not in reply.content
    assert i18n.text("en", "devices.header", count=3) in reply.content


async def test_activity_is_answered_only_to_the_asker(chat: Chat) -> None:
    await chat.say(ALICE_ID, "hello")

    [reply] = await chat.slash(ALICE_ID, subcommand("activity", limit=5))

    assert reply.kind == "response" and reply.ephemeral
    assert i18n.text("en", "activity.header", count=2) in reply.content


async def test_everyone_in_a_custom_status_pings_nobody(chat: Chat) -> None:
    await chat.slash(ALICE_ID, subcommand("status", text="@everyone free BTC"))

    options, resolved = user_subcommand(ALICE_ID)
    [reply] = await chat.slash(BOB_ID, options, resolved=resolved)
    [listing] = await chat.say(BOB_ID, "/presence who")

    for sent in (reply, listing):
        assert "free BTC" in sent.content
        assert "@everyone" not in sent.content
        assert sent.pings_nobody


async def test_discord_markdown_in_user_text_is_escaped(chat: Chat) -> None:
    [reply] = await chat.slash(ALICE_ID, subcommand("status", text="**loud** `code` ||spoiler||"))

    assert "\\*\\*loud\\*\\*" in reply.content
    assert "\\|\\|spoiler\\|\\|" in reply.content


async def test_a_chinese_client_is_answered_in_chinese(chat: Chat) -> None:
    [reply] = await chat.slash(ALICE_ID, subcommand("dnd", duration="2h"), locale="zh-CN")

    assert i18n.text("zh-CN", "status.dnd") in reply.content
    assert i18n.text("zh-CN", "unit.h", n=2) in reply.content


async def test_the_operators_own_commands_still_work_beside_the_cog(chat: Chat, presence: PresenceService) -> None:
    [text_reply] = await chat.say(BOB_ID, "!ping")
    [slash_reply] = await chat.slash(BOB_ID, [], name="ping")

    assert text_reply.content == "pong" and slash_reply.content == "pong"
    # The operator's text command is still a message of Bob's.
    assert [e.type for e in await presence.get_activity(f"discord:{BOB_ID}")] == ["message"]


async def test_someone_is_looked_up_by_mention_or_by_replying_to_them(chat: Chat) -> None:
    await chat.slash(ALICE_ID, subcommand("dnd"))
    said = chat.fake.messages

    [by_mention] = await chat.say(BOB_ID, f"/presence <@{ALICE_ID}>", mentions=(ALICE_ID,))
    await chat.say(ALICE_ID, "brb")
    [by_reply] = await chat.say(BOB_ID, "/presence", reply_to=said[-1])

    expected = i18n.text("en", "user.status", icon="⛔", name="alice", status=i18n.text("en", "status.dnd"))
    assert expected.replace("⛔ ", "") in by_mention.content.replace("**", "")
    assert expected.replace("⛔ ", "") in by_reply.content.replace("**", "")


async def test_a_private_answer_asked_for_in_the_channel_goes_by_direct_message(chat: Chat) -> None:
    await chat.say(ALICE_ID, "hello")

    direct, notice = await chat.say(ALICE_ID, "/presence activity")

    assert direct.kind == "direct" and direct.channel_id == dm_channel_id(ALICE_ID)
    assert i18n.text("en", "activity.header", count=2) in direct.content
    assert notice.kind == "channel" and notice.content == i18n.reply("en", "private.sent").render("discord_markdown")


async def test_closed_direct_messages_get_a_hint_in_the_channel(chat: Chat) -> None:
    chat.fake.fail("POST", rf"/channels/{dm_channel_id(ALICE_ID)}/messages", status=403, code=50007,
                   message="Cannot send messages to this user")

    [hint] = await chat.say(ALICE_ID, "/presence devices")

    assert hint.kind == "channel"
    assert hint.content == i18n.reply("en", "private.hint").render("discord_markdown")


async def test_in_a_direct_message_everything_is_answered_there(chat: Chat) -> None:
    [reply] = await chat.say(ALICE_ID, "/presence devices", direct=True)

    assert reply.channel_id == dm_channel_id(ALICE_ID)
    assert "discord" in reply.content


async def test_forget_from_a_slash_command_is_confirmed_by_a_message(chat: Chat, presence: PresenceService) -> None:
    await chat.say(ALICE_ID, "hello")

    [question] = await chat.slash(ALICE_ID, subcommand("forget"), direct=True)
    [done] = await chat.say(ALICE_ID, "yes", direct=True)

    assert question.kind == "response"
    assert i18n.text("en", "forget.done") in done.content and done.kind == "followup"
    assert await presence.get_activity(ALICE) == []


async def test_forget_from_a_slash_command_in_a_server_refers_to_the_private_chat(
        chat: Chat, presence: PresenceService) -> None:
    """Its answer would be private, but the "yes" it waits for would be typed in the channel (privacy.md)."""
    await chat.say(ALICE_ID, "hello")

    [answer] = await chat.slash(ALICE_ID, subcommand("forget"))

    assert answer.content == i18n.reply("en", "private.ask_in_private").render("discord_markdown")
    assert await chat.say(ALICE_ID, "yes") == []
    assert len(await presence.get_activity(ALICE)) == 3


async def test_long_answers_are_split_to_fit_discord(chat: Chat) -> None:
    for _ in range(50):
        await chat.fake.send_message(ALICE_ID, "spam")
    await chat.settle()

    replies = await chat.slash(ALICE_ID, subcommand("activity", limit=50))

    assert all(len(r.content) <= 2000 for r in replies)
    assert [r.kind for r in replies][0] == "response"
    assert all(r.ephemeral for r in replies)
    # A header, 50 entries, and a line saying that older ones exist (51 were recorded).
    assert sum(r.content.count("\n") + 1 for r in replies) == 52
    assert "Only the newest 50 are shown" in replies[-1].content


async def test_the_activity_log_names_discord_channels_as_people_see_them(chat: Chat) -> None:
    await chat.say(ALICE_ID, "gm")
    await chat.say(ALICE_ID, "psst", direct=True)
    [answer] = await chat.slash(ALICE_ID, subcommand("activity"), direct=True)

    lines = answer.content.splitlines()
    assert lines[1:] == ["just now · slash command here", "just now · message here",
                         "just now · message in **#general**"]
    [answer] = await chat.slash(ALICE_ID, subcommand("activity"))
    assert "message in a direct chat" in answer.content and "discord:" not in answer.content


async def test_a_token_from_the_slash_command_is_ephemeral_and_revoked_the_same_way(
        chat: Chat, presence: PresenceService) -> None:
    [made] = await chat.slash(ALICE_ID, subcommand("create", group="token", name="laptop"))
    assert made.kind == "response" and made.ephemeral
    token = made.content.split("`")[1]
    assert (await presence.authenticate(token)) is not None

    [listing] = await chat.slash(ALICE_ID, subcommand("list", group="token"))
    assert listing.ephemeral and "laptop" in listing.content and token not in listing.content
    [revoked] = await chat.slash(ALICE_ID, subcommand("revoke", group="token", name="laptop"))
    assert revoked.ephemeral and await presence.authenticate(token) is None


async def test_a_secret_asked_for_by_a_channel_message_is_never_made(chat: Chat, presence: PresenceService) -> None:
    """A direct message may not arrive (closed DMs): a token or link code is made only where it is shown
    privately for sure, a slash command's ephemeral answer or a direct message."""
    ask_in_private = i18n.reply("en", "private.ask_in_private").render("discord_markdown")
    for typed in ("/presence token mykey", "/presence link"):
        [answer] = await chat.say(ALICE_ID, typed)
        assert (answer.kind, answer.content) == ("channel", ask_in_private)
    assert await presence.list_tokens(ALICE) == []

    [made] = await chat.slash(ALICE_ID, subcommand("create", group="token", name="mykey"))
    assert made.ephemeral and made.content.startswith("🔑 Your API token **mykey**")
    [code] = await chat.say(ALICE_ID, "/presence link", direct=True)
    assert code.kind == "direct" and "link code" in code.content
