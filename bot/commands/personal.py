"""Answers about the asker's own activity and devices: ``activity``, ``devices``, ``sync``."""

from __future__ import annotations

from collections.abc import Sequence

from presence_bot.commands.context import Context, UsageError, expect_no_more, is_word, read_duration
from presence_bot.parsing import read_count
from presence_bot.reply import Line, Reply
from presence_core.service import MAX_ACTIVITY_LIMIT

DEFAULT_ACTIVITY = 10
# How activity types are named in replies; other types (an operator's own) are shown as they are.
_NAMED_TYPES = frozenset({"message", "command", "interaction", "heartbeat", "reaction"})


async def activity(ctx: Context, args: Sequence[str]) -> Reply:
    """``activity [N] [since DURATION]``: N entries (10; with ``since`` as many as allowed), newest first."""
    limit, since, rest = None, None, list(args)
    if rest and not is_word(rest[0], "since"):
        word = rest.pop(0)
        limit = read_count(word)
        if limit is None or not 1 <= limit <= MAX_ACTIVITY_LIMIT:
            raise UsageError("error.bad_limit", text=word, max=MAX_ACTIVITY_LIMIT)
    if rest and is_word(rest[0], "since"):
        since = ctx.now() - read_duration(rest[1:])
        rest = []
    expect_no_more(rest)
    if limit is None:
        limit = DEFAULT_ACTIVITY if since is None else MAX_ACTIVITY_LIMIT
    events, more = await ctx.service.get_activity_page(ctx.user_id, limit=limit, since=since)
    if not events:
        return ctx.reply(ctx.line("activity.empty" if since is None else "activity.empty_since"))
    names = await ctx.service.get_channel_names(e.channel_id for e in events if e.channel_id is not None)
    lines: list[Line] = [ctx.line("activity.header", count=len(events))]
    for event in events:
        values = {"when": ctx.ago(event.timestamp),
                  "type": ctx.text(f"type.{event.type}") if event.type in _NAMED_TYPES else event.type}
        if event.channel_id is None:
            lines.append(ctx.line("activity.line_nowhere", **values))
        elif event.channel_id == ctx.session.channel_id:
            lines.append(ctx.line("activity.line_here", **values))
        elif event.channel_id in names:
            lines.append(ctx.line("activity.line", channel=names[event.channel_id], **values))
        else:
            lines.append(ctx.line("activity.line_direct", **values))
    if more:
        key = "activity.more_since" if since is not None and limit == MAX_ACTIVITY_LIMIT else "activity.more"
        lines.append(ctx.line(key, count=limit, max=MAX_ACTIVITY_LIMIT))
    return ctx.reply(*lines)


async def devices(ctx: Context, args: Sequence[str]) -> Reply:
    expect_no_more(args)
    found = await ctx.service.get_devices(ctx.user_id)
    if not found:
        return ctx.reply(ctx.line("devices.empty"))
    lines: list[Line] = [ctx.line("devices.header", count=len(found))]
    for device in found:
        key = "devices.active" if device.is_active else "devices.stale" if device.is_stale else "devices.line"
        lines.append(ctx.line(key, name=device.name, icon=ctx.icon(device.status),
                              status=ctx.status_name(device.status), when=ctx.ago(device.last_seen)))
    return ctx.reply(*lines)


async def sync(ctx: Context, args: Sequence[str]) -> Reply:
    expect_no_more(args)
    result = await ctx.service.sync(ctx.user_id)
    lines = [ctx.line("sync.done", synced=result.synced, total=result.total, count=result.total,
                      when=ctx.ago(result.last_sync))]
    stale = sum(d.is_stale for d in await ctx.service.get_devices(ctx.user_id))
    if stale:
        lines.append(ctx.line("sync.stale", count=stale, age=ctx.duration(ctx.service.policy.stale_after_ms)))
    return ctx.reply(*lines)
