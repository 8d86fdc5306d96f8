"""Answers about the asker's own activity and devices: ``activity``, ``devices``, ``sync``."""

from __future__ import annotations

from collections.abc import Sequence

from presence_bot.commands.context import Context, UsageError, expect_no_more, read_duration, words
from presence_bot.reply import Line, Reply
from presence_core.service import MAX_ACTIVITY_LIMIT

DEFAULT_ACTIVITY = 10


async def activity(ctx: Context, args: Sequence[str]) -> Reply:
    limit, since, rest = DEFAULT_ACTIVITY, None, list(args)
    if rest and rest[0].lower() not in words("since"):
        word = rest.pop(0)
        if not word.isdecimal() or not 1 <= int(word) <= MAX_ACTIVITY_LIMIT:
            raise UsageError("error.bad_limit", text=word, max=MAX_ACTIVITY_LIMIT)
        limit = int(word)
    if rest and rest[0].lower() in words("since"):
        if len(rest) < 2:
            raise UsageError("error.bad_duration", text="")
        since = ctx.now() - read_duration(rest[1:])
        rest = []
    expect_no_more(rest)
    events = await ctx.service.get_activity(ctx.user_id, limit=limit, since=since)
    if not events:
        return ctx.reply(ctx.line("activity.empty"))
    lines: list[Line] = [ctx.line("activity.header", count=len(events))]
    for event in events:
        values = {"when": ctx.ago(event.timestamp), "type": ctx.text(f"type.{event.type}")
                  if event.type in ("message", "command", "interaction", "heartbeat", "reaction") else event.type}
        if event.channel_id is None:
            lines.append(ctx.line("activity.line_nowhere", **values))
        elif event.channel_id == ctx.session.channel_id:
            lines.append(ctx.line("activity.line_here", **values))
        else:
            lines.append(ctx.line("activity.line", channel=event.channel_id, **values))
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
    lines = [ctx.line("sync.done", synced=result.synced, total=result.total, when=ctx.ago(result.last_sync))]
    stale = sum(d.is_stale for d in await ctx.service.get_devices(ctx.user_id))
    if stale:
        lines.append(ctx.line("sync.stale", count=stale, age=ctx.duration(ctx.service.policy.stale_after_ms)))
    return ctx.reply(*lines)
