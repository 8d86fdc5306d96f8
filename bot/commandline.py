"""Reading a /presence command line as people type it: which subcommand, and the arguments after it."""

from __future__ import annotations

from collections.abc import Sequence

from presence_bot.catalog import glued_aliases, resolve_subcommand
from presence_bot.parsing import Quoted, fold, parse_duration

COLONS = (":", "：")
# Subcommands whose first argument is free text: "状态开会" is status "开会".
_TEXT_FIRST = frozenset({"status"})


def read_command(args: Sequence[str]) -> tuple[str | None, list[str]]:
    """The subcommand the first argument names and the arguments for it; (None, args) when it names none.

    Besides the plain word (any case or width, any locale's alias) this reads a word ending in a
    colon (``status: busy``, ``状态：开会``) and a Chinese word glued to its argument (``勿扰30分钟``,
    ``状态开会``, ``活动5``). A bare ``/presence`` is ``("presence", [])``. A quoted first word is text.
    """
    if not args:
        return "presence", []
    first, rest = args[0], list(args[1:])
    if isinstance(first, Quoted):
        return None, list(args)
    name = resolve_subcommand(first)
    if name is not None:
        return name, rest
    for colon in COLONS:
        head, found, tail = first.partition(colon)
        if found and (name := resolve_subcommand(head)) is not None:
            return name, [tail, *rest] if tail else rest
    glued = _glued(first)
    if glued is not None:
        name, tail = glued
        return name, [tail, *rest]
    return None, list(args)


def _glued(word: str) -> tuple[str, str] | None:
    """``勿扰30分钟`` -> ("dnd", "30分钟"), when what follows the alias is what that subcommand takes."""
    for alias in glued_aliases():
        size = len(alias)
        if len(word) <= size or fold(word[:size]) != alias:
            continue
        name, tail = resolve_subcommand(alias), word[size:].lstrip("".join(COLONS))
        if name is not None and tail and (name in _TEXT_FIRST or tail.isdecimal() or parse_duration(tail) is not None):
            return name, tail
    return None
