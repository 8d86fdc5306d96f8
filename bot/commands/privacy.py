"""``/presence privacy [shared|nobody]``: who sees the asker's last seen and custom status (SPEC section 7)."""

from __future__ import annotations

from collections.abc import Sequence

from presence_bot.commands.context import Context, UsageError, words
from presence_bot.reply import Reply
from presence_core.models import PRIVACY_CHOICES


async def privacy(ctx: Context, args: Sequence[str]) -> Reply:
    if not args:
        current = await ctx.service.get_privacy(ctx.user_id)
        return ctx.reply(ctx.line(f"privacy.is_{current}"), ctx.line("privacy.choose"))
    chosen = [choice for choice in PRIVACY_CHOICES if len(args) == 1 and args[0].lower() in words(choice)]
    if not chosen:
        raise UsageError("privacy.bad_choice")
    await ctx.service.set_privacy(ctx.user_id, chosen[0])
    return ctx.reply(ctx.line(f"privacy.set_{chosen[0]}"))
