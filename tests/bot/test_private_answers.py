"""Private answers stay private on every path, errors included (issue 17, item 4)."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from presence_bot.router import may_be_private
from presence_bot.session import Session
from tests.support.chat import Chat, RecordingOutbox


async def linked_pair(chat: Chat) -> None:
    await chat.say("alice", "hi")
    [sent] = await chat.say("alice", "/presence link")
    code = sent.text.split("link code: ")[1].split(".")[0]
    await chat.say("alice-phone", f"/presence link {code}", channel="other")


async def test_a_typo_of_a_personal_command_accepted_with_a_dot_answers_its_error_privately(chat: Chat) -> None:
    await linked_pair(chat)
    [question] = await chat.say("alice", "/presence unlnk zzz")
    assert "Did you mean unlink?" in question.text and not question.reply.private
    [answer] = await chat.say("alice", ".")
    assert answer.reply.private
    assert answer.text.startswith("⚠️ You have no linked account called zzz. Linked:")
    assert answer.text.splitlines()[1] == "Usage: /presence unlink DEVICE"


@pytest.mark.parametrize("typed", [
    "/presence activity 99", "/presence activity since soon", "/presence devices extra",
    "/presence link WRONGCODE", "/presence link A B", "/presence unlink nobody", "/presence unlink",
    "/presence 活动 99", "/presence 设备 多余",
])
async def test_every_answer_of_a_personal_command_is_private_errors_too(chat: Chat, typed: str) -> None:
    await linked_pair(chat)
    [sent] = await chat.say("alice", typed)
    assert sent.reply.private, sent.text


@pytest.mark.parametrize("typed", ["/presence activty 99", "/presence devics extra", "/presence lnk WRONG",
                                   "/presence unlnk zzz", "/presence actvity"])
async def test_through_did_you_mean_as_well(chat: Chat, typed: str) -> None:
    await linked_pair(chat)
    await chat.say("alice", typed)
    [answer] = await chat.say("alice", ".")
    assert answer.reply.private, answer.text


async def test_the_self_view_of_an_invisible_person_is_private_and_a_visible_one_is_not(chat: Chat) -> None:
    [visible] = await chat.say("alice", "/presence")
    assert not visible.reply.private
    await chat.say("alice", "/presence offline")
    for typed in ("/presence", "/presence me", "/presence 我"):
        [sent] = await chat.say("alice", typed)
        assert sent.reply.private and ("invisible" in sent.text or "隐身" in sent.text)


def session(content: str, *, mentions: dict[str, str] | None = None, reply_to: str | None = None) -> Session:
    return Session(platform="test", self_id="bot", user_id="test:alice", user_name="alice", channel_id="test:room",
                   guild_id="guild", is_direct=False, content=content, message_id=None, timestamp=0, locale=None,
                   kind="command", outbox=RecordingOutbox(), mentions=MappingProxyType(mentions or {}),
                   reply_to_user_id=reply_to)


@pytest.mark.parametrize(("content", "private"), [
    ("/presence", True), ("/presence me", True), ("/presence 我", True),
    ("/presence activity", True), ("/presence devices", True), ("/presence link", True),
    ("/presence unlink x", True), ("/presence 活动 5", True), ("/presence 设备", True),
    ("/presence who", False), ("/presence dnd", False), ("/presence help", False), ("/presence status hi", False),
    ("/presence @bob", False), ("hello", False), ("/presence xyzzy", False),
])
def test_whether_an_answer_may_be_private_is_known_before_it_runs(content: str, private: bool) -> None:
    assert may_be_private(session(content)) is private


def test_mentions_and_replies_decide_whose_view_it_is() -> None:
    assert may_be_private(session("/presence <@1>", mentions={"<@1>": "test:alice"}))
    assert not may_be_private(session("/presence <@2>", mentions={"<@2>": "test:bob"}))
    assert not may_be_private(session("/presence", reply_to="test:bob"))
    assert may_be_private(replace(session("/presence"), reply_to_user_id="test:alice"))
