"""Locale catalogs: one folder of files per locale, plural forms chosen by ``count``."""

from __future__ import annotations

from pathlib import Path

import pytest

from presence_bot import i18n

LOCALES = Path(__file__).parents[2] / "bot" / "locales"


def test_every_locale_has_every_english_key() -> None:
    """Aliases are the words each language types, so no locale needs another's."""
    english = {key for key in i18n.catalog("en") if not key.startswith(("aliases.", "aliases_unlisted."))}
    for locale in i18n.LOCALES:
        assert sorted(english - i18n.catalog(locale).keys()) == [], locale


def test_a_plural_text_picks_its_form_by_count() -> None:
    plural = {"one": "{count} thing", "other": "{count} things"}
    assert i18n._flatten({"x": {"y": plural}}) == {"x.y": plural}
    assert i18n._PLURAL_RULES["en"](1) == "one" and i18n._PLURAL_RULES["en"](0) == "other"
    assert i18n._PLURAL_RULES["zh-CN"](1) == "other"
    assert i18n.text("en", "activity.header", count=1) == "Your last activity:"
    assert i18n.text("en", "activity.header", count=3) == "Your last 3 activities:"
    assert i18n.text("zh-CN", "activity.header", count=1) == "你最近的 1 条活动："


def test_a_key_defined_in_two_files_of_a_locale_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "locales" / "en"
    folder.mkdir(parents=True)
    (folder / "a.toml").write_text('[help]\nwho = "one"\n', encoding="utf-8")
    (folder / "b.toml").write_text('[help]\nwho = "two"\n', encoding="utf-8")
    monkeypatch.setattr(i18n.resources, "files", lambda package: tmp_path)
    i18n.catalog.cache_clear()
    try:
        with pytest.raises(ValueError, match="help.who defined again in b.toml"):
            i18n.catalog("en")
    finally:
        i18n.catalog.cache_clear()


def test_every_locale_file_is_in_a_locale_folder() -> None:
    assert sorted(p.name for p in LOCALES.iterdir()) == sorted(i18n.LOCALES)
