"""Settings: config.toml, PRESENCE_* environment variables, secrets kept secret."""

from __future__ import annotations

import os
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
from presence_bot.settings_errors import SettingsError
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


# Problems are one line each, naming the key with a did-you-mean, never the value (issues 12 and 17) ---

@pytest.fixture(autouse=True)
def no_presence_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.upper().startswith("PRESENCE_")]:
        monkeypatch.delenv(name)


def problems(tmp_path: Path, toml: str = "", **environ: str) -> list[str]:
    config = tmp_path / "config.toml"
    config.write_text(toml, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environ.items():
            patch.setenv(name, value)
        with pytest.raises(SettingsError) as raised:
            load_settings(config)
    return raised.value.problems


@pytest.mark.parametrize(("toml", "expected"), [
    ("away_afer_ms = 300000\n", "unknown setting away_afer_ms in {file} or PRESENCE_* (did you mean away_after_ms?)"),
    ('redis_ur = "redis://:hunter2@host:6379/0"\n',
     "unknown setting redis_ur in {file} or PRESENCE_* (did you mean redis_url?)"),
    ('[telegram]\nsecret_tokn = "hunter2hunter2"\n',
     "unknown setting telegram.secret_tokn in {file} or PRESENCE_* (did you mean secret_token?)"),
    ('[discord]\ntokn = "hunter2"\n', "unknown setting discord.tokn in {file} or PRESENCE_* (did you mean token?)"),
    ("[metrics]\nenabld = true\n", "unknown setting metrics.enabld in {file} or PRESENCE_* (did you mean enabled?)"),
    ("[telegram]\ntoken = 123456\n", "setting telegram.token ({file} or PRESENCE_*) must be text (in quotes in config.toml)"),
    ('[telegram]\ntoken = ""\n', "setting telegram.token ({file} or PRESENCE_*) is empty: set the token, or remove "
                                 "the key to leave this platform off"),
    ('storage = "reddis"\n', "setting storage ({file} or PRESENCE_*) must be one of 'memory', 'sqlite' or 'redis' "
                             "(did you mean redis?)"),
    ('log_level = "LOUD"\n', "setting log_level ({file} or PRESENCE_*) must be one of 'DEBUG', 'INFO', 'WARNING', "
                             "'ERROR' or 'CRITICAL'"),
    ('away_after_ms = "soon"\n', 'setting away_after_ms ({file} or PRESENCE_*) must be milliseconds or a duration '
                                 'such as "5m" or "1h"'),
    ("away_after_ms = 0\n", "setting away_after_ms ({file} or PRESENCE_*) must be more than 0"),
    ("away_after_ms = 99999999999999999999\n", "setting away_after_ms ({file} or PRESENCE_*) must be at most "
                                                "315360000000"),
    ('device_prune_after_ms = "1h"\n', "setting device_prune_after_ms ({file} or PRESENCE_*) must be at least "
                                        "device_stale_after_ms: a device is shown as stale before it is removed"),
    ("[metrics]\nport = 70000\n", "setting metrics.port ({file} or PRESENCE_*) must be at most 65535"),
    ("coarse_last_seen = 3\n", "setting coarse_last_seen ({file} or PRESENCE_*) must be true or false"),
    ('[telegram]\ntoken = "1:x"\nwebhook_url = "https://bot.example/tg"\n',
     "setting telegram.secret_token ({file} or PRESENCE_*) is required when webhook_url is set: without it anyone "
     "who finds the URL can send the bot forged messages (see docs/telegram.md)"),
    ('[telegram]\nsecret_token = "has spaces hunter2"\n',
     "setting telegram.secret_token ({file} or PRESENCE_*) must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - "
     "(what Telegram accepts)"),
    ("telegram = 5\n", "setting telegram ({file} or PRESENCE_*) must be a section (a [table] in config.toml)"),
    ("storage = \n", "{file}: is not valid TOML: Invalid value (at line 1, column 11)"),
])
def test_each_problem_in_the_file_is_one_line_naming_the_key(tmp_path: Path, toml: str, expected: str) -> None:
    assert problems(tmp_path, toml) == [expected.format(file=tmp_path / "config.toml")]


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("PRESENCE_TELEGRAM__SECRET_TOKN", "hunter2",
     "unknown environment variable PRESENCE_TELEGRAM__SECRET_TOKN (did you mean PRESENCE_TELEGRAM__SECRET_TOKEN?)"),
    ("PRESENCE_AWAY_AFER_MS", "5m", "unknown environment variable PRESENCE_AWAY_AFER_MS (did you mean "
                                    "PRESENCE_AWAY_AFTER_MS?)"),
    ("PRESENCE_REDIS_UR", "redis://:hunter2@h", "unknown environment variable PRESENCE_REDIS_UR (did you mean "
                                               "PRESENCE_REDIS_URL?)"),
    ("PRESENCE_TELEGRAM__TOKEN", "", "setting telegram.token ({file} or PRESENCE_*) is empty: set the token, or "
                                     "remove the key to leave this platform off"),
    ("PRESENCE_LOG_LEVEL", "LOUD", "setting log_level ({file} or PRESENCE_*) must be one of 'DEBUG', 'INFO', "
                                   "'WARNING', 'ERROR' or 'CRITICAL'"),
    ("PRESENCE_TELEGRAM", "{bad json hunter2", "environment variable PRESENCE_TELEGRAM is not valid JSON (a whole "
                                               "section given as one variable must be a JSON object)"),
    ("PRESENCE_DISCORD__TOKEN", " ", "setting discord.token ({file} or PRESENCE_*) is empty: set the token, or "
                                     "remove the key to leave this platform off"),
])
def test_each_problem_in_the_environment_is_one_line_naming_the_variable(tmp_path: Path, name: str, value: str,
                                                                          expected: str) -> None:
    assert problems(tmp_path, **{name: value}) == [expected.format(file=tmp_path / "config.toml")]


def test_several_problems_are_each_reported(tmp_path: Path) -> None:
    found = problems(tmp_path, 'storag = "redis"\n[telegram]\ntoken = 5\n', PRESENCE_METRIC__PORT="1")
    assert len(found) == 3 and found[0].startswith("unknown environment variable PRESENCE_METRIC__PORT")


@pytest.mark.parametrize("toml", ['redis_ur = "redis://:hunter2@host:6379/0"\n', "[telegram]\ntoken = 123456\n",
                                  '[telegram]\nsecret_token = "hunter2 hunter2"\n', 'storage = "hunter2"\n',
                                  'log_level = "hunter2"\n', 'away_after_ms = "hunter2"\n',
                                  '[discord]\ntoken = ["hunter2"]\n', 'hunter2 = "x"\n'.replace("hunter2", "x2")])
def test_settings_errors_never_show_the_value(tmp_path: Path, toml: str) -> None:
    found = "\n".join(problems(tmp_path, toml))
    assert "hunter2" not in found and "123456" not in found and "input_value" not in found


@pytest.mark.parametrize(("written", "ms"), [("300000", 300_000), ('"5m"', 300_000), ('"1h"', 3_600_000),
                                              ('"1.5h"', 5_400_000), ('"30s"', 30_000), ('"1d"', 86_400_000)])
def test_durations_in_settings_may_be_written_as_people_write_them(tmp_path: Path, written: str, ms: int) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'storage = "memory"\naway_after_ms = {written}\noffline_after_ms = "2d"\n', encoding="utf-8")
    settings, _ = load_settings(config)
    assert (settings.away_after_ms, settings.offline_after_ms) == (ms, 2 * 86_400_000)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRESENCE_HEARTBEAT_INTERVAL_MS", "10s")
        settings, _ = load_settings(config)
    assert settings.heartbeat_interval_ms == 10_000


def test_webhook_settings_in_code_refuse_to_run_without_a_secret() -> None:
    with pytest.raises(ValueError, match="secret_token"):
        TelegramSettings(token="1:x", webhook_url="https://bot.example/tg")
    assert TelegramSettings(token="1:x", webhook_url="https://bot.example/tg", secret_token="s3cret-Token_1")
