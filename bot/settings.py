"""Settings from config.toml (or --config PATH) and PRESENCE_* environment variables (SPEC section 9).

Every section forbids unknown keys, durations may be written as people write them (``"5m"``),
and whatever is wrong is reported by ``load_settings`` as a ``SettingsError``: one line per
problem, naming the key (with a "did you mean"), never its value (see ``settings_errors``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic import model_validator
from pydantic_core import PydanticCustomError
import pydantic_settings
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from presence_bot.options import BotOptions
from presence_bot.parsing import parse_duration
from presence_bot.settings_errors import SettingsError, explain, unknown_environment
from presence_core.policy import MAX_TIMER_MS
from presence_core.stores.redis_urls import url_problem

ENV_PREFIX = "PRESENCE_"
# What Telegram accepts as a webhook secret (Bot API, setWebhook).
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _milliseconds(value: object) -> object:
    """``300000``, ``"300000"`` or a duration as people write it (``"5m"``, ``"1h"``, ``"1.5h"``) -> ms."""
    if isinstance(value, str) and not value.strip().isdecimal():
        ms = parse_duration(value)
        if ms is None:
            raise ValueError("must be milliseconds or a duration such as \"5m\" or \"1h\"")
        return ms
    return value


Milliseconds = Annotated[int, BeforeValidator(_milliseconds), Field(gt=0, le=MAX_TIMER_MS)]


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


def _present(token: SecretStr | None) -> SecretStr | None:
    if token is not None and not token.get_secret_value().strip():
        raise ValueError("is empty: set the token, or remove the key to leave this platform off")
    return token


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TelegramSettings(Section):
    token: SecretStr | None = None
    # A self-hosted Bot API server, e.g. "http://127.0.0.1:8081/bot"; the token is appended.
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    # Webhook mode when set; long polling otherwise. Webhook mode requires secret_token.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)
    webhook_path: str = ""
    secret_token: SecretStr | None = None

    @field_validator("token")
    @classmethod
    def _token_present(cls, token: SecretStr | None) -> SecretStr | None:
        return _present(token)

    @field_validator("secret_token")
    @classmethod
    def _telegram_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None and not _TELEGRAM_SECRET.fullmatch(secret.get_secret_value()):
            raise ValueError("must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (what Telegram accepts)")
        return secret

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> TelegramSettings:
        """Without the secret anyone who finds the URL could post updates as any user (forged commands)."""
        if self.webhook_url and self.secret_token is None:
            raise PydanticCustomError(
                "required_with", "secret_token is required when webhook_url is set: without it anyone who finds "
                "the URL can send the bot forged messages (see docs/telegram.md)", {"field": "secret_token"})
        return self


class DiscordSettings(Section):
    token: SecretStr | None = None
    # Privileged intents (enable them in the Developer Portal too); see README.
    message_content: bool = True
    presences: bool = True
    members: bool = False
    # Text commands ("/presence who" typed as a message) need message_content.
    text_commands: bool = True

    @field_validator("token")
    @classmethod
    def _token_present(cls, token: SecretStr | None) -> SecretStr | None:
        return _present(token)


class MetricsSettings(Section):
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
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid")

    storage: Literal["memory", "sqlite", "redis"] = "sqlite"
    redis_url: SecretStr | None = None
    sqlite_path: str = "presence.sqlite3"
    default_locale: Literal["en", "zh-CN"] = "en"
    heartbeat_interval_ms: Milliseconds = 30_000
    away_after_ms: Milliseconds = 300_000
    offline_after_ms: Milliseconds = 3_600_000
    device_stale_after_ms: Milliseconds = 86_400_000
    device_prune_after_ms: Milliseconds = 2_592_000_000
    coarse_last_seen: bool = True
    user_commands_per_minute: int = Field(20, gt=0)
    chat_commands_per_minute: int = Field(120, gt=0)
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], BeforeValidator(_upper)] = "INFO"
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

    @model_validator(mode="after")
    def _pruned_after_stale(self) -> Settings:
        """A device is flagged stale before it is removed, never the other way round."""
        if self.device_prune_after_ms < self.device_stale_after_ms:
            raise PydanticCustomError(
                "prune_before_stale", "device_prune_after_ms must be at least device_stale_after_ms: a device "
                "is shown as stale before it is removed", {"field": "device_prune_after_ms"})
        return self

    @field_validator("redis_url")
    @classmethod
    def _redis_url_well_formed(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None and (problem := url_problem(url.get_secret_value())):
            raise ValueError(problem)
        return url

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
    """Settings and the file they came from: ``config``, else ./config.toml when present.

    Raises ``SettingsError`` (one line per problem, each naming its key and never its value) for a
    missing or unreadable file, an unknown key in the file or among the ``PRESENCE_*`` variables,
    and any value that is not valid.
    """
    path = config if config is not None else Path("config.toml")
    if config is not None and not path.is_file():
        raise SettingsError([f"settings file {path} does not exist"])
    used = path if path.is_file() else None
    unknown = unknown_environment(os.environ, ENV_PREFIX, Settings)
    problems = list(unknown.values())

    class FileSettings(Settings):
        toml_path = used

    try:
        settings = FileSettings()
    except ValidationError as error:
        raise SettingsError(problems + explain(error, Settings, used, reported=unknown.keys())) from None
    except pydantic_settings.SettingsError as error:
        # A section given as one variable (PRESENCE_TELEGRAM='{…}') that is not JSON; the message names
        # the field and the source, never the value.
        field = re.search(r'field "(\w+)"', str(error))
        name = f"{ENV_PREFIX}{field[1].upper()}" if field else f"a {ENV_PREFIX}* variable"
        raise SettingsError(problems + [f"environment variable {name} is not valid JSON (a whole section "
                                        "given as one variable must be a JSON object)"]) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise SettingsError(problems + [f"{used}: {_file_problem(error)}"]) from None
    if problems:
        raise SettingsError(problems)
    return settings, used


def _file_problem(error: Exception) -> str:
    """A file that cannot be read, or is not TOML (tomllib's message names a line, never a value)."""
    if isinstance(error, OSError):
        return f"cannot be read ({error.strerror})"
    if isinstance(error, UnicodeDecodeError):
        return "is not UTF-8 text"
    return f"is not valid TOML: {error}"
