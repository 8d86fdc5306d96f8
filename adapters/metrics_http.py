"""``GET /metrics`` for Prometheus when ``[metrics] enabled = true`` but the HTTP API is not.

With ``[http] enabled = true`` too, ``/metrics`` is served by the HTTP API's own server instead
(``presence_adapters.http.create_app``) and ``[metrics] listen``/``port`` are not used. Either way it
is prometheus-client's ASGI app served by uvicorn on the bot's event loop: a scrape needs no
thread, and the bot's counters are read where they live.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from presence_adapters.http.app import metrics_route
from presence_adapters.http.server import Served

PATH = "/metrics"


class MetricsServer(Served):
    """Only ``/metrics``, as an async context manager: listening inside the block, closed after it."""

    def __init__(self, registry: CollectorRegistry, host: str, port: int) -> None:
        super().__init__(Starlette(routes=[metrics_route(registry)]), host, port)
