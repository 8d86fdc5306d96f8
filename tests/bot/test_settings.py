"""Settings: config.toml, PRESENCE_* environment variables, secrets kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from presence_bot.settings import (
    DiscordSettings,
    HttpSettings,
    MetricsSettings,
    Settings,
    TelegramSettings,
    load_settings,
)
from presence_bot.wiring import build_service

EXAMPLE = Path(__file__).parents[2] / "config.example.toml"


def test_the_example_config_is_valid_and_documents_every_setting() -> None:
    load_settings(EXAMPLE)
    text = EXAMPLE.read_text(encoding="utf-8")
    for model, section in ((Settings, ""), (TelegramSettings, "[telegram]"), (DiscordSettings, "[discord]"),
                           (MetricsSettings, "[metrics]"), (HttpSettings, "[http]")):
        body = (text.split(section, 1)[1] if section else text).split("\n[", 1)[0]
        for name in model.model_fields:
            if name not in ("telegram", "discord", "metrics", "http"):
                assert f"\n{name} =" in body or f"# {name} =" in body, f"{section or 'top level'} {name} is not documented"


def test_environment_overrides_the_file_and_nests_with_double_underscore(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('storage = "memory"\naway_after_ms = 1000\n[telegram]\ntoken = "from-file"\n', encoding="utf-8")
    monkeypatch.setenv("PRESENCE_AWAY_AFTER_MS", "2000")
    monkeypatch.setenv("PRESENCE_TELEGRAM__TOKEN", "123:from-env")
    settings, used = load_settings(config)
    assert used == config and settings.away_after_ms == 2000
    assert settings.telegram.token is not None and settings.telegram.token.get_secret_value() == "123:from-env"
    assert "from-env" not in repr(settings) and "from-env" not in str(settings.model_dump())


def test_without_a_file_defaults_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings, used = load_settings()
    assert used is None and settings.telegram.token is None and settings.default_locale == "en"


def test_unknown_keys_are_rejected(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('storag = "redis"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="storag"):
        load_settings(config)


def test_device_timers_reach_the_service(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('storage = "memory"\ndevice_stale_after_ms = 1000\ndevice_prune_after_ms = 5000\n',
                      encoding="utf-8")
    settings, _ = load_settings(config)
    policy = build_service(settings).policy
    assert (policy.stale_after_ms, policy.prune_after_ms) == (1000, 5000)
