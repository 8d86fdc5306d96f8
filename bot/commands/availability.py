"""Availability for work from chat (SPEC section 12): ``capacity``, ``take``, ``done``, ``skills``,
``hours``, ``available``, ``pick``."""

from __future__ import annotations

from collections.abc import Sequence

from presence_bot import hours_text
from presence_bot.commands.context import Context, UsageError, expect_no_more, words
from presence_bot.reply import Line, Reply
from presence_bot.text import sanitize
from presence_core import AvailabilityInfo, AvailableUser, InvalidArgumentError, OnlineUser, OverCapacityError, Workload
from presence_core.availability import MAX_CAPACITY, MAX_SKILLS, MAX_SKILL_LENGTH, normalize_skills
from presence_core.desk import MAX_TAKE

# How many people ``available`` lists before "…and N more".
AVAILABLE_SHOWN = 15


def _number(ctx: Context, word: str, limit: int) -> int:
    if not word.isdecimal() or not 1 <= int(word) <= limit:
        raise UsageError("error.bad_limit", text=word, max=limit)
    return int(word)


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


def _state_line(ctx: Context, info: AvailabilityInfo | Workload) -> Line:
    key = "desk.available" if info.available else "desk.not_available"
    return ctx.line(key, load=load_text(ctx, info.load, info.capacity))


async def capacity(ctx: Context, args: Sequence[str]) -> Reply:
    if not args:
        info = await ctx.service.get_availability(ctx.user_id)
        return ctx.reply(_settings_line(ctx, info), _state_line(ctx, info))
    expect_no_more(args[1:])
    word = args[0].lower()
    if word in words("off"):
        info = await ctx.service.set_capacity(ctx.user_id, None)
        return ctx.reply(ctx.line("desk.capacity_off"), _state_line(ctx, info))
    info = await ctx.service.set_capacity(ctx.user_id, _number(ctx, word, MAX_CAPACITY))
    return ctx.reply(ctx.line("desk.capacity_set", capacity=info.capacity), _state_line(ctx, info))


def _settings_line(ctx: Context, info: AvailabilityInfo) -> Line:
    if info.capacity is None:
        return ctx.line("desk.capacity_none", load=info.load)
    return ctx.line("desk.capacity_is", load=info.load, capacity=info.capacity)


def _take_args(ctx: Context, args: Sequence[str]) -> tuple[int, bool]:
    """``[N] [force]`` in any order."""
    n, force = 1, False
    for word in args:
        if word.lower() in words("force"):
            force = True
        else:
            n = _number(ctx, word, MAX_TAKE)
    if len(args) > 2:
        raise UsageError("error.unexpected", text=" ".join(args[2:]))
    return n, force


async def take(ctx: Context, args: Sequence[str]) -> Reply:
    n, force = _take_args(ctx, args)
    try:
        load = await ctx.service.take(ctx.user_id, n, force=force)
    except OverCapacityError as full:
        raise UsageError("desk.take_refused", load=full.load, capacity=full.capacity or 0, n=n) from None
    return ctx.reply(ctx.line("desk.took", count=n, load=load_text(ctx, load.load, load.capacity)),
                     _state_line(ctx, load))


async def done(ctx: Context, args: Sequence[str]) -> Reply:
    n = 1
    if args:
        expect_no_more(args[1:])
        n = 10 * MAX_CAPACITY if args[0].lower() in words("all") else _number(ctx, args[0], MAX_TAKE)
    load = await ctx.service.done(ctx.user_id, n)
    return ctx.reply(ctx.line("desk.done", load=load_text(ctx, load.load, load.capacity)), _state_line(ctx, load))


async def skills(ctx: Context, args: Sequence[str]) -> Reply:
    if not args:
        info = await ctx.service.get_availability(ctx.user_id)
        if not info.skills:
            return ctx.reply(ctx.line("desk.skills_none"))
        return ctx.reply(ctx.line("desk.skills_are", skills=", ".join(info.skills)))
    if len(args) == 1 and args[0].lower() in words("clear"):
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
        if not info.hours:
            return ctx.reply(ctx.line("hours.none"))
        return ctx.reply(_hours_line(ctx, info))
    if len(args) == 1 and args[0].lower() in words("off"):
        await ctx.service.set_hours(ctx.user_id, None)
        return ctx.reply(ctx.line("hours.cleared"))
    try:
        parsed = hours_text.parse(args)
    except hours_text.HoursTextError as bad:
        raise UsageError(bad.key, **bad.values) from None
    zone = parsed.zone or (await ctx.service.get_availability(ctx.user_id)).hours_zone or "UTC"
    info = await ctx.service.set_hours(ctx.user_id, parsed.intervals, zone)
    return ctx.reply(_hours_line(ctx, info))


def _hours_line(ctx: Context, info: AvailabilityInfo) -> Line:
    key = "hours.set_within" if info.within_hours else "hours.set_outside"
    return ctx.line(key, hours=hours_text.describe(ctx.locale, info.hours), zone=info.hours_zone or "UTC")


def _skill_arg(args: Sequence[str]) -> str | None:
    expect_no_more(args[1:])
    return args[0] if args else None


def _person_line(ctx: Context, user: AvailableUser) -> Line:
    name = sanitize(user.name or "") or user.user_id
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
    name = sanitize(chosen.name or "") or chosen.user_id
    load = str(chosen.load) if chosen.capacity is None else f"{chosen.load}/{chosen.capacity}"
    return ctx.reply(ctx.line("desk.picked", name=name, load=load), ping=chosen.user_id)
