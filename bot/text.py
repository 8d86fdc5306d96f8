"""Sanitizing, echoing and escaping user-supplied text (SPEC sections 3 and 7)."""

from __future__ import annotations

import html
import re

import regex

from presence_core.text import one_line

# Inline markdown and masked links; line-start syntax (#, >, -) cannot occur mid-template.
_DISCORD_SPECIAL = re.compile(r"([\\*_~`|\[\]])")
_GRAPHEMES = regex.compile(r"\X")
# What a reply repeats of what someone typed: enough to recognise it, never a wall of text.
ECHO_LIMIT = 40


# The rule is the core's, so text that comes in through the HTTP API is cleaned the same way.
sanitize = one_line


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """What a reply may repeat of user input: sanitized, and cut to ``limit`` characters (whole emoji) plus "…"."""
    text = sanitize(text)
    if len(text) <= limit:
        return text
    kept, size = [], 0
    for grapheme in _GRAPHEMES.findall(text, endpos=limit + 64):
        if size + len(grapheme) > limit:
            break
        kept.append(grapheme)
        size += len(grapheme)
    return "".join(kept).rstrip() + "…"


def escape_html(text: str) -> str:
    return html.escape(text, quote=False)


def break_mentions(text: str) -> str:
    """``@name`` with a zero-width space after the ``@``: chats no longer read it as a mention, so nobody
    is notified by text a user typed (a custom status, a name, an echo)."""
    return text.replace("@", "@\u200b")


def escape_telegram(text: str) -> str:
    """Telegram HTML outside code: tags escaped, and mentions broken (Telegram links and notifies any
    ``@username`` in a message's text; a reply cannot opt out as Discord's ``allowed_mentions`` can)."""
    return break_mentions(escape_html(text))


def escape_discord(text: str) -> str:
    """Markdown characters escaped; mentions broken with a zero-width space (replies also send no pings)."""
    return break_mentions(_DISCORD_SPECIAL.sub(r"\\\1", text))
