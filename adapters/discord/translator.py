"""Slash-command texts from the bot's locale files, through discord.py's translator (``locale_str``)."""

from __future__ import annotations

from discord import Locale, app_commands

from presence_bot import i18n

# Discord's limit for command, option and choice descriptions.
DESCRIPTION_LIMIT = 100
# Discord locales we have replies for; English is the default text every locale_str carries.
DISCORD_LOCALES: dict[Locale, str] = {Locale.chinese: "zh-CN"}


def _fit(text: str) -> str:
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"


def _text(locale: str, key: str, word: bool) -> str:
    # A text missing from the locale files shows its key, as i18n tools do, instead of
    # stopping the bot from loading; a test checks that every key the cog uses exists.
    text = i18n.text(locale, key) if key in i18n.strings(locale) else key
    # Argument words list their synonyms ("on|enable"); a choice shows the first.
    return _fit(text.split("|")[0].strip() if word else text)


def localized(key: str, *, word: bool = False) -> app_commands.locale_str:
    """A command text whose English is ``key`` in the locale files; the translator supplies the rest."""
    return app_commands.locale_str(_text("en", key, word), presence_key=key, word=word)


class PresenceTranslator(app_commands.Translator):
    """Answers the cog's own strings and hands every other string to the operator's translator.

    A command tree has one translator; wrapping the one already set keeps the operator's
    commands translated while the cog is loaded.
    """

    def __init__(self, inner: app_commands.Translator | None = None) -> None:
        self.inner = inner

    async def load(self) -> None:
        if self.inner is not None:
            await self.inner.load()

    async def unload(self) -> None:
        if self.inner is not None:
            await self.inner.unload()

    async def translate(self, string: app_commands.locale_str, locale: Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        key = string.extras.get("presence_key")
        if key is None:
            return None if self.inner is None else await self.inner.translate(string, locale, context)
        ours = DISCORD_LOCALES.get(locale)
        if ours is None:
            return None
        if key not in i18n.strings(ours):
            return None
        return _text(ours, key, string.extras.get("word", False))
