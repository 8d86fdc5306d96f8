"""The /presence command router: finds our command in a message, picks the handler, answers errors."""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from presence_bot.catalog import CHANNEL_LEVEL, PERSONAL, aliases_of, known_words, listed_words, resolve_subcommand
from presence_bot.commandline import read_command, separate
from presence_bot.commands import (
    account,
    availability,
    people,
    personal,
    privacy,
    status,
    tokens,
    watches,
    who,
)
from presence_bot.commands.context import Context, Handler, PrivateChatNeededError, UsageError
from presence_bot.commands.help import show_help
from presence_bot.parsing import UnbalancedQuoteError, fold, split_args
from presence_bot.reply import Reply
from presence_bot.session import Session
from presence_bot.text import echo
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
    "privacy": privacy.privacy,
    "forget": account.forget,
    "capacity": availability.capacity,
    "take": availability.take,
    "done": availability.done,
    "skills": availability.skills,
    "hours": availability.hours,
    "available": availability.available,
    "pick": availability.pick,
    "notify": watches.notify,
    "watchers": watches.watchers,
    "token": tokens.token,
    "tokens": tokens.tokens,
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
    try:
        args = split_command(separate(text), ctx.session.mentions)
    except UnbalancedQuoteError as quote:
        topic = command_topic(text, ctx.session.mentions) or "presence"
        return _answer_error(ctx, topic, UsageError("error.unbalanced_quote", quote=quote.opener))
    name, rest = read_command(args)
    if name is not None:
        return await run_command(ctx, name, rest, bare=not args)
    if _is_person(ctx.session.mentions, args[0]):
        return await run_command(ctx, "user", args)
    return await _unknown_word(ctx, args[0], args[1:])


async def run_command(ctx: Context, topic: str, args: Sequence[str], *, bare: bool = False) -> Reply | None:
    """One resolved command (a subcommand, "user" or "presence"), its errors answered with its usage line.

    Whether the answer is private follows from the command alone, decided before it runs, so its
    errors (which may list the asker's own data) are as private as its answers.
    """
    try:
        reply = await _dispatch(ctx, topic, args, bare)
    except PrivateChatNeededError:
        # Says nothing about the asker, and must reach them where they asked.
        return ctx.reply(ctx.line("private.ask_in_private"))
    except UsageError as error:
        reply = _answer_error(ctx, topic, error)
    except StoreUnavailableError:
        reply = ctx.reply(ctx.line("error.unavailable"))
    except PresenceError as error:
        log.warning("presence refused %s: %s", topic, error)
        reply = ctx.reply(ctx.line("error.internal"))
    return replace(reply, private=True) if topic in PERSONAL and reply is not None else reply


def _answer_error(ctx: Context, topic: str, error: UsageError) -> Reply:
    """One localized line for the error and the usage line of the command; private for personal commands."""
    durations = {name: ctx.duration(ms) for name, ms in error.durations.items()}
    return ctx.reply(ctx.line(error.key, **error.values, **durations),
                     ctx.line("usage.line", usage=ctx.text(f"usage.{topic}")),
                     private=topic in PERSONAL)


async def _dispatch(ctx: Context, topic: str, args: Sequence[str], bare: bool) -> Reply | None:
    if topic == "user":
        return await _show_person(ctx, args[0], args[1:])
    if topic == "presence":
        replied_to = ctx.session.reply_to_user_id
        if bare and replied_to and replied_to != f"{ctx.session.platform}:{ctx.session.self_id}":
            return await status.show_user(ctx, replied_to)
        return await status.show_self(ctx, args)
    return await HANDLERS[topic](ctx, args)


def command_topic(text: str, mentions: Mapping[str, str]) -> str | None:
    """What a command line asks for: a subcommand, "user", or "presence" when bare; None for an unknown word."""
    words = separate(text).split()
    name, _ = read_command(words[:1])
    if name is not None or not words:
        return name
    return "user" if _is_person(mentions, _first_argument(text, mentions)) else None


def may_be_private(session: Session) -> bool:
    """Whether the answer to this /presence command may be private, known before anything is sent.

    Personal subcommands always are; so is a view of oneself (it is private while one is invisible
    or not tracked, which only the store can tell). Adapters that must commit to a visibility early
    (Discord's deferral) use this.
    """
    text = command_text(session.content, session.self_name)
    if text is None:
        return False
    topic = command_topic(text, session.mentions)
    if topic in PERSONAL:
        return True
    if topic == "presence":
        replied_to = session.reply_to_user_id
        bare = not text.split()
        return not bare or replied_to in (None, session.user_id, f"{session.platform}:{session.self_id}")
    if topic == "user":
        return session.mentions.get(_first_argument(text, session.mentions)) == session.user_id
    return False


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


def _first_argument(text: str, mentions: Mapping[str, str]) -> str:
    try:
        args = split_command(text, mentions)
    except UnbalancedQuoteError:
        args = text.split()
    return args[0] if args else ""


def _is_person(mentions: Mapping[str, str], word: str) -> bool:
    return word.startswith(("@", "<@")) or word in mentions


async def _unknown_word(ctx: Context, word: str, rest: Sequence[str]) -> Reply | None:
    """A first word that names no command: "did you mean …?", else the one person the asker may see by that name."""
    suggestion = difflib.get_close_matches(fold(word), known_words(), n=1, cutoff=0.6)
    if suggestion:
        return await _did_you_mean(ctx, word, suggestion[0], rest)
    if not rest:
        try:
            return await status.show_user(ctx, await people.person(ctx, word), word)
        except UsageError as error:
            if error.key == "error.ambiguous_user":
                return _answer_error(ctx, "user", error)
    return _answer_error(ctx, "presence", UsageError("error.unknown_command", word=word))


async def _show_person(ctx: Context, word: str, rest: Sequence[str]) -> Reply:
    if rest:
        raise UsageError("error.unexpected", text=" ".join(rest))
    target = await people.person(ctx, word)
    return await status.show_user(ctx, target, word)


async def _did_you_mean(ctx: Context, word: str, suggestion: str, rest: Sequence[str]) -> Reply | None:
    """Ask; a ``.`` runs the suggested command exactly as if it had been typed."""
    name = resolve_subcommand(suggestion) or suggestion
    shown = suggestion if suggestion in listed_words() else next(iter(aliases_of(ctx.locale, name)), name)
    await ctx.session.send(ctx.reply(ctx.line("error.did_you_mean", word=echo(word), suggestion=shown),
                                     ctx.line("usage.line", usage=ctx.text(f"usage.{name}"))))
    answer = await ctx.session.prompt(ctx.options.prompt_timeout_s)
    if answer is None or answer.content.strip() != ".":
        return None
    if ctx.session.anonymous and name not in CHANNEL_LEVEL:
        return ctx.reply(ctx.line("anonymous.personal"))
    return await run_command(ctx, name, rest)
