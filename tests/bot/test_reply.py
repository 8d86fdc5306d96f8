"""Rendering replies per target with user text sanitized and escaped."""

from __future__ import annotations

from presence_bot import i18n
from presence_bot.reply import Reply
from presence_bot.text import sanitize


def test_sanitize_drops_control_zero_width_and_bidi_characters() -> None:
    assert sanitize("a\u200bb\u202ec\u2066d\x07e\nf\tg\ufeff") == "abcde f g"
    assert sanitize("  交易  BTC 🚀 ") == "交易 BTC 🚀"


def test_user_text_is_escaped_for_telegram_html_while_template_markup_stays() -> None:
    reply = i18n.reply("en", "custom.set", text="<b>bold</b> & <script>")
    assert reply.render("telegram_html") == "💬 Custom status set: &lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;"
    assert i18n.reply("en", "who.line", icon="🟢", name="<i>x</i>", status="online").render("telegram_html") == (
        "🟢 <b>&lt;i&gt;x&lt;/i&gt;</b> · online")


def test_user_text_is_escaped_for_discord_markdown_and_mentions_are_broken() -> None:
    rendered = i18n.reply("en", "custom.set", text="**loud** @everyone <@123> `x`").render("discord_markdown")
    assert rendered == "💬 Custom status set: \\*\\*loud\\*\\* @\u200beveryone <@\u200b123> \\`x\\`"


def test_plain_rendering_drops_markup() -> None:
    assert i18n.reply("en", "set.done", icon="⛔", status="dnd").render("plain") == "⛔ Your status is now dnd."


def test_long_replies_split_between_lines_under_the_limit() -> None:
    reply = Reply(tuple(((("", f"line {i:03d} " + "x" * 40),)) for i in range(200)))
    chunks = reply.render_chunks("telegram_html", 4096)
    assert len(chunks) > 1 and all(len(c) <= 4096 for c in chunks)
    assert "\n".join(chunks) == reply.render("telegram_html")


def test_locale_choice_follows_platform_codes() -> None:
    assert [i18n.pick_locale(code, "en") for code in ("zh", "zh-hans", "zh_CN", "zh-TW", "en-US", "de", None)] == [
        "zh-CN", "zh-CN", "zh-CN", "zh-CN", "en", "en", "en"]
    assert i18n.pick_locale("fr", "zh-CN") == "zh-CN"

