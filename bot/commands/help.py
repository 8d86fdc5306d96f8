"""``/presence help [COMMAND]``."""

from __future__ import annotations

from collections.abc import Sequence

from presence_bot import i18n
from presence_bot.catalog import SUBCOMMANDS, aliases_of, resolve_subcommand
from presence_bot.commands.context import Context, UsageError, expect_no_more
from presence_bot.parsing import fold
from presence_bot.reply import Line, Reply

# Every entry in the help list: the bare command, looking someone up, then the subcommands.
TOPICS = ("presence", "user", *SUBCOMMANDS)


async def show_help(ctx: Context, args: Sequence[str]) -> Reply:
    """The list of commands with the words the reader's language also understands, or one command."""
    if args:
        expect_no_more(args[1:])
        topic = resolve_subcommand(args[0]) or fold(args[0])
        if topic not in TOPICS:
            raise UsageError("error.unknown_command", word=args[0])
        return ctx.reply(help_line(ctx, topic), *_details(ctx, topic))
    return ctx.reply(ctx.line("help.header"), *(help_line(ctx, t) for t in TOPICS), ctx.line("help.durations"),
                     ctx.line("help.more"))


def _details(ctx: Context, topic: str) -> list[Line]:
    """More about a topic, where its locale file says more (``help.details.<topic>``, ``<topic>.docs``)."""
    keys = (f"help.details.{topic}", f"{topic}.docs")
    return [ctx.line(key) for key in keys if key in i18n.catalog(ctx.locale)]


def help_line(ctx: Context, topic: str) -> Line:
    values = {"usage": ctx.text(f"usage.{topic}"), "description": ctx.text(f"help.{topic}")}
    aliases = aliases_of(ctx.locale, topic)
    if aliases:
        return ctx.line("help.line_aliases", aliases=aliases, **values)
    return ctx.line("help.line", **values)
