"""The /presence command router: finds our command in a message, picks the handler, answers errors."""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from presence_bot.catalog import CHANNEL_LEVEL, PERSONAL, known_words, resolve_subcommand
from presence_bot.commands import account, personal, status, who
from presence_bot.commands.context import Context, Handler, UsageError
from presence_bot.commands.help import show_help
from presence_bot.parsing import UnbalancedQuoteError, split_args
from presence_bot.reply import Reply
from presence_core import PresenceError, Status, StoreUnavailableError

log = logging.getLogger(__name__)

HANDLERS: dict[str, Handler] = {
    "who": who.who,
    "activity": personal.activity,
    "online": status.make_set_status(Status.ONLINE),
    "away": status.make_set_status(Status.AWAY),
    "dnd": status.make_set_status(Status.DND),
    "offline": status.make_set_status(Status.OFFLINE),
    "status": status.custom_status,
    "devices": personal.devices,
    "sync": personal.sync,
    "link": account.link,
    "unlink": account.unlink,
    "tracking": account.tracking,
    "forget": account.forget,
    "help": show_help,
}

# "/presence", "/presence@SomeBot"; also the full-width slash a Chinese keyboard types.
_PREFIX = re.compile(r"^\s*[/／]presence(?:@(?P<bot>\w+))?(?=\s|$)", re.IGNORECASE)


def command_text(content: str, self_name: str | None) -> str | None:
    """The text after our command word, or None when the message is not a /presence for us."""
    match = _PREFIX.match(content)
    if match is None:
        return None
    addressed = match.group("bot")
    if addressed and (self_name is None or addressed.lower() != self_name.lower()):
        return None
    return content[match.end():]


async def route(ctx: Context, text: str) -> Reply | None:
    """Run the command; bad input becomes one localized error line plus the usage line."""
    topic = command_topic(text, ctx.session.mentions) or "presence"
    try:
        try:
            args = split_command(text, ctx.session.mentions)
        except UnbalancedQuoteError as quote:
            raise UsageError("error.unbalanced_quote", quote=quote.opener) from None
        reply = await _run(ctx, args)
    except UsageError as error:
        reply = ctx.reply(ctx.line(error.key, **error.values), ctx.line("usage.line", usage=ctx.text(f"usage.{topic}")))
    except StoreUnavailableError:
        return ctx.reply(ctx.line("error.unavailable"))
    except PresenceError as error:
        log.warning("presence refused %s: %s", topic, error)
        return ctx.reply(ctx.line("error.internal"))
    return _privately_if_personal(topic, reply)


def _privately_if_personal(name: str, reply: Reply | None) -> Reply | None:
    return replace(reply, private=True) if reply is not None and name in PERSONAL else reply


def command_topic(text: str, mentions: Mapping[str, str]) -> str | None:
    """What a command line asks for: a subcommand, "user", or "presence" when bare; None for an unknown word."""
    try:
        words = split_command(text, mentions)
    except UnbalancedQuoteError:
        words = text.split()
    if not words:
        return "presence"
    return resolve_subcommand(words[0]) or ("user" if _is_person(mentions, words[0]) else None)


def split_command(text: str, mentions: Mapping[str, str]) -> list[str]:
    """The arguments of a command line, each mention the platform resolved one argument whatever its
    length (a Telegram ``text_mention`` of "Ana Lima" is one person, not the command "Ana").

    Raises UnbalancedQuoteError like ``split_args``.
    """
    spans = sorted((m for m in mentions if len(m.split()) > 1), key=len, reverse=True)
    if not spans:
        return split_args(text)
    args: list[str] = []
    start = 0
    for match in re.finditer("|".join(map(re.escape, spans)), text):
        args += split_args(text[start:match.start()])
        args.append(match[0])
        start = match.end()
    return args + split_args(text[start:])


def _is_person(mentions: Mapping[str, str], word: str) -> bool:
    return word.startswith(("@", "<@")) or word in mentions


def _shown_name(ctx: Context, user_id: str, typed: str) -> str:
    """The name the platform gave for someone this message names, else what was typed (never an id)."""
    return ctx.session.names.get(user_id) or typed


async def _run(ctx: Context, args: Sequence[str]) -> Reply | None:
    session = ctx.session
    if not args:
        replied_to = session.reply_to_user_id
        if replied_to and replied_to != f"{session.platform}:{session.self_id}":
            return await status.show_user(ctx, replied_to, _shown_name(ctx, replied_to, replied_to))
        return await status.show_self(ctx, ())
    word, rest = args[0], args[1:]
    name = resolve_subcommand(word)
    if name is not None:
        return await HANDLERS[name](ctx, rest)
    if _is_person(session.mentions, word):
        return await _show_person(ctx, word, rest)
    suggestion = difflib.get_close_matches(word.lower(), known_words(), n=1, cutoff=0.6)
    if not suggestion:
        person = await ctx.service.find_in_channel(session.channel_id, word)
        if person is not None and not rest:
            return await status.show_user(ctx, person, word)
        raise UsageError("error.unknown_command", word=word)
    return await _did_you_mean(ctx, word, suggestion[0], rest)


async def _show_person(ctx: Context, word: str, rest: Sequence[str]) -> Reply:
    if rest:
        raise UsageError("error.unexpected", text=" ".join(rest))
    target = ctx.session.mentions.get(word) or await ctx.service.find_in_channel(ctx.session.channel_id, word)
    if target is None:
        raise UsageError("error.unknown_user", name=word)
    return await status.show_user(ctx, target, _shown_name(ctx, target, word))


async def _did_you_mean(ctx: Context, word: str, suggestion: str, rest: Sequence[str]) -> Reply | None:
    name = resolve_subcommand(suggestion) or suggestion
    await ctx.session.send(ctx.reply(ctx.line("error.did_you_mean", word=word, suggestion=suggestion),
                                     ctx.line("usage.line", usage=ctx.text(f"usage.{name}"))))
    answer = await ctx.session.prompt(ctx.options.prompt_timeout_s)
    if answer is None or answer.content.strip() != ".":
        return None
    if ctx.session.anonymous and name not in CHANNEL_LEVEL:
        return ctx.reply(ctx.line("anonymous.personal"))
    return _privately_if_personal(name, await HANDLERS[name](ctx, rest))
