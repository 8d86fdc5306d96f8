"""Reading and setting status: ``/presence``, ``/presence @user``, ``online|away|dnd|offline``, ``status``."""

from __future__ import annotations

from collections.abc import Sequence

from presence_bot.commands import people
from presence_bot.commands.context import (
    Context,
    Handler,
    UsageError,
    expect_no_more,
    glued_lead,
    is_word,
    read_duration,
)
from presence_bot.parsing import parse_duration
from presence_bot.reply import Line, Reply
from presence_bot.text import sanitize
from presence_core import EmptyTextError, Status, TextTooLongError, UserStatus
from presence_core.text import visible_length


async def show_self(ctx: Context, args: Sequence[str]) -> Reply:
    expect_no_more(args)
    me = await ctx.service.get_status(ctx.user_id, viewer_id=ctx.user_id)
    lines: list[Line] = [_status_line(ctx, me)]
    if me.custom_status:
        lines.append(_custom_line(ctx, "me", me))
    lines.append(ctx.line("me.last_seen", when=ctx.ago(me.last_seen)))
    devices = await ctx.service.get_devices(ctx.user_id)
    active = next((d for d in devices if d.is_active), None)
    if active is not None:
        lines.append(ctx.line("me.active_device", device=active.name, count=me.device_count))
    if not me.tracking:
        lines.append(ctx.line("me.tracking_off"))
    # What others could not see (invisible, tracking off, devices of linked accounts) stays out of a group.
    return ctx.reply(*lines, private=me.invisible or not me.tracking or await ctx.linked_here())


def _status_line(ctx: Context, me: UserStatus) -> Line:
    if me.invisible:
        if me.expires_at:
            return ctx.line("me.invisible_until", remaining=ctx.until(me.expires_at))
        return ctx.line("me.invisible")
    values = {"icon": ctx.icon(me.status), "status": ctx.status_name(me.status)}
    if me.manual and me.expires_at:
        return ctx.line("me.status_manual_until", remaining=ctx.until(me.expires_at), **values)
    return ctx.line("me.status_manual" if me.manual else "me.status", **values)


def _custom_line(ctx: Context, prefix: str, status: UserStatus) -> Line:
    if prefix == "me" and status.custom_status_expires_at:
        return ctx.line("me.custom_until", text=status.custom_status,
                        remaining=ctx.until(status.custom_status_expires_at))
    return ctx.line(f"{prefix}.custom", text=status.custom_status)


async def show_user(ctx: Context, target_id: str, typed: str | None = None) -> Reply:
    """Someone's status as the asker may see it; ``typed``: the word the asker named them by."""
    if target_id == ctx.user_id:
        return await show_self(ctx, ())
    them = await ctx.service.get_status(target_id, viewer_id=ctx.user_id, channel_id=ctx.asked_from)
    name = people.called(ctx, target_id, them.name, typed)
    lines: list[Line] = [ctx.line("user.status", icon=ctx.icon(them.status), name=name,
                                  status=ctx.status_name(them.status))]
    if them.custom_status:
        lines.append(_custom_line(ctx, "user", them))
    if them.last_seen is not None:
        lines.append(ctx.line("user.last_seen", when=ctx.ago(them.last_seen, exact=False,
                                                              coarse=them.last_seen_coarse)))
    return ctx.reply(*lines)


def make_set_status(status: Status) -> Handler:
    """One handler per status word, so ``dnd 2h``, ``dnd for 2h`` and ``away`` share the same rules."""
    async def set_status(ctx: Context, args: Sequence[str]) -> Reply:
        if status is Status.ONLINE:
            if args:
                timed = parse_duration(" ".join(args)) is not None or is_word(args[0], "for")
                raise UsageError("error.online_expiry" if timed else "error.unexpected", text=" ".join(args))
            await ctx.service.set_status(ctx.user_id, status)
            return ctx.reply(ctx.line("set.automatic", away=ctx.duration(ctx.service.policy.away_after_ms)))
        values = {"icon": ctx.icon(status), "status": ctx.status_name(status)}
        if not args:
            await ctx.service.set_status(ctx.user_id, status)
            return ctx.reply(ctx.line("set.done", **values))
        if len(args) == 1 and is_word(args[0], "off"):
            # "dnd off" means "no longer dnd": that is going back to automatic.
            raise UsageError("error.status_off", text=args[0])
        ms = read_duration(args, lead="for")
        await ctx.service.set_status(ctx.user_id, status, expires_at_ms=ctx.now() + ms)
        return ctx.reply(ctx.line("set.done_until", duration=ctx.duration(ms), **values))
    return set_status


def split_expiry(args: Sequence[str]) -> tuple[list[str], int | None]:
    """``Out for lunch`` is text; ``in a meeting for 2h`` is text and an expiry.

    ``for`` (or ``持续``) introduces an expiry only when everything after it reads as a duration;
    the last such ``for`` counts, so ``out for a walk for 1h`` keeps "out for a walk".
    """
    for index in range(len(args) - 2, -1, -1):
        if is_word(args[index], "for") and parse_duration(" ".join(args[index + 1:])) is not None:
            return list(args[:index]), read_duration(args[index + 1:])
    glued = glued_lead(args[-1], "for") if args else None
    if glued is not None:
        return list(args[:-1]), read_duration([glued])
    return list(args), None


async def custom_status(ctx: Context, args: Sequence[str]) -> Reply:
    if len(args) == 1 and is_word(args[0], "clear"):
        await ctx.service.clear_custom_status(ctx.user_id)
        return ctx.reply(ctx.line("custom.cleared"))
    words_, ms = split_expiry(args)
    text = sanitize(" ".join(words_))
    if not text:
        raise UsageError("error.missing_text")
    limit, length = ctx.service.policy.custom_status_max_len, visible_length(text)
    if length > limit:
        raise UsageError("error.text_too_long", length=length, limit=limit)
    try:
        await ctx.service.set_custom_status(ctx.user_id, text,
                                            expires_at_ms=None if ms is None else ctx.now() + ms)
    except TextTooLongError:
        raise UsageError("error.text_too_long", length=length, limit=limit) from None
    except EmptyTextError:
        raise UsageError("error.missing_text") from None
    if ms is None:
        return ctx.reply(ctx.line("custom.set", text=text))
    return ctx.reply(ctx.line("custom.set_until", text=text, duration=ctx.duration(ms)))
