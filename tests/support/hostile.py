"""Hostile input for the fuzz tests: strategies, and the checks every reply must pass."""

from __future__ import annotations

import os
import re
import unicodedata

import regex

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from presence_bot.reply import Reply

# Deterministic in CI, so a red build is reproducible; exploring new examples elsewhere.
FUZZ = settings(max_examples=150, deadline=None, derandomize=os.environ.get("CI", "").lower() in ("1", "true"), database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

LIMITS = {"plain": 4096, "telegram_html": 4096, "discord_markdown": 2000}
PIECES = [
    '"', "'", "“", "”", "‘", "’", "「", "」", "『", "』", "«", "»", "„", "\\", "`", "*", "_", "~", "|", "[", "]",
    "<", ">", "&", "&amp;", "&lt;", "<b>", "</b>", "</code>", "<a href='x'>", "@", "@everyone", "<@123>", "<@!1>",
    "{", "}", "{name}", ":", "*", "/", "／", "\n", "\r", "\t", "\x00", "\x1b[31m", "\x7f", "\u202e", "\u2066",
    "\u200b", "\u200d", "\ufeff", "\u061c", "\ud800", "😀", "👨‍👩‍👧", "交易", "勿扰", "2小时", "ﷺ", "\u0301",
    "/presence", "/presence@presence_bot", "/presence@OtherBot", "who", "activity", "online", "away", "dnd",
    "offline", "status", "clear", "for", "since", "devices", "sync", "link", "unlink", "tracking", "on", "off",
    "forget", "help", "yes", ".", "2h", "1h30m", "0m", "999999999d", "-1", "50", "51", "actvity", "whoo",
]
piece = st.one_of(st.sampled_from(PIECES), st.text(max_size=8))
hostile_text = st.lists(piece, max_size=12).flatmap(
    lambda parts: st.lists(st.sampled_from(["", " ", "  ", "\n"]), min_size=len(parts), max_size=len(parts))
    .map(lambda seps: "".join(p + s for p, s in zip(parts, seps))))
huge_text = st.tuples(piece.filter(bool), st.integers(500, 6000)).map(lambda t: t[0] * t[1])
hostile_id = st.one_of(
    st.lists(st.sampled_from([":", "{", "}", "*", "\n", "/", "a", "A", "1", " ", "\\", "%", "?", "[", "]",
                              "\u202e", "é", "e\u0301", "\udcff"]), min_size=1, max_size=10).map("".join),
    st.text(min_size=1, max_size=20),
).filter(lambda s: bool(s.strip()))


# Whole emoji sequences, where a joiner or tag characters belong (UTS #51): 🏳️‍🌈, 👨‍👩‍👧, 🏴 flags.
_EMOJI_SEQUENCE = regex.compile(r"\p{Extended_Pictographic}[\p{Emoji_Modifier}\uFE0F]?"
                                r"(?:\u200d\p{Extended_Pictographic}[\p{Emoji_Modifier}\uFE0F]?)*[\U000E0020-\U000E007F]*")
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co"})


def invisible_characters(text: str) -> list[str]:
    """Control, format (zero-width, bidi), surrogate and private-use characters outside emoji sequences.

    Unassigned code points are allowed: they are the emoji newer than this Python's Unicode tables.
    """
    return [ch for ch in _EMOJI_SEQUENCE.sub("", text) if unicodedata.category(ch) in _INVISIBLE]


def storable(text: str) -> bool:
    """Valid Unicode: no lone surrogate (those are refused before any store sees them)."""
    return not re.search("[\ud800-\udfff]", text)


storable_id = hostile_id.filter(storable)


def check_renders(reply: Reply) -> None:
    """Every target renders, each chunk within its platform's limit, Telegram HTML well formed."""
    for target, limit in LIMITS.items():
        chunks = reply.render_chunks(target, limit)  # type: ignore[arg-type]
        assert chunks and all(len(chunk) <= limit for chunk in chunks), target
    for chunk in reply.render_chunks("telegram_html", LIMITS["telegram_html"]):
        assert_well_formed_html(chunk)


_TAG = re.compile(r"<(/?)(b|i|code)>")


def assert_well_formed_html(html: str) -> None:
    """Only our own tags, properly nested and closed; every other ``<`` and ``&`` escaped."""
    open_tags: list[str] = []
    for match in _TAG.finditer(html):
        closing, tag = match.groups()
        if closing:
            assert open_tags and open_tags.pop() == tag, html
        else:
            open_tags.append(tag)
    assert not open_tags, html
    text = _TAG.sub("", html)
    assert "<" not in text and ">" not in text, html
    assert re.fullmatch(r"(?:[^&]|&(?:lt|gt|amp);)*", text, re.DOTALL), html
