"""The HTTP API, live feed and board of SPEC section 11: ``create_app(presence)``, served by ``serve``."""

from presence_adapters.http.app import create_app
from presence_adapters.http.hub import FeedOptions
from presence_adapters.http.server import Served

__all__ = ["FeedOptions", "Served", "create_app"]
