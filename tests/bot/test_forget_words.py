"""What ``forget`` says before and after (issue 12): which linked accounts go with it, what the next message does."""

from __future__ import annotations

from tests.support.chat import Chat

# forget is a conversation: only in a private chat with the bot.
DM = {"channel": "dm", "direct": True}


async def link(chat: Chat, first: str, second: str, **kw: object) -> None:
    [sent] = await chat.say(first, "/presence link")
    code = sent.text.split("link code: ")[1].split(".")[0]
    assert "Linked" in await chat.text(second, f"/presence link {code}", channel="other", **kw)


async def test_forget_without_links_says_what_the_next_message_does(chat: Chat) -> None:
    assert (await chat.text("dave", "/presence forget", **DM)).splitlines() == [
        "⚠️ This erases everything stored about you: status, custom status, devices, activity and links.",
        "Afterwards, your next message starts a new record. To stay unrecorded, send /presence tracking off first.",
        "Send yes within 5 seconds to confirm.",
    ]
    assert (await chat.text("dave", "yes", **DM)).splitlines() == [
        "🗑 Done: everything stored about you is erased.", "Your next message starts a new record."]
    await chat.say("dave", "ok bye")
    assert [e.type for e in await chat.bot.service.get_activity("test:dave")] == ["message"]


async def test_forget_names_every_linked_account_that_goes_with_it(chat: Chat) -> None:
    await chat.say("alice", "hi")
    await link(chat, "alice", "alice-phone")
    await link(chat, "alice", "alice-work")
    question = (await chat.text("alice", "/presence forget", **DM)).splitlines()
    linked = [line for line in question if line.startswith("Your linked accounts")]
    assert len(linked) == 1 and linked[0].endswith("are you here too: they are erased with you.")
    assert linked[0].count("test") == 2
    done = (await chat.text("alice", "yes", **DM)).splitlines()
    assert done[1].startswith("Your linked accounts") and done[1].endswith("were erased too.")
    for account in ("test:alice", "test:alice-phone", "test:alice-work"):
        assert (await chat.bot.service.get_status(account)).last_seen is None


async def test_one_linked_account_is_named_in_the_singular_and_in_chinese(chat: Chat) -> None:
    await chat.say("li", "hi")
    await link(chat, "li", "li-phone")
    question = await chat.text("li", "/presence 遗忘", locale="zh-CN", **DM)
    assert "你绑定的账号 test li-phone 在这里也是你：会一起被删除。" in question
    assert "请在 5 秒内发送 是（或 yes）确认。" in question
    done = await chat.text("li", "是", locale="zh-CN", **DM)
    assert done.splitlines() == ["🗑 完成：关于你的所有数据都已删除。", "你绑定的账号 test li-phone 也已一起删除。",
                                 "你的下一条消息会开始一份新的记录。"]


async def test_with_tracking_off_forget_says_tracking_stays_off(chat: Chat) -> None:
    await chat.say("dave", "/presence tracking off")
    question = await chat.text("dave", "/presence forget", **DM)
    assert "Tracking stays off afterwards: nothing you send is recorded." in question
    assert "Tracking stays off: nothing you send is recorded." in await chat.text("dave", "yes", **DM)


async def test_dave_s_opt_out_survives_forget_as_the_words_promise(chat: Chat) -> None:
    """Issue 12: tracking off, forget, yes, "ok bye": others' who does not list dave, nothing is logged."""
    await chat.say("dave", "/presence tracking off")
    await chat.say("dave", "/presence forget", **DM)
    await chat.say("dave", "yes", **DM)
    await chat.say("dave", "ok bye")
    assert "dave" not in await chat.text("bob", "/presence who")
    assert await chat.bot.service.get_activity("test:dave") == []
    assert "Tracking stays off afterwards" in await chat.text("dave", "/presence forget", **DM)
