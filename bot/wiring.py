"""From settings to a running service and bot: the one place that reads Settings into objects."""

from __future__ import annotations

from bot.app import PresenceBot
from bot.settings import Settings
from presence_core import PresenceService, create_presence_service


def build_service(settings: Settings) -> PresenceService:
    redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
    return create_presence_service(
        heartbeat_interval_ms=settings.heartbeat_interval_ms, away_after_ms=settings.away_after_ms,
        offline_after_ms=settings.offline_after_ms, storage=settings.storage, redis_url=redis_url,
        sqlite_path=settings.sqlite_path,
    )


def build_bot(settings: Settings, service: PresenceService) -> PresenceBot:
    return PresenceBot(service, settings.bot_options())
