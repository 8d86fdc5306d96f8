"""Locale catalogs (``presence_bot/locales/*.toml``) and the tiny template language their strings use.

A template may use <b>, <i> and <code> (trusted markup) and {name} placeholders, whose values are
user text: they keep the surrounding style and are escaped when the reply is rendered.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from presence_bot.reply import Line, Reply, Span, Style
from presence_bot.text import sanitize

LOCALES = ("en", "zh-CN")
_TOKEN = re.compile(r"<(/?)(b|i|code)>|\{(\w+)\}")


@cache
def _catalog(locale: str) -> Mapping[str, Any]:
    return tomllib.loads(resources.files("presence_bot").joinpath(f"locales/{locale}.toml").read_text("utf-8"))


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


@cache
def strings(locale: str) -> Mapping[str, str]:
    return _flatten(_catalog(locale))


def pick_locale(requested: str | None, default: str) -> str:
    """Platform codes like ``zh``, ``zh-hans``, ``zh_CN``, ``en-US`` -> one of LOCALES."""
    for candidate in (requested, default):
        if candidate:
            lowered = candidate.replace("_", "-").lower()
            if lowered.startswith("zh"):
                return "zh-CN"
            if lowered.startswith("en"):
                return "en"
    return "en"


def template(locale: str, key: str) -> str:
    found = strings(locale).get(key)
    if found is None:
        found = strings("en").get(key)
    if found is None:
        raise KeyError(f"no text {key!r} in the locale files")
    return found


def line(locale: str, key: str, **values: object) -> Line:
    """One line of a reply from a template, values inserted as sanitized (and later escaped) user text."""
    spans: list[Span] = []
    style: Style = ""
    text = template(locale, key)
    pos = 0
    for match in _TOKEN.finditer(text):
        spans.append((style, text[pos:match.start()]))
        closing, tag, name = match.groups()
        if tag:
            style = "" if closing else tag  # type: ignore[assignment]
        else:
            spans.append((style, sanitize(str(values[name]))))
        pos = match.end()
    spans.append((style, text[pos:]))
    return tuple(s for s in spans if s[1])


def text(locale: str, key: str, **values: object) -> str:
    """A template as plain text (menus, command descriptions), values inserted as they are."""
    return "".join(t for _, t in line(locale, key, **values))


def reply(locale: str, key: str, *, private: bool = False, **values: object) -> Reply:
    return Reply((line(locale, key, **values),), private=private)
