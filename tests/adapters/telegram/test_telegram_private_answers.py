"""What a Telegram group may read of an asker, and secrets only where they can be shown (SPEC sections 6, 7, 11)."""

from __future__ import annotations

from fake_bot_api import CANNOT_INITIATE
from harness import Telegram
from telegram_updates import GROUP, Messages, Person, private

from presence_bot import i18n
from presence_core.service import PresenceService

REAL = Person(50, "Real Alice", "realalice2")
ANON = Person(51, "Anon", "anon2")
CAROL = Person(52, "Carol", "carol")


def html(key: str, **values: object) -> str:
    return i18n.reply("en", key, **values).render("telegram_html")


async def link_in_private(telegram: Telegram, messages: Messages) -> None:
    """realalice2 sets things up in her private chat and links anon2, who speaks in the group."""
    await telegram.deliver(messages.message(ANON, GROUP, "gm"))
    for typed in ("/presence privacy nobody", "/presence hours mon-fri 9-18 Europe/Berlin"):
        await telegram.ask(messages.message(REAL, private(REAL), typed))
    [code] = await telegram.ask(messages.message(REAL, private(REAL), "/presence link"))
    await telegram.ask(messages.message(ANON, private(ANON), f"/presence link {code.text.split('<code>')[1][:10]}"))


async def test_commands_in_a_group_never_show_the_group_a_linked_account(
        telegram: Telegram, messages: Messages, presence: PresenceService) -> None:
    await link_in_private(telegram, messages)
    before = len(telegram.api.sent)

    [forget] = await telegram.ask(messages.message(ANON, GROUP, "/presence forget"))
    await telegram.deliver(messages.message(ANON, GROUP, "yes"))
    for typed in ("/presence sync", "/presence privacy", "/presence hours mon-fri 9-17"):
        await telegram.ask(messages.message(ANON, GROUP, typed), replies=2)

    in_group = [sent.text for sent in telegram.api.sent[before:] if sent.chat_id == GROUP.id]
    in_private = "\n".join(sent.text for sent in telegram.api.sent[before:] if sent.chat_id == ANON.id)
    assert in_group == [html("private.ask_in_private"), *[html("private.sent")] * 3]
    assert forget.chat_id == GROUP.id and "realalice2" not in "\n".join(in_group)
    assert "Synced 2/2 devices" in in_private and "nobody" in in_private and "Europe/Berlin" in in_private
    assert len(await presence.linked_accounts("telegram:51")) == 2  # "yes" in the group erased nothing


async def test_a_token_or_link_code_asked_for_in_a_group_is_never_made(
        telegram: Telegram, messages: Messages, presence: PresenceService) -> None:
    """Carol never started a private chat with the bot: nothing could show her a secret."""
    telegram.api.refused_chats[CAROL.id] = CANNOT_INITIATE
    for typed in ("/presence token mykey", "/presence link"):
        [answer] = await telegram.ask(messages.message(CAROL, GROUP, typed))
        assert (answer.chat_id, answer.text) == (GROUP.id, html("private.ask_in_private"))
    assert [call["chat_id"] for call in telegram.api.called("sendMessage")] == [GROUP.id, GROUP.id]
    assert await presence.list_tokens("telegram:52") == []

    del telegram.api.refused_chats[CAROL.id]
    [made] = await telegram.ask(messages.message(CAROL, private(CAROL), "/presence token mykey"))
    assert made.text.startswith(html("token.created", name="mykey", token="")[:-len("</code>")])
