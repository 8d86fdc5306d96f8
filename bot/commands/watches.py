"""Watches from chat (SPEC section 12): ``notify @user [for DURATION]``, ``notify``, ``notify cancel @user``,
``watchers``. Answers are private: who watches whom is nobody else's business."""

from __future__ import annotations

from collections.abc import Sequence

from presence_bot.commands import people
from presence_bot.commands.context import Context, UsageError, expect_no_more, read_duration, words
from presence_bot.reply import Line, Reply
from presence_core import TooManyWatchesError, UnknownPersonError, Watch
from presence_core.watches import DEFAULT_WATCH_MS, MAX_WATCH_MS


async def _names(ctx: Context, accounts: Sequence[str], typed: str | None = None) -> dict[str, str]:
    """What the answer calls each account (``people.called``); ``typed``: the word the asker used for
    the one person a command names."""
    statuses = await ctx.service.get_statuses(list(dict.fromkeys(accounts)), viewer_id=ctx.user_id)
    return {a: people.called(ctx, a, s.name, typed) for a, s in statuses.items()}


async def notify(ctx: Context, args: Sequence[str]) -> Reply:
    if not args:
        return await _list(ctx)
    if args[0].lower() in words("cancel"):
        if len(args) < 2:
            raise UsageError("error.missing_user")
        expect_no_more(args[2:])
        target = await people.person(ctx, args[1])
        name = (await _names(ctx, [target], args[1]))[target]
        cancelled = await ctx.service.unwatch(ctx.user_id, target)
        return ctx.reply(ctx.line("watch.cancelled" if cancelled else "watch.not_watching", name=name))
    target = await people.person(ctx, args[0])
    rest = list(args[1:])
    if rest and rest[0].lower() in words("for"):
        rest = rest[1:]
        if not rest:
            raise UsageError("error.bad_duration", text="")
    ms = read_duration(rest, longest=MAX_WATCH_MS) if rest else DEFAULT_WATCH_MS
    name = (await _names(ctx, [target], args[0]))[target]
    if target == ctx.user_id:
        raise UsageError("watch.self")
    try:
        made = await ctx.service.watch(ctx.user_id, target, ctx.session.channel_id, duration_ms=ms,
                                       locale=ctx.locale)
    except UnknownPersonError:
        raise UsageError("error.unknown_user", name=args[0]) from None
    except TooManyWatchesError as limit:
        raise UsageError("watch.too_many", max=limit.limit) from None
    if made is None:
        return ctx.reply(ctx.line("watch.already", name=name))
    return ctx.reply(ctx.line("watch.set", name=name, duration=ctx.duration(ms)))


async def _list(ctx: Context) -> Reply:
    made = await ctx.service.get_watches(ctx.user_id)
    if not made:
        return ctx.reply(ctx.line("watch.none"))
    names = await _names(ctx, [w.target_id for w in made])
    lines: list[Line] = [ctx.line("watch.header", count=len(made))]
    lines += [ctx.line("watch.line", name=names[w.target_id], remaining=ctx.until(w.expires_at)) for w in made]
    return ctx.reply(*lines)


async def watchers(ctx: Context, args: Sequence[str]) -> Reply:
    expect_no_more(args)
    found: list[Watch] = await ctx.service.get_watchers(ctx.user_id)
    if not found:
        return ctx.reply(ctx.line("watch.no_watchers"))
    names = await _names(ctx, [w.watcher_id for w in found])
    lines: list[Line] = [ctx.line("watch.watchers", count=len(found))]
    lines += [ctx.line("watch.watcher_line", name=names[w.watcher_id], remaining=ctx.until(w.expires_at))
              for w in found]
    return ctx.reply(*lines)
