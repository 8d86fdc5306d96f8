"""/presence privacy, names as each chat knows them, and the lookups people type (SPEC sections 6 and 7)."""

from __future__ import annotations

from presence_bot import i18n
from presence_bot.options import BotOptions
from tests.support.chat import Chat
from tests.support.clock import FakeClock


async def test_privacy_shows_and_changes_the_choice_in_both_languages(chat: Chat) -> None:
    assert "Privacy: shared" in await chat.text("alice", "/presence privacy")
    assert "Privacy is now nobody" in await chat.text("alice", "/presence privacy nobody")
    assert "隐私：不公开" in await chat.text("alice", "/presence 隐私", locale="zh-CN")
    assert "隐私已设为共享" in await chat.text("alice", "/presence 隐私 共享", locale="zh-CN")
    assert "Privacy: shared" in await chat.text("alice", "/presence privacy")


async def test_a_wrong_privacy_word_says_what_to_type(chat: Chat) -> None:
    text = await chat.text("alice", "/presence privacy friends")
    assert text == "⚠️ Say shared or nobody.\nUsage: /presence privacy [shared|nobody]"
    assert "请说 共享 或 不公开" in await chat.text("alice", "/presence privacy 朋友", locale="zh-CN")


async def test_nobody_hides_last_seen_and_custom_status_from_others(chat: Chat) -> None:
    await chat.say("bob", "hi")
    await chat.say("alice", '/presence status "planning the surprise party"')
    await chat.say("alice", "/presence privacy nobody")
    assert await chat.text("bob", "/presence @alice") == "🟢 alice: online."
    assert "planning" not in await chat.text("bob", "/presence who")
    assert "planning the surprise party" in await chat.text("alice", "/presence")


async def test_who_hides_their_own_last_seen_sees_others_only_coarsely(chat: Chat, clock: FakeClock) -> None:
    chat.bot.options = BotOptions(coarse_last_seen=False, prompt_timeout_s=5)  # an operator who shows exact times
    await chat.say("carol", "hi")
    clock.advance(minutes=20)
    await chat.say("alice", "/presence privacy nobody")
    assert "Last seen: 20m ago" in await chat.text("bob", "/presence @carol")
    assert "Last seen: within the hour" in await chat.text("alice", "/presence @carol")


async def test_help_privacy_explains_and_points_to_the_page(chat: Chat) -> None:
    text = await chat.text("alice", "/presence help privacy")
    assert "Who sees your last seen and custom status" in text and "docs/privacy.md" in text
    assert "docs/privacy.zh-CN.md" in await chat.text("alice", "/presence 帮助 隐私", locale="zh-CN")
    assert "/presence privacy [shared|nobody]" in await chat.text("alice", "/presence help")


async def test_at_names_match_usernames_never_display_names(chat: Chat) -> None:
    await chat.say("impostor", '/presence status "OOO — DM @alice_backup instead"', name="alice", username=None)
    await chat.say("bob", "hi")
    assert await chat.text("bob", "/presence @alice") == "⚠️ I haven't seen @alice in this chat.\nUsage: /presence @user"
    await chat.say("alice", "hi")
    assert await chat.text("bob", "/presence @alice") == "🟢 alice: online.\nLast seen: just now"


async def test_a_bare_name_that_fits_several_people_says_so(chat: Chat) -> None:
    await chat.say("al1", "hi", name="Al")
    await chat.say("al2", "hi", name="al")
    text = await chat.text("bob", "/presence al")
    assert text.startswith("⚠️ Several people here go by al: mention the one you mean.")
    assert "好几个人叫 al" in await chat.text("bob", "/presence al", locale="zh-CN")


async def test_invisible_and_a_new_custom_status_reveal_nothing(chat: Chat) -> None:
    await chat.say("bob", "hi")
    await chat.say("alice", '/presence status "in a meeting"')
    await chat.say("alice", "/presence offline")
    await chat.say("alice", '/presence status "at my desk"')
    seen = await chat.text("bob", "/presence @alice")
    assert "offline" in seen and "in a meeting" in seen and "at my desk" not in seen
    assert "at my desk" in await chat.text("alice", "/presence")
    await chat.say("alice", "/presence online")
    assert "at my desk" in await chat.text("bob", "/presence @alice")


async def test_a_linked_person_is_shown_here_under_the_name_this_chat_knows(chat: Chat) -> None:
    await chat.say("work_alice", "morning", channel="lobby")
    await chat.say("anon_fox", "psst", channel="secret")
    [code_reply] = await chat.say("anon_fox", "/presence link", channel="dm-fox", direct=True)
    code = code_reply.text.split("link code: ")[1].split(".")[0]
    await chat.say("work_alice", f"/presence link {code}", channel="dm-alice", direct=True)
    await chat.say("bob", "hi", channel="lobby")
    who = await chat.text("bob", "/presence who", channel="lobby")
    assert "work_alice" in who and "fox" not in who
    assert "work_alice: online" in await chat.text("bob", "/presence @work_alice", channel="lobby")
    assert "haven't seen @anon_fox" in await chat.text("bob", "/presence @anon_fox", channel="lobby")
    [me] = await chat.say("work_alice", "/presence", channel="lobby")
    assert me.reply.private and "fox" not in me.text.replace("anon_fox", "") and "2 devices" in me.text


async def test_device_names_are_unique_and_typeable(chat: Chat) -> None:
    [code_reply] = await chat.say("you", "/presence link", channel="dm-you", direct=True)
    code = code_reply.text.split("link code: ")[1].split(".")[0]
    assert "Linked: test alice is now one of your devices" in await chat.text(
        "alice", f"/presence link {code}", channel="dm-alice", direct=True)
    devices = await chat.text("you", "/presence devices")
    assert "test you" in devices and "test alice" in devices
    wrong = await chat.text("you", "/presence unlink test")
    assert "You have no linked account called test. Linked: test you, test alice." in wrong
    assert "test:" not in wrong
    first = await chat.text("alice", "/presence unlink test you", channel="dm-alice", direct=True)
    assert first.startswith("⚠️ test you is the account your others are linked to, so it cannot be split off")
    assert await chat.text("you", "/presence unlink test alice") == (
        "✂️ Unlinked test alice: it is a separate account again.")
    assert i18n.text("en", "usage.unlink") in await chat.text("you", "/presence unlink test alice")
