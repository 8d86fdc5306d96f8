"""Invisible characters in user-supplied text: what is removed before text is stored or shown.

Control, format (zero-width, bidi override and isolate), surrogate and private-use characters can
hide or reorder text in a chat, so they are removed, with one exception: inside an emoji sequence
the zero-width joiner and the tag characters are part of the emoji (🏳️‍🌈, 👨‍👩‍👧, 🏴 subdivision
flags). Sequences are found as extended grapheme clusters (Unicode UAX #29, rule GB11 joins
emoji with ZWJ); the emoji property is Extended_Pictographic (Unicode UTS #51).
"""

from __future__ import annotations

import unicodedata

import regex

_CLUSTER = regex.compile(r"\X")
_EMOJI = regex.compile(r"\p{Extended_Pictographic}")
_REMOVED = frozenset({"Cc", "Cf", "Cs", "Co"})
ZWJ = "\u200d"
_TAGS = range(0xE0020, 0xE0080)
_LINE_BREAKS = str.maketrans(dict.fromkeys("\t\n\r\x0b\x0c\x85\u2028\u2029", " "))
# The longest emoji sequences are 10 code points (a kiss with two skin tones); a cluster longer than
# this is stacked combining marks, which count as more than one character so stored text stays bounded.
CLUSTER_SPAN = 16


def _keep(ch: str) -> bool:
    return unicodedata.category(ch) not in _REMOVED


def _clean_emoji(cluster: str) -> str:
    """An emoji sequence: joiners between its parts and its tags stay, other invisibles go."""
    kept = []
    for index, ch in enumerate(cluster):
        joins = ch == ZWJ and _EMOJI.match(cluster, index + 1) is not None
        if joins or ord(ch) in _TAGS or _keep(ch):
            kept.append(ch)
    return "".join(kept)


def visible_length(text: str) -> int:
    """How many characters people see in ``text``: user-perceived characters (extended grapheme
    clusters, UAX #29), so 👨‍👩‍👧 or é typed as e + accent is one. A cluster counts once per
    ``CLUSTER_SPAN`` code points it holds."""
    return sum(-(-len(cluster) // CLUSTER_SPAN) for cluster in _CLUSTER.findall(text))


def cut(text: str, limit: int) -> str:
    """The first characters of ``text`` that ``visible_length`` counts as at most ``limit``: never half
    an emoji or a letter without its accent."""
    if len(text) <= limit:
        return text
    end, size = 0, 0
    for cluster in _CLUSTER.finditer(text):
        size += -(-len(cluster[0]) // CLUSTER_SPAN)
        if size > limit:
            break
        end = cluster.end()
    return text[:end]


def strip_invisible(text: str) -> str:
    """``text`` without invisible characters, emoji sequences kept whole; other text unchanged."""
    if text.isprintable():
        return text
    parts = []
    for cluster in _CLUSTER.findall(text):
        if _EMOJI.match(cluster):
            parts.append(_clean_emoji(cluster))
        else:
            parts.append("".join(ch for ch in cluster if _keep(ch)))
    return "".join(parts)


def one_line(text: str) -> str:
    """``text`` as one line: invisible characters removed (``strip_invisible``), line breaks, tabs and
    runs of spaces folded into one space, no space at either end."""
    return " ".join(strip_invisible(text.translate(_LINE_BREAKS)).split())
