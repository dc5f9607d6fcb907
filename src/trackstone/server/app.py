"""``create_app(settings)``: the tracking server as an ASGI application, with secure defaults.

Layers, outermost first: ``SecurityMiddleware`` (hosts, origins, body limit, headers),
``ErrorGuard`` (nothing escapes unanswered), then Starlette (exception handlers, routing).
Nothing happens at import time; ``create_app`` opens the store once and the app closes it
at shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp

from trackstone.config import ServerSettings
from trackstone.errors import InvalidParameter
from trackstone.server.artifact_files import artifact_file_routes
from trackstone.server.artifact_proxy import artifact_proxy_routes, artifact_upload_prefixes
from trackstone.server.artifact_roots import ArtifactRoots
from trackstone.server.errors import EXCEPTION_HANDLERS, ErrorGuard
from trackstone.server.health import health_routes
from trackstone.server.hosts import HostPolicy, default_allowed_hosts
from trackstone.server.routing import ExactPathRouter, api_routes, openapi_route
from trackstone.server.security import SecurityMiddleware
from trackstone.server.ui.routes import ui_routes
from trackstone.store.base import TrackingStore

__all__ = ["TrackstoneApp", "app_from_env", "create_app", "open_store"]

_DATABASE_SCHEMES = ("sqlite:", "postgresql:", "postgresql+", "postgres:")


class TrackstoneApp(Starlette):
    """A Starlette app whose middleware stack is wrapped in Trackstone's outer layers.

    The outer layers sit outside Starlette's own error middleware, so that its 500 responses
    get the security headers too.
    """

    def __init__(self, *, outer: Callable[[ASGIApp], ASGIApp], **kwargs: Any) -> None:
        self._outer = outer
        super().__init__(**kwargs)
        # The same routes and lifespan, dispatched by exact path where possible.
        self.router = ExactPathRouter(kwargs.get("routes"), lifespan=kwargs.get("lifespan"))

    def build_middleware_stack(self) -> ASGIApp:
        return self._outer(super().build_middleware_stack())


def open_store(settings: ServerSettings) -> TrackingStore:
    """Open the server's SQL store, migrating its schema unless ``settings.migrate`` is off.

    Raises:
        InvalidParameter: the backend store URI is not a database.
        InvalidState: migrations are off and the schema is not the latest.
    """
    uri = settings.backend_store_uri
    if not uri.startswith(_DATABASE_SCHEMES):
        scheme = uri.partition(":")[0]
        raise InvalidParameter(
            f"backend store URI: must be sqlite:///... or postgresql://..., got a {scheme!r} URI"
        )
    from trackstone.store.sql.engine import PoolOptions
    from trackstone.store.sql.store import SqlStore

    pool = PoolOptions(
        size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        timeout_s=settings.db_pool_timeout_s,
    )
    return SqlStore(uri, settings.default_artifact_root, upgrade=settings.migrate, pool=pool)


def create_app(settings: ServerSettings, store: TrackingStore | None = None) -> TrackstoneApp:
    """Return the tracking server application.

    Args:
        settings: the server's settings.
        store: the store to serve (the app then leaves closing it to the caller); by default
            the one ``settings`` name, opened now and closed at shutdown.

    Example:
        >>> app = create_app(ServerSettings(backend_store_uri="sqlite:////tmp/t.db"))
        >>> # uvicorn.run(app, host="127.0.0.1", port=5000)
    """
    owned = store is None
    served = open_store(settings) if store is None else store

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                served.close()

    hosts = HostPolicy(settings.allowed_hosts or default_allowed_hosts(settings.host))

    def outer(app: ASGIApp) -> ASGIApp:
        return SecurityMiddleware(
            ErrorGuard(app),
            hosts=hosts,
            cors_allowed_origins=settings.cors_allowed_origins,
            max_request_bytes=settings.max_request_bytes,
            max_artifact_bytes=settings.max_artifact_bytes,
            artifact_upload_prefixes=artifact_upload_prefixes(),
        )

    app = TrackstoneApp(
        outer=outer,
        routes=[
            *health_routes(),
            openapi_route(),
            *api_routes(served),
            *artifact_proxy_routes(),
            *artifact_file_routes(),
            *ui_routes(),
        ],
        exception_handlers=dict(EXCEPTION_HANDLERS),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = served
    app.state.artifact_roots = ArtifactRoots(settings)
    return app


def app_from_env() -> TrackstoneApp:
    """Build the app from ``TRACKSTONE_*`` settings: the factory each uvicorn worker calls."""
    return create_app(ServerSettings.from_env())
