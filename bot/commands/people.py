"""Who a word in a command means: a platform mention, an ``@username``, or a name; one way for every command."""

from __future__ import annotations

from presence_bot.commands.context import Context, UsageError
from presence_core.visibility import Found


async def find(ctx: Context, name: str, *, usernames_only: bool) -> Found:
    """A typed name among the people the asker may see here (in a direct chat: in shared chats)."""
    return await ctx.service.find_person(name, viewer_id=ctx.user_id, channel_id=ctx.asked_from,
                                         usernames_only=usernames_only)


async def person(ctx: Context, word: str) -> str:
    """The account ``word`` names, the same way for every command that takes a person: a mention the
    platform resolved; else ``@username`` among the people the asker may see (never a display name,
    which anyone can choose: SPEC section 7); else a bare name, which may also be a display name but
    never picks among several.

    Raises ``UsageError`` "unknown user" for anyone else (the same words whether or not the bot has
    seen them), "ambiguous user" when the name fits several people.
    """
    target = ctx.session.mentions.get(word)
    if target is None:
        found = await find(ctx, word, usernames_only=word.startswith("@"))
        if found.count > 1:
            raise UsageError("error.ambiguous_user", name=word)
        target = found.account
    if target is None:
        raise UsageError("error.unknown_user", name=word)
    return target


def called(ctx: Context, account: str, name: str | None, typed: str | None = None) -> str:
    """What a reply calls ``account``: ``name`` (what the asker may see of it), else the name the
    platform gave for it in this message, else the word the asker typed for it (a platform's own
    mention token such as ``<@123>`` is no name), else "someone"; never an account id."""
    word = None if typed is None or typed.startswith("<@") else typed
    return ctx.person_name(name, ctx.session.names.get(account), word)
