"""Sanitizing and escaping user-supplied text (SPEC section 3)."""

from __future__ import annotations

import html
import re
import unicodedata

# Zero-width and bidirectional formatting characters: they hide or reorder text in a chat.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u061c\u180e]")
# Inline markdown and masked links; line-start syntax (#, >, -) cannot occur mid-template.
_DISCORD_SPECIAL = re.compile(r"([\\*_~`|\[\]])")


def sanitize(text: str) -> str:
    """Drop control, zero-width and bidi-override characters; fold newlines and tabs into spaces."""
    text = _INVISIBLE.sub("", text)
    text = "".join(" " if ch in "\t\n\r\x0b\x0c" else ch for ch in text
                   if ch in "\t\n\r\x0b\x0c" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    return " ".join(text.split())


def escape_html(text: str) -> str:
    return html.escape(text, quote=False)


def escape_discord(text: str) -> str:
    """Markdown characters escaped; mentions broken with a zero-width space (replies also send no pings)."""
    text = _DISCORD_SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@\u200b")
