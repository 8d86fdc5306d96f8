"""Availability for work from chat (SPEC section 12): ``capacity``, ``take``, ``done``, ``skills``,
``hours``, ``available``, ``pick``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from presence_bot import hours_text
from presence_bot.commands.context import Context, UsageError, expect_no_more, is_word
from presence_bot.parsing import read_count
from presence_bot.reply import Line, Reply
from presence_core import AvailabilityInfo, AvailableUser, InvalidArgumentError, OnlineUser, OverCapacityError, Status
from presence_core.availability import MAX_CAPACITY, MAX_LOAD, MAX_SKILLS, MAX_SKILL_LENGTH, normalize_skills
from presence_core.desk import MAX_TAKE

# How many people ``available`` lists before "…and N more".
AVAILABLE_SHOWN = 15


def _number(ctx: Context, word: str, limit: int) -> int:
    value = read_count(word)
    if value is None or not 1 <= value <= limit:
        raise UsageError("error.bad_limit", text=word, max=limit)
    return value


def load_text(ctx: Context, load: int, capacity: int | None) -> str:
    """``3/5``, ``full``, or the bare load for someone without a capacity."""
    if capacity is None:
        return str(load)
    if load >= capacity:
        return ctx.text("desk.full", load=load, capacity=capacity)
    return f"{load}/{capacity}"


def availability_suffix(ctx: Context, user: OnlineUser) -> Line:
    """What ``who`` adds beside people who use availability: ``3/5``, ``full``, ``off hours``."""
    suffix: Line = ()
    if user.capacity is not None:
        suffix += ctx.line("desk.who_load", load=load_text(ctx, user.load, user.capacity))
    if user.off_hours:
        suffix += ctx.line("desk.who_off_hours")
    return suffix


async def _state(ctx: Context, info: AvailabilityInfo) -> Reply:
    """Whether the asker can take work now and, when not, why, from their own state.

    The reason is private when it is something others cannot see (invisible, tracking off); load,
    capacity, status and off hours are what ``who`` already shows the channel.
    """
    load = load_text(ctx, info.load, info.capacity)
    if info.available:
        return ctx.reply(ctx.line("desk.available", load=load))
    me = await ctx.service.get_status(ctx.user_id, viewer_id=ctx.user_id)
    hidden = me.invisible or not me.tracking
    if not me.tracking:
        reason = "tracking_off"
    elif me.invisible:
        reason = "invisible"
    elif me.status is not Status.ONLINE:
        reason = me.status.value
    elif info.hours and not info.within_hours:
        reason = "off_hours"
    elif info.capacity is not None and info.load >= info.capacity:
        reason = "full"
    else:
        return ctx.reply(ctx.line("desk.not_available", load=load))
    return ctx.reply(ctx.line("desk.not_available_because", load=load, reason=ctx.text(f"desk.reason.{reason}")),
                     private=hidden)


async def capacity(ctx: Context, args: Sequence[str]) -> Reply:
    if not args:
        info = await ctx.service.get_availability(ctx.user_id)
        # Settings a linked account may have made: not for a group that knows only this one.
        return _as_private(ctx.reply(_settings_line(ctx, info)) + await _state(ctx, info), await ctx.linked_here())
    expect_no_more(args[1:])
    if is_word(args[0], "off"):
        info = await ctx.service.set_capacity(ctx.user_id, None)
        if not info.uses_availability:
            return ctx.reply(ctx.line("desk.capacity_off"), ctx.line("desk.off_the_desk"))
        return ctx.reply(ctx.line("desk.capacity_off")) + await _state(ctx, info)
    info = await ctx.service.set_capacity(ctx.user_id, _number(ctx, args[0], MAX_CAPACITY))
    return ctx.reply(ctx.line("desk.capacity_set", capacity=info.capacity)) + await _state(ctx, info)


def _as_private(reply: Reply, private: bool) -> Reply:
    return replace(reply, private=True) if private else reply


def _settings_line(ctx: Context, info: AvailabilityInfo) -> Line:
    if info.capacity is None:
        return ctx.line("desk.capacity_none", load=info.load)
    return ctx.line("desk.capacity_is", load=info.load, capacity=info.capacity)


def _take_args(ctx: Context, args: Sequence[str]) -> tuple[int, bool]:
    """``[N] [force]`` in any order."""
    n, force = 1, False
    for word in args:
        if is_word(word, "force"):
            force = True
        else:
            n = _number(ctx, word, MAX_TAKE)
    if len(args) > 2:
        raise UsageError("error.unexpected", text=" ".join(args[2:]))
    return n, force


async def _changed_state(ctx: Context, before: AvailabilityInfo) -> Reply:
    """The asker's state after a change of load, when whether they can take work changed; else nothing."""
    after = await ctx.service.get_availability(ctx.user_id)
    return await _state(ctx, after) if after.available != before.available else ctx.reply()


async def take(ctx: Context, args: Sequence[str]) -> Reply:
    n, force = _take_args(ctx, args)
    before = await ctx.service.get_availability(ctx.user_id)
    try:
        load = await ctx.service.take(ctx.user_id, n, force=force)
    except OverCapacityError as full:
        raise UsageError("desk.take_refused", load=full.load, capacity=full.capacity or 0, n=n) from None
    return (ctx.reply(ctx.line("desk.took", count=n, load=load_text(ctx, load.load, load.capacity)))
            + await _changed_state(ctx, before))


async def done(ctx: Context, args: Sequence[str]) -> Reply:
    n = 1
    if args:
        expect_no_more(args[1:])
        n = MAX_LOAD if is_word(args[0], "all") else _number(ctx, args[0], MAX_TAKE)
    before = await ctx.service.get_availability(ctx.user_id)
    if before.load == 0:
        return ctx.reply(ctx.line("desk.done_nothing"))
    load = await ctx.service.done(ctx.user_id, n)
    return (ctx.reply(ctx.line("desk.done", load=load_text(ctx, load.load, load.capacity)))
            + await _changed_state(ctx, before))


async def skills(ctx: Context, args: Sequence[str]) -> Reply:
    if not args:
        info = await ctx.service.get_availability(ctx.user_id)
        shown = ctx.line("desk.skills_are", skills=", ".join(info.skills)) if info.skills else ctx.line("desk.skills_none")
        return _as_private(ctx.reply(shown), await ctx.linked_here())
    if len(args) == 1 and is_word(args[0], "clear"):
        await ctx.service.set_skills(ctx.user_id, [])
        return ctx.reply(ctx.line("desk.skills_cleared"))
    tags = [t for arg in args for t in arg.replace("，", ",").replace("、", ",").split(",") if t.strip()]
    try:
        stored = normalize_skills(tags)
    except InvalidArgumentError:
        raise UsageError("desk.bad_skills", max=MAX_SKILLS, length=MAX_SKILL_LENGTH) from None
    info = await ctx.service.set_skills(ctx.user_id, stored)
    return ctx.reply(ctx.line("desk.skills_set", skills=", ".join(info.skills)))


async def hours(ctx: Context, args: Sequence[str]) -> Reply:
    if not args:
        info = await ctx.service.get_availability(ctx.user_id)
        shown = _hours_line(ctx, info) if info.hours else ctx.line("hours.none")
        return _as_private(ctx.reply(shown), await ctx.linked_here())
    if len(args) == 1 and is_word(args[0], "off"):
        await ctx.service.set_hours(ctx.user_id, None)
        return ctx.reply(ctx.line("hours.cleared"))
    try:
        parsed = hours_text.parse(args)
    except hours_text.HoursTextError as bad:
        raise UsageError(bad.key, **bad.values) from None
    zone = parsed.zone or (await ctx.service.get_availability(ctx.user_id)).hours_zone or "UTC"
    info = await ctx.service.set_hours(ctx.user_id, parsed.intervals, zone)
    # A zone not typed here is the one saved before, maybe from a linked account: shown only privately.
    return _as_private(ctx.reply(_hours_line(ctx, info)), parsed.zone is None and await ctx.linked_here())


def _hours_line(ctx: Context, info: AvailabilityInfo) -> Line:
    key = "hours.set_within" if info.within_hours else "hours.set_outside"
    return ctx.line(key, hours=hours_text.describe(ctx.locale, info.hours), zone=info.hours_zone or "UTC")


def _skill_arg(args: Sequence[str]) -> str | None:
    expect_no_more(args[1:])
    return args[0] if args else None


def _person_line(ctx: Context, user: AvailableUser) -> Line:
    name = ctx.person_name(user.name)
    return ctx.line("desk.line", name=name, load=load_text(ctx, user.load, user.capacity),
                    skills=", ".join(user.skills) or "—")


async def available(ctx: Context, args: Sequence[str]) -> Reply:
    skill = _skill_arg(args)
    people = await ctx.service.get_available(ctx.session.channel_id, skill, viewer_id=ctx.user_id)
    if not people:
        return ctx.reply(ctx.line("desk.nobody_skill" if skill else "desk.nobody", skill=skill or ""))
    header = ctx.line("desk.header_skill" if skill else "desk.header", count=len(people), skill=skill or "")
    lines = [header, *(_person_line(ctx, p) for p in people[:AVAILABLE_SHOWN])]
    if len(people) > AVAILABLE_SHOWN:
        lines.append(ctx.line("desk.more", count=len(people) - AVAILABLE_SHOWN))
    return ctx.reply(*lines)


async def pick(ctx: Context, args: Sequence[str]) -> Reply:
    skill = _skill_arg(args)
    chosen = await ctx.service.pick(ctx.session.channel_id, skill, viewer_id=ctx.user_id)
    if chosen is None:
        return ctx.reply(ctx.line("desk.nobody_skill" if skill else "desk.nobody", skill=skill or ""))
    name = ctx.person_name(chosen.name)
    load = str(chosen.load) if chosen.capacity is None else f"{chosen.load}/{chosen.capacity}"
    return ctx.reply(ctx.line("desk.picked", name=name, load=load), ping=chosen.user_id)
