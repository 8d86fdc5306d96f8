"""``/presence token NAME``, ``/presence tokens``, ``/presence token revoke NAME``: private, both languages."""

from __future__ import annotations

import re

from presence_core.tokens import looks_like_token
from tests.support.chat import Chat
from tests.support.clock import FakeClock

TOKEN = re.compile(r"prs_[A-Za-z0-9_-]{43}")


async def test_a_token_is_shown_once_privately_and_works(chat: Chat) -> None:
    [sent] = await chat.say("alice", "/presence token Laptop")
    assert sent.reply.private
    [token] = TOKEN.findall(sent.text)
    assert looks_like_token(token)
    assert "shown only this once" in sent.text and "api laptop" in sent.text
    assert "/presence token revoke laptop" in sent.text
    device = await chat.bot.service.authenticate(token)
    assert device is not None and device.owner == "test:alice"
    listing = await chat.say("alice", "/presence tokens")
    assert listing[0].reply.private and token not in listing[0].text


async def test_tokens_lists_names_and_last_use(chat: Chat, clock: FakeClock) -> None:
    assert "no API tokens" in await chat.text("alice", "/presence tokens")
    token = TOKEN.findall(await chat.text("alice", "/presence token laptop"))[0]
    await chat.text("alice", "/presence token phone")
    clock.advance(minutes=90)
    await chat.bot.service.authenticate(token)
    clock.advance(minutes=5)
    text = await chat.text("alice", "/presence tokens")
    assert "Your 2 API tokens" in text
    assert "laptop · made 1h 35m ago · last used 5m ago" in text
    assert "phone · made 1h 35m ago · last used never" in text


async def test_revoke_stops_the_token_at_once(chat: Chat) -> None:
    token = TOKEN.findall(await chat.text("alice", "/presence token laptop"))[0]
    [sent] = await chat.say("alice", "/presence token revoke LAPTOP")
    assert sent.reply.private and "Token laptop revoked" in sent.text
    assert await chat.bot.service.authenticate(token) is None
    assert "no token called laptop" in await chat.text("alice", "/presence token revoke laptop")


async def test_bad_input_gets_one_line_and_the_usage(chat: Chat) -> None:
    cases = {
        "/presence token": "Say what to call the token",
        "/presence token revoke": "Say which token to revoke",
        "/presence token a/b": "a/b can't be a token name",
        "/presence token laptop extra": "I didn't expect extra here",
        "/presence tokens all": "I didn't expect all here",
    }
    for command, error in cases.items():
        text = await chat.text("alice", command)
        assert error in text and "Usage: /presence token" in text, command
        assert not TOKEN.search(text)
    await chat.text("alice", "/presence token laptop")
    assert "already have a token called laptop" in await chat.text("alice", "/presence token laptop")


async def test_in_chinese_with_chinese_words(chat: Chat) -> None:
    text = await chat.text("alice", "/presence 令牌 笔记本", locale="zh-CN")
    assert "你的 API 令牌 笔记本" in text and TOKEN.search(text)
    assert "你的 1 个 API 令牌" in await chat.text("alice", "/presence 令牌列表", locale="zh-CN")
    assert "令牌 笔记本 已撤销" in await chat.text("alice", "/presence 令牌 撤销 笔记本", locale="zh-CN")


async def test_typed_as_discord_shows_them_token_list_and_token_create_mean_what_they_say(chat: Chat) -> None:
    created = await chat.text("alice", "/presence token create laptop")
    assert TOKEN.findall(created) and "/presence token revoke laptop" in created
    listing = await chat.text("alice", "/presence token list")
    assert "laptop · made" in listing and not TOKEN.findall(listing)
    assert "Your API token:" in listing, "no token called list was made"
    assert "令牌" in await chat.text("alice", "/presence 令牌 列表", locale="zh-CN")
