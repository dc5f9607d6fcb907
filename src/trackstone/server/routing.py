"""Build the server's routes from ``trackstone.api.routes.ROUTES`` and the handler modules."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from trackstone import __version__
from trackstone.api.routes import ROUTES
from trackstone.api.routes import Route as ApiRoute
from trackstone.server.handlers import Handler, handler_table
from trackstone.store.base import TrackingStore

__all__ = ["OPENAPI_PATH", "api_routes", "openapi_route"]

logger = logging.getLogger(__name__)

OPENAPI_PATH = "/api/2.0/trackstone/openapi.json"


def _endpoint(handler: Handler, store: TrackingStore) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await handler(request, store)

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


def api_routes(
    store: TrackingStore,
    routes: Iterable[ApiRoute] = ROUTES,
    handlers: Mapping[str, Handler] | None = None,
) -> list[BaseRoute]:
    """Return a Starlette route for each API path whose handler exists (both path prefixes).

    ``handlers`` defaults to every handler of ``trackstone.server.handlers``.
    """
    table = handler_table() if handlers is None else handlers
    result: list[BaseRoute] = []
    missing = []
    for row in routes:
        handler = table.get(row.name)
        if handler is None:
            missing.append(row.name)
            continue
        endpoint = _endpoint(handler, store)
        for path in row.paths:
            result.append(Route(path, endpoint, methods=list(row.methods)))
    if missing:
        logger.info("endpoints without a handler yet (they answer 404): %s", ", ".join(missing))
    return result


def openapi_route() -> Route:
    """Return the route serving the OpenAPI document, rendered once."""
    from trackstone.api.openapi import openapi_document

    body = msgspec.json.encode(openapi_document(__version__))

    async def openapi(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Route(OPENAPI_PATH, openapi, methods=["GET"])
