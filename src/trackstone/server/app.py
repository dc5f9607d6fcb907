"""``create_app(settings)``: the tracking server as an ASGI application, with secure defaults.

One layer stands around Starlette's router: the ``Gateway`` (hosts, origins, body limit,
security headers; direct answers to the hot calls; every exception answered as JSON).
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
from trackstone.server.artifact_batches import artifact_batch_routes
from trackstone.server.artifact_files import artifact_file_routes
from trackstone.server.artifact_proxy import artifact_proxy_routes, artifact_upload_prefixes
from trackstone.server.artifact_roots import ArtifactRoots
from trackstone.server.gateway import Gateway
from trackstone.server.health import health_routes
from trackstone.server.hosts import HostPolicy, default_allowed_hosts
from trackstone.server.routing import ExactPathRouter, api_routes, openapi_route
from trackstone.server.ui.routes import ui_routes
from trackstone.store.base import TrackingStore

__all__ = ["TrackstoneApp", "app_from_env", "create_app", "open_store"]

_DATABASE_SCHEMES = ("sqlite:", "postgresql:", "postgresql+", "postgres:")
_CHECKPOINT_INTERVAL_S = 0.5


class TrackstoneApp(Starlette):
    """A Starlette app whose one layer around the router is ``outer(router)`` (the Gateway).

    Starlette's own error and exception middlewares (and added middleware) are not built: the
    outer layer answers every exception, with the security headers, at the cost of one layer
    instead of four.
    """

    def __init__(self, *, outer: Callable[[ExactPathRouter], ASGIApp], **kwargs: Any) -> None:
        self._outer = outer
        super().__init__(**kwargs)
        # The same routes and lifespan, dispatched by exact path where possible.
        self.router = ExactPathRouter(kwargs.get("routes"), lifespan=kwargs.get("lifespan"))

    def build_middleware_stack(self) -> ASGIApp:
        assert isinstance(self.router, ExactPathRouter)
        return self._outer(self.router)


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
    return SqlStore(
        uri,
        settings.default_artifact_root,
        upgrade=settings.migrate,
        pool=pool,
        # Requests then never pay for a SQLite WAL checkpoint (a disk flush) at commit.
        checkpoint_interval_s=_CHECKPOINT_INTERVAL_S,
    )


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

    def outer(router: ExactPathRouter) -> ASGIApp:
        return Gateway(
            router,
            direct=router.direct_calls(),
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
            *artifact_batch_routes(),
            *artifact_file_routes(),
            *ui_routes(),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = served
    app.state.artifact_roots = ArtifactRoots(settings)
    return app


def app_from_env() -> TrackstoneApp:
    """Build the app from ``TRACKSTONE_*`` settings: the factory each uvicorn worker calls."""
    return create_app(ServerSettings.from_env())
