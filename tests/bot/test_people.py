"""What answers call people: a name, what the asker typed, or "someone"; never an account id."""

from __future__ import annotations

from tests.support.chat import Chat


async def test_answers_about_someone_without_a_name_never_show_the_account_id(chat: Chat) -> None:
    service = chat.bot.service
    # Recorded by the operator's code or an app with no name; a name of invisible characters only.
    await service.record_activity("test:u7", {"channel_id": "test:room"})
    await service.record_activity("test:u8", {"channel_id": "test:room"}, user_name="\u200b\u2060")
    await service.set_capacity("test:u7", 2)
    answers = [
        await chat.text("ann", "/presence who"),
        await chat.text("ann", "/presence available"),
        await chat.text("ann", "/presence pick"),
        await chat.text("ann", "/presence", reply_to="test:u7"),
        await chat.text("ann", "/presence", reply_to="test:u8", locale="zh-CN"),
    ]
    assert not [a for a in answers if "test:u" in a], answers
    assert "someone" in answers[0] and "someone" in answers[1] and "someone is picked" in answers[2]
    assert answers[3].startswith("🟢 someone: online") and answers[4].startswith("🟢 某人")
