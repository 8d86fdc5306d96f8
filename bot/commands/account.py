"""The asker's accounts and data: ``link``, ``unlink``, ``tracking``, ``forget``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from presence_bot.commands.context import Context, UsageError, expect_no_more, is_word
from presence_bot.reply import Reply
from presence_core import AlreadyLinkedError, InvalidLinkCodeError, LinkRateLimitedError, LinkSameAccountError, linking


async def link(ctx: Context, args: Sequence[str]) -> Reply:
    if not args:
        ctx.require_private_chat()  # a code nobody saw must not exist
        code = await ctx.service.create_link_code(ctx.user_id)
        return ctx.reply(ctx.line("link.code", code=code, count=linking.CODE_TTL_MS // 60_000))
    code, rest = args[0], args[1:]
    expect_no_more(rest)
    try:
        await ctx.service.link_account(ctx.user_id, code)
    except InvalidLinkCodeError:
        raise UsageError("link.invalid") from None
    except LinkSameAccountError:
        raise UsageError("link.same") from None
    except LinkRateLimitedError as limited:
        raise UsageError("link.rate_limited", wait=ctx.until(limited.retry_at)) from None
    except AlreadyLinkedError:
        return ctx.reply(ctx.line("link.already"))
    names = await ctx.service.account_names(ctx.user_id)
    return ctx.reply(ctx.line("link.done", device=ctx.person_name(names.get(ctx.user_id), ctx.session.user_name)))


async def _match_account(ctx: Context, wanted: str, names: Mapping[str, str]) -> str | None:
    """The account ``wanted`` names, when only one fits: by device name (``console alice``, spaces as
    typed or not), else by the account's id, else by the name the person knows the account by (its
    name on its platform, ``alice``, or its id there, ``42``)."""
    wanted = " ".join(wanted.split()).casefold()
    matches = [a for a, name in names.items() if name.casefold() == wanted]
    matches = matches or [a for a in names if a.casefold() == wanted]
    if not matches:
        own = await ctx.service.get_statuses(list(names), viewer_id=ctx.user_id)
        matches = [a for a, status in own.items()
                   if wanted in {(status.name or "").casefold(), a.partition(":")[2].casefold()}]
    return matches[0] if len(matches) == 1 else None


async def unlink(ctx: Context, args: Sequence[str]) -> Reply:
    if not args:
        raise UsageError("error.missing_code")
    wanted = " ".join(args)
    names = await ctx.service.account_names(ctx.user_id)
    if len(names) < 2:
        raise UsageError("unlink.nothing")
    account = await _match_account(ctx, wanted, names)
    if account is None:
        raise UsageError("unlink.unknown", device=wanted, names=list(names.values()))
    if account == next(iter(names)):
        # The first account holds the shared history; split the others off it instead.
        raise UsageError("unlink.current", device=names[account])
    await ctx.service.unlink_account(ctx.user_id, account)
    return ctx.reply(ctx.line("unlink.done", device=names[account]))


async def tracking(ctx: Context, args: Sequence[str]) -> Reply:
    if len(args) != 1 or not (is_word(args[0], "on") or is_word(args[0], "off")):
        raise UsageError("error.on_off")
    enabled = is_word(args[0], "on")
    await ctx.service.set_tracking(ctx.user_id, enabled)
    return ctx.reply(ctx.line("tracking.on" if enabled else "tracking.off"))


async def forget(ctx: Context, args: Sequence[str]) -> Reply:
    """Asks first, privately, saying what is erased (every linked account with it) and what the next
    message does; the answer is awaited where the question was asked, so that must be a direct chat
    (privacy.md: asked in a group, even by a Discord slash command, it refers to the private chat)."""
    expect_no_more(args)
    ctx.require_direct_chat()
    me = await ctx.service.get_status(ctx.user_id, viewer_id=ctx.user_id)
    linked = await _other_accounts(ctx)
    seconds = int(ctx.options.prompt_timeout_s)
    lines = [ctx.line("forget.confirm")]
    if linked:
        lines.append(ctx.line("forget.linked", accounts=linked, count=len(linked)))
    lines += [ctx.line("forget.next_fresh" if me.tracking else "forget.next_off"), ctx.line("forget.ask", count=seconds)]
    await ctx.session.send(ctx.reply(*lines, private=True))
    answer = await ctx.session.prompt(ctx.options.prompt_timeout_s)
    if answer is None or not is_word(answer.content, "yes"):
        return ctx.reply(ctx.line("forget.cancelled"))
    await ctx.service.forget(ctx.user_id)
    done = [ctx.line("forget.done")]
    if linked:
        done.append(ctx.line("forget.done_linked", accounts=linked, count=len(linked)))
    done.append(ctx.line("forget.done_fresh" if me.tracking else "forget.done_off"))
    return ctx.reply(*done)


async def _other_accounts(ctx: Context) -> list[str]:
    """The asker's other linked accounts, by the device names the person sees in ``/presence devices``."""
    names = await ctx.service.account_names(ctx.user_id)
    return [name for account, name in names.items() if account != ctx.user_id]
