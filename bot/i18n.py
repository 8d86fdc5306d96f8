"""Locale catalogs (``presence_bot/locales/<locale>/*.toml``) and the tiny template language of their strings.

Each locale is a folder of TOML files, one per concern; a feature adds a file of its own, and
a key defined in two files of one locale is an error. A template may use <b>, <i> and <code>
(trusted markup) and {name} placeholders, whose values are user text: they keep the surrounding
style and are escaped when the reply is rendered.

Plural forms: a key whose value is a table of CLDR plural categories (``one``, ``other``, …) is
chosen by the value named ``count`` (English: ``one`` for 1, else ``other``; Chinese has only
``other``). Source of the categories: the Unicode CLDR plural rules.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from presence_bot.reply import Line, Reply, Span, Style
from presence_bot.text import sanitize

LOCALES = ("en", "zh-CN")
_TOKEN = re.compile(r"<(/?)(b|i|code)>|\{(\w+)\}")
PLURAL_CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})
# CLDR plural rules for integer counts, per locale.
_PLURAL_RULES: dict[str, Callable[[int], str]] = {
    "en": lambda n: "one" if n == 1 else "other",
    "zh-CN": lambda n: "other",
}

Text = str | Mapping[str, str]


def _is_plural(value: Mapping[str, Any]) -> bool:
    return "other" in value and set(value) <= PLURAL_CATEGORIES and all(isinstance(v, str) for v in value.values())


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Text]:
    flat: dict[str, Text] = {}
    for key, value in table.items():
        if isinstance(value, Mapping) and not _is_plural(value):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = dict(value) if isinstance(value, Mapping) else str(value)
    return flat


@cache
def catalog(locale: str) -> Mapping[str, Text]:
    """Every text of a locale by dotted key, from all the files of its folder."""
    merged: dict[str, Text] = {}
    folder = resources.files("presence_bot").joinpath("locales", locale)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        flat = _flatten(tomllib.loads(entry.read_text("utf-8")))
        twice = sorted(merged.keys() & flat.keys())
        if twice:
            raise ValueError(f"locale {locale}: {', '.join(twice)} defined again in {entry.name}")
        merged.update(flat)
    return merged


@cache
def strings(locale: str) -> Mapping[str, str]:
    """The plain (non-plural) texts of a locale, for word lists and aliases."""
    return {key: value for key, value in catalog(locale).items() if isinstance(value, str)}


def match_locale(code: str | None) -> str | None:
    """The one of LOCALES a platform code means (``zh``, ``zh-hans``, ``zh_CN`` -> ``zh-CN``; ``en-US``
    -> ``en``); None for a language we have no texts in."""
    lowered = (code or "").strip().replace("_", "-").lower()
    if lowered.startswith("zh"):
        return "zh-CN"
    if lowered.startswith("en"):
        return "en"
    return None


def pick_locale(requested: str | None, default: str) -> str:
    """The locale to answer in: the requested one when we have it, else ``default``, else English."""
    return match_locale(requested) or match_locale(default) or "en"


def template(locale: str, key: str, count: object = None) -> str:
    """The text for ``key`` in ``locale`` (else English); a plural text picks its form by ``count``."""
    found = catalog(locale).get(key)
    if found is None:
        locale, found = "en", catalog("en").get(key)
    if found is None:
        raise KeyError(f"no text {key!r} in the locale files")
    if isinstance(found, str):
        return found
    category = _PLURAL_RULES[locale](count) if isinstance(count, int) else "other"
    return found.get(category, found["other"])


def line(locale: str, key: str, **values: object) -> Line:
    """One line of a reply from a template, values inserted as sanitized (and later escaped) user text."""
    spans: list[Span] = []
    style: Style = ""
    text = template(locale, key, values.get("count"))
    pos = 0
    for match in _TOKEN.finditer(text):
        spans.append((style, text[pos:match.start()]))
        closing, tag, name = match.groups()
        if tag:
            style = "" if closing else tag  # type: ignore[assignment]
        else:
            spans.append((style, _value(locale, values[name])))
        pos = match.end()
    spans.append((style, text[pos:]))
    return tuple(s for s in spans if s[1])


def _value(locale: str, value: object) -> str:
    """A value as shown: sanitized text; a list or tuple joined the way the locale lists things."""
    if isinstance(value, list | tuple):
        return template(locale, "list.separator").join(sanitize(str(item)) for item in value)
    return sanitize(str(value))


def text(locale: str, key: str, **values: object) -> str:
    """A template as plain text (menus, command descriptions), values inserted as they are."""
    return "".join(t for _, t in line(locale, key, **values))


def reply(locale: str, key: str, *, private: bool = False, **values: object) -> Reply:
    return Reply((line(locale, key, **values),), private=private)
