"""``notify`` and ``watchers`` as people type them: the watch's own limits, and people named, never ids."""

from __future__ import annotations

import pytest

from tests.support.chat import Chat

BEN = {"@ben": "test:ben"}


@pytest.mark.parametrize(("typed", "locale", "first"), [
    ("/presence notify @ben for 0m", None, "⚠️ A duration here must be between 1m and 30d."),
    ("/presence notify @ben for 31d", None, "⚠️ A duration here must be between 1m and 30d."),
    ("/presence notify @ben 400d", None, "⚠️ A duration here must be between 1m and 30d."),
    ("/presence 提醒 @ben 0分钟", "zh-CN", "⚠️ 这里的时长必须在 1分钟 到 30天 之间。"),
])
async def test_a_watch_out_of_range_names_the_watch_range(chat: Chat, typed: str, locale: str | None,
                                                          first: str) -> None:
    await chat.say("ben", "hello")
    await chat.say("ben", "/presence dnd")
    assert (await chat.text("ann", typed, mentions=BEN, locale=locale)).splitlines()[0] == first
    assert await chat.bot.service.get_watches("test:ann") == []
