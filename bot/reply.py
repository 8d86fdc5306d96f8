"""Reply: what the bot answers, kept as styled spans until an adapter renders it for its target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from presence_bot.text import escape_discord, escape_html, escape_telegram

Style = Literal["", "b", "i", "code"]
Span = tuple[Style, str]
Line = tuple[Span, ...]
Target = Literal["plain", "telegram_html", "discord_markdown"]

_WRAP: dict[Target, dict[Style, tuple[str, str]]] = {
    "plain": {"": ("", ""), "b": ("", ""), "i": ("", ""), "code": ("", "")},
    "telegram_html": {"": ("", ""), "b": ("<b>", "</b>"), "i": ("<i>", "</i>"), "code": ("<code>", "</code>")},
    "discord_markdown": {"": ("", ""), "b": ("**", "**"), "i": ("*", "*"), "code": ("`", "`")},
}


def _escape(target: Target, style: Style, text: str) -> str:
    if target == "telegram_html":
        # Inside a code span Telegram finds no mentions, and what is there is meant to be copied as is.
        return escape_html(text) if style == "code" else escape_telegram(text)
    if target == "discord_markdown":
        # Inside a code span markdown is inert; only the backtick itself must not close it.
        return text.replace("`", "ˋ") if style == "code" else escape_discord(text)
    return text


@dataclass(frozen=True, slots=True)
class Reply:
    lines: tuple[Line, ...]
    # Personal information: an adapter sends it privately when it was asked for in a group.
    private: bool = False
    # The one account this reply may notify by a mention (a pick's chosen person); nobody else ever.
    ping: str | None = None

    def render_line(self, line: Line, target: Target) -> str:
        wrap = _WRAP[target]
        return "".join(wrap[s][0] + _escape(target, s, t) + wrap[s][1] for s, t in line if t)

    def render(self, target: Target) -> str:
        return "\n".join(self.render_line(line, target) for line in self.lines)

    def render_chunks(self, target: Target, limit: int) -> list[str]:
        """Split between lines so each message stays under a platform's length limit."""
        chunks: list[str] = []
        current = ""
        for line in self.lines:
            text = self._fit_line(line, target, limit)
            candidate = f"{current}\n{text}" if current else text
            if len(candidate) > limit and current:
                chunks.append(current)
                candidate = text
            current = candidate
        if current or not chunks:
            chunks.append(current)
        return chunks

    def _fit_line(self, line: Line, target: Target, limit: int) -> str:
        """The line rendered within ``limit``: cut in its text, never inside an escape or a tag."""
        text = self.render_line(line, target)
        if len(text) <= limit:
            return text
        fits, too_long = 0, sum(len(t) for _, t in line)
        while too_long - fits > 1:
            keep = (fits + too_long) // 2
            if len(self.render_line(_cut(line, keep), target)) <= limit:
                fits = keep
            else:
                too_long = keep
        return self.render_line(_cut(line, fits), target)

    def __add__(self, other: Reply) -> Reply:
        return Reply(self.lines + other.lines, self.private or other.private, self.ping or other.ping)


def _cut(line: Line, keep: int) -> Line:
    """The first ``keep`` characters of the line's text, each in its own style, then an ellipsis."""
    spans: list[Span] = []
    for style, text in line:
        if keep <= 0:
            break
        spans.append((style, text[:keep]))
        keep -= len(text)
    return (*spans, ("", "…"))
