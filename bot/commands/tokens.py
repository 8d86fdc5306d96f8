"""API tokens from chat: ``token NAME``, ``token revoke NAME``, ``tokens`` (SPEC section 11).

Every answer is personal (``catalog.PERSONAL``): a new token is shown only to its owner, once.
"""

from __future__ import annotations

from collections.abc import Sequence

from presence_bot.commands.context import Context, UsageError, expect_no_more, is_word
from presence_bot.reply import Line, Reply
from presence_core import InvalidArgumentError
from presence_core.errors import TokenExistsError, TooManyTokensError, UnknownTokenError
from presence_core.tokens import NAME_MAX_LEN


async def token(ctx: Context, args: Sequence[str]) -> Reply:
    if not args:
        raise UsageError("token.missing_name")
    if is_word(args[0], "revoke"):
        return await _revoke(ctx, args[1:])
    # As Discord's /presence token list|create NAME reads, typed.
    if is_word(args[0], "list") and len(args) == 1:
        return await tokens(ctx, [])
    if is_word(args[0], "create") and len(args) > 1:
        args = args[1:]
    name, rest = args[0], args[1:]
    expect_no_more(rest)
    ctx.require_private_chat()  # a token nobody saw must not exist
    try:
        secret = await ctx.service.create_token(ctx.user_id, name)
    except InvalidArgumentError:
        raise UsageError("token.bad_name", name=name, max=NAME_MAX_LEN) from None
    except TokenExistsError:
        raise UsageError("token.exists", name=name) from None
    except TooManyTokensError as full:
        raise UsageError("token.too_many", limit=full.limit) from None
    name = name.lower()
    return ctx.reply(ctx.line("token.created", name=name, token=secret), ctx.line("token.created_once", name=name),
                     ctx.line("token.created_revoke", name=name))


async def _revoke(ctx: Context, args: Sequence[str]) -> Reply:
    if not args:
        raise UsageError("token.missing_revoke_name")
    name, rest = args[0], args[1:]
    expect_no_more(rest)
    try:
        await ctx.service.revoke_token(ctx.user_id, name)
    except UnknownTokenError:
        raise UsageError("token.unknown", name=name) from None
    return ctx.reply(ctx.line("token.revoked", name=name.lower()))


async def tokens(ctx: Context, args: Sequence[str]) -> Reply:
    expect_no_more(args)
    found = await ctx.service.list_tokens(ctx.user_id)
    if not found:
        return ctx.reply(ctx.line("tokens.empty"))
    lines: list[Line] = [ctx.line("tokens.header", count=len(found))]
    lines += [ctx.line("tokens.line", name=t.name, made=ctx.ago(t.created_at), used=ctx.ago(t.last_used))
              for t in found]
    return ctx.reply(*lines)
