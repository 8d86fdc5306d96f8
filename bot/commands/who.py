"""``/presence who``: who is around in this channel, never anyone from elsewhere."""

from __future__ import annotations

from collections.abc import Sequence

from presence_bot.commands.availability import availability_suffix
from presence_bot.commands.context import Context, expect_no_more
from presence_bot.reply import Line, Reply


async def who(ctx: Context, args: Sequence[str]) -> Reply:
    expect_no_more(args)
    here = await ctx.service.get_channel_presence(ctx.session.channel_id, limit=ctx.options.who_limit,
                                                  viewer_id=ctx.user_id)
    if not here.users:
        return ctx.reply(ctx.line("who.empty"))
    lines: list[Line] = [ctx.line("who.header", count=len(here.users))]
    for user in here.users:
        name = ctx.person_name(user.name)
        values = {"icon": ctx.icon(user.status), "name": name, "status": ctx.status_name(user.status)}
        if user.custom_status:
            line = ctx.line("who.line_custom", custom=user.custom_status, **values)
        else:
            line = ctx.line("who.line", **values)
        lines.append(line + availability_suffix(ctx, user))
    if here.more:
        lines.append(ctx.line("who.more", count=here.more))
    return ctx.reply(*lines)
