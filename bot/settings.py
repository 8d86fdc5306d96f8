"""Settings from config.toml (or --config PATH) and PRESENCE_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from presence_bot.options import BotOptions


class TelegramSettings(BaseModel):
    token: SecretStr | None = None
    # A self-hosted Bot API server, e.g. "http://127.0.0.1:8081/bot"; the token is appended.
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    # Webhook mode when set; long polling otherwise.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = ""
    secret_token: SecretStr | None = None


class DiscordSettings(BaseModel):
    token: SecretStr | None = None
    # Privileged intents (enable them in the Developer Portal too); see README.
    message_content: bool = True
    presences: bool = True
    members: bool = False
    # Text commands ("/presence who" typed as a message) need message_content.
    text_commands: bool = True


class MetricsSettings(BaseModel):
    # A Prometheus /metrics endpoint; off unless enabled. Keep it on loopback or a private network.
    enabled: bool = False
    listen: str = "127.0.0.1"
    port: int = Field(9464, ge=1, le=65535)


class HttpSettings(BaseModel):
    # The HTTP API, live feed and board of docs/http.md; off unless enabled. With [metrics] enabled
    # too, /metrics is served here and [metrics] listen/port are not used.
    enabled: bool = False
    listen: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRESENCE_", env_nested_delimiter="__", extra="forbid")

    storage: Literal["memory", "sqlite", "redis"] = "sqlite"
    redis_url: SecretStr | None = None
    sqlite_path: str = "presence.sqlite3"
    default_locale: Literal["en", "zh-CN"] = "en"
    heartbeat_interval_ms: int = Field(30_000, gt=0)
    away_after_ms: int = Field(300_000, gt=0)
    offline_after_ms: int = Field(3_600_000, gt=0)
    device_stale_after_ms: int = Field(86_400_000, gt=0)
    device_prune_after_ms: int = Field(2_592_000_000, gt=0)
    coarse_last_seen: bool = True
    user_commands_per_minute: int = Field(20, gt=0)
    chat_commands_per_minute: int = Field(60, gt=0)
    log_level: str = "INFO"
    telegram: TelegramSettings = TelegramSettings()
    discord: DiscordSettings = DiscordSettings()
    metrics: MetricsSettings = MetricsSettings()
    http: HttpSettings = HttpSettings()

    # Set on a subclass by load_settings: pydantic-settings builds sources from the class.
    toml_path: ClassVar[Path | None] = None

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls.toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls.toml_path))
        return tuple(sources)

    def bot_options(self) -> BotOptions:
        return BotOptions(default_locale=self.default_locale, coarse_last_seen=self.coarse_last_seen,
                          user_commands_per_minute=self.user_commands_per_minute,
                          chat_commands_per_minute=self.chat_commands_per_minute)

    def secret_values(self) -> list[str]:
        """Every configured secret, so log lines can blank them wherever a library prints one."""
        sections = [value for value in dict(self).values() if isinstance(value, BaseModel)]
        return [value.get_secret_value() for model in (self, *sections) for value in dict(model).values()
                if isinstance(value, SecretStr)]


def load_settings(config: Path | None = None) -> tuple[Settings, Path | None]:
    """Settings and the file they came from: ``config``, else ./config.toml when present."""
    path = config if config is not None else Path("config.toml")
    if config is not None and not path.is_file():
        raise FileNotFoundError(f"settings file {path} does not exist")
    used = path if path.is_file() else None

    class FileSettings(Settings):
        toml_path = used

    return FileSettings(), used
