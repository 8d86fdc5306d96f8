"""From settings to a running service and bot: the one place that reads Settings into objects."""

from __future__ import annotations

from presence_bot.app import PresenceBot
from presence_bot.metrics import InstrumentedStore, Metrics
from presence_bot.settings import Settings
from presence_core import PresenceService, create_presence_service, open_store


def build_metrics(settings: Settings) -> Metrics | None:
    """Metrics when the /metrics endpoint is enabled; without it nothing times the store."""
    return Metrics() if settings.metrics.enabled else None


def build_service(settings: Settings, metrics: Metrics | None = None) -> PresenceService:
    redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
    store = open_store(settings.storage, redis_url=redis_url, sqlite_path=settings.sqlite_path)
    return create_presence_service(
        heartbeat_interval_ms=settings.heartbeat_interval_ms, away_after_ms=settings.away_after_ms,
        offline_after_ms=settings.offline_after_ms, stale_after_ms=settings.device_stale_after_ms,
        prune_after_ms=settings.device_prune_after_ms,
        store=store if metrics is None else InstrumentedStore(store, metrics),
    )


def build_bot(settings: Settings, service: PresenceService, metrics: Metrics | None = None) -> PresenceBot:
    return PresenceBot(service, settings.bot_options(), metrics)
