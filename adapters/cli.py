"""``presence-bot``: runs the adapters whose tokens are configured, or the console chat.

It lives with the adapters because it is the one place that knows every platform; ``bot``
never imports a platform.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Coroutine, Sequence
from pathlib import Path
from typing import Any

from presence_bot import logs
from presence_bot.metrics import Metrics
from presence_bot.settings import Settings, load_settings
from presence_bot.settings_errors import SettingsError
from presence_bot.wiring import build_bot, build_metrics, build_service
from presence_core import PresenceError, PresenceService

log = logging.getLogger("presence")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="presence-bot", description="Presence plugin bot for Telegram and Discord.")
    parser.add_argument("--config", type=Path, help="settings file (default: ./config.toml when present)")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (the default)")
    sync = commands.add_parser("sync-commands", help="register the Discord slash commands")
    sync.add_argument("--guild", type=int, help="only in this guild (instant), instead of globally")
    return parser


def _platforms(settings: Settings) -> list[str]:
    return [name for name in ("telegram", "discord") if getattr(settings, name).token is not None]


@contextlib.asynccontextmanager
async def _http_endpoints(settings: Settings, service: PresenceService, metrics: Metrics | None) -> AsyncIterator[None]:
    """While the bot runs: the HTTP API when enabled (with ``/metrics`` on it when metrics are on too),
    else ``/metrics`` alone on its own port when enabled; nothing by default."""
    if settings.http.enabled:
        from presence_adapters.http import Served, create_app
        key = settings.http.room_id_key
        app = create_app(service, metrics_registry=metrics.registry if metrics is not None else None,
                         room_id_key=key.get_secret_value().encode() if key is not None else None)
        async with Served(app, settings.http.listen, settings.http.port):
            yield
        return
    if metrics is None:
        yield
        return
    from presence_adapters.metrics_http import MetricsServer
    async with MetricsServer(metrics.registry, settings.metrics.listen, settings.metrics.port):
        yield


async def _run(settings: Settings, source: Path | None) -> None:
    metrics = build_metrics(settings)
    service = build_service(settings, metrics)
    presence_bot = build_bot(settings, service, metrics)
    platforms = _platforms(settings)
    adapters = [*(platforms or ["console"]), *(["http"] if settings.http.enabled else [])]
    log.info("presence-bot: adapters=%s store=%s settings=%s", ",".join(adapters), settings.storage,
             source or "defaults and environment")
    async with service, _http_endpoints(settings, service, metrics):
        runs: list[Coroutine[Any, Any, None]] = []
        if "telegram" in platforms:
            from presence_adapters.telegram import serve as serve_telegram
            runs.append(serve_telegram(settings.telegram, presence_bot))
        if "discord" in platforms:
            from presence_adapters.discord import serve as serve_discord
            runs.append(serve_discord(settings.discord, presence_bot))
        if not runs:
            from presence_adapters.console import Console
            runs.append(Console(presence_bot).run())
        try:
            await asyncio.gather(*runs)
        finally:
            await presence_bot.close()


async def _sync_commands(settings: Settings, guild: int | None) -> None:
    if settings.discord.token is None:
        raise SystemExit("presence-bot: sync-commands needs discord.token (or PRESENCE_DISCORD__TOKEN)")
    from presence_adapters.discord import sync_commands
    names = await sync_commands(settings.discord, guild)
    print(f"synced {len(names)} command(s): {', '.join(names)}")


async def _until_signal(work: Coroutine[Any, Any, None]) -> None:
    """SIGINT (Ctrl-C) and SIGTERM stop the work the same way: pending batches flushed, connections closed.

    A second Ctrl-C while that is under way stops at once (``main`` exits quietly with 130).
    """
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def stop() -> None:
        task.cancel()
        for sig in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)

    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings, source = load_settings(args.config)
    except SettingsError as error:
        for problem in error.problems:
            print(f"presence-bot: {problem}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, sys.stderr, settings.secret_values())
    if not _platforms(settings):
        # The console shares the terminal: only problems go to stderr there, and the start-up line.
        level = logging.getLevelName(settings.log_level)
        logging.getLogger().setLevel(max(logging.WARNING, level))
        log.setLevel(level)
    try:
        if args.command == "sync-commands":
            asyncio.run(_sync_commands(settings, args.guild))
        else:
            asyncio.run(_until_signal(_run(settings, source)))
    except PresenceError as error:
        print(f"presence-bot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
