"""Text users typed never pings anyone on Telegram: Telegram makes every ``@username`` in a message a
mention that notifies that person, so the bot breaks each one it repeats (SPEC sections 3 and 7)."""

from __future__ import annotations

from harness import Telegram
from telegram_updates import GROUP, Messages, Person

ALICE = Person(42, "Alice", "alice")
BOB = Person(43, "Bob", "bob")
# Someone whose display name (no username) reads like a mention.
LOUD = Person(44, "@carol")


async def test_a_custom_status_with_a_mention_notifies_nobody_in_who(telegram: Telegram, messages: Messages) -> None:
    await telegram.ask(messages.message(ALICE, GROUP, '/presence status "ping @carol please"'))

    [who] = await telegram.ask(messages.message(BOB, GROUP, "/presence who"))

    assert "ping @\u200bcarol please" in who.text
    assert "@carol" not in who.text


async def test_names_and_echoed_input_break_mentions_too(telegram: Telegram, messages: Messages) -> None:
    await telegram.deliver(messages.message(LOUD, GROUP, "hi"))
    [who] = await telegram.ask(messages.message(BOB, GROUP, "/presence who"))
    [echo] = await telegram.ask(messages.message(BOB, GROUP, "/presence notify @carol",
                                                 entities=[{"type": "mention", "offset": 17, "length": 6}]))
    [unknown] = await telegram.ask(messages.message(BOB, GROUP, "/presence @dave hi"))

    for sent in (who, echo, unknown):
        assert "@carol" not in sent.text and "@dave" not in sent.text, sent.text
    assert "<b>@\u200bcarol</b>" in who.text


async def test_commands_shown_in_code_are_left_as_they_are_typed(telegram: Telegram, messages: Messages) -> None:
    [none] = await telegram.ask(messages.message(BOB, GROUP, "/presence notify"))
    assert none.text.endswith("Try <code>/presence notify @user</code>.")
