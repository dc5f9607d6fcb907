"""Build the server's routes from ``trackstone.api.routes.ROUTES`` and the handler modules;
dispatch exact paths with one dict lookup (``ExactPathRouter``)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import msgspec
from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send

from trackstone import __version__
from trackstone.api.routes import ROUTES
from trackstone.api.routes import Route as ApiRoute
from trackstone.server.bodies import parse, respond
from trackstone.server.direct import DirectCall, DirectRoute, JsonCall
from trackstone.server.handlers import AnyHandler, Handler, MessageHandler, handler_table
from trackstone.store.base import TrackingStore

__all__ = ["OPENAPI_PATH", "ExactPathRouter", "api_routes", "openapi_route"]

logger = logging.getLogger(__name__)

OPENAPI_PATH = "/api/2.0/trackstone/openapi.json"


def _endpoint(handler: Handler, store: TrackingStore) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await handler(request, store)

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


def _message_endpoint(
    handler: MessageHandler, store: TrackingStore, struct_type: type[Any]
) -> Callable[[Request], Awaitable[Response]]:
    """Return the Starlette endpoint of a message handler (for requests not served directly)."""

    async def endpoint(request: Request) -> Response:
        return respond(await handler.function(await parse(request, struct_type), store))

    endpoint.__name__ = handler.name
    endpoint.__doc__ = handler.doc
    return endpoint


def api_routes(
    store: TrackingStore,
    routes: Iterable[ApiRoute] = ROUTES,
    handlers: Mapping[str, AnyHandler] | None = None,
) -> list[BaseRoute]:
    """Return a Starlette route for each API path whose handler exists (both path prefixes).

    A message handler's routes are ``DirectRoute``s, answered straight from ASGI messages.
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
        methods = list(row.methods)
        if isinstance(handler, MessageHandler):
            endpoint = _message_endpoint(handler, store, row.request)
            direct = JsonCall(row.request, handler, store)
            for path in row.paths:
                result.append(DirectRoute(path, endpoint, methods=methods, direct=direct))
        else:
            endpoint = _endpoint(handler, store)
            for path in row.paths:
                result.append(Route(path, endpoint, methods=methods))
    if missing:
        logger.info("endpoints without a handler yet (they answer 404): %s", ", ".join(missing))
    return result


def openapi_route() -> Route:
    """Return the route serving the OpenAPI document, rendered at its first request.

    Rendering takes ~70 ms, which the server's start does not wait for.
    """

    @functools.cache
    def body() -> bytes:
        from trackstone.api.openapi import openapi_document

        return msgspec.json.encode(openapi_document(__version__))

    async def openapi(request: Request) -> Response:
        return Response(body(), media_type="application/json")

    return Route(OPENAPI_PATH, openapi, methods=["GET"])


class ExactPathRouter(Router):
    """A Starlette router that narrows each request to the routes that could match it.

    Starlette tries each route's regular expression in order: ~200 API paths under two
    prefixes put the artifact proxy tens of microseconds away. Here a (path, method) of a route
    without parameters maps to the route Starlette's scan picks first (found by running that
    scan once); any other path is tried only against the routes whose literal folder prefix
    (``/api/2.0/mlflow-artifacts/artifacts/`` of ``.../artifacts/{path:path}``) it starts
    with, in their order. When none matches fully, Starlette's own scan runs, so 405s,
    redirects and 404s stay Starlette's.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._indexed_count = -1
        self._exact: dict[tuple[str, str], Route] = {}
        self._prefixed: dict[str, list[tuple[int, BaseRoute]]] = {}

    def _index(self) -> None:
        """(Re)build the tables when the routes changed (``add_route`` appends)."""
        if self._indexed_count != len(self.routes):
            self._exact = _first_matches(self.routes)
            self._prefixed = {}
            for position, route in enumerate(self.routes):
                if not (isinstance(route, Route) and not route.param_convertors):
                    self._prefixed.setdefault(_folder_prefix(route), []).append((position, route))
            self._indexed_count = len(self.routes)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self._index()
            path = get_route_path(scope)
            exact = self._exact.get((path, scope["method"]))
            if exact is not None:
                if "router" not in scope:
                    scope["router"] = self
                scope["route"] = exact
                scope["endpoint"] = exact.endpoint
                scope["path_params"] = dict(scope.get("path_params", {}))
                await exact.handle(scope, receive, send)
                return
            for route in self._candidates(path):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    if "router" not in scope:
                        scope["router"] = self
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)

    def direct_calls(self) -> dict[tuple[str, str], DirectCall]:
        """Map each (path, method) that a ``DirectRoute`` answers to its direct call.

        Only where Starlette's own scan would pick that route, so both ways answer the same;
        never ``HEAD`` (Starlette answers it without a body).
        """
        self._index()
        return {
            key: route.direct
            for key, route in self._exact.items()
            if isinstance(route, DirectRoute) and key[1] != "HEAD"
        }

    def _candidates(self, path: str) -> list[BaseRoute]:
        """Return the routes with parameters whose folder prefix ``path`` starts with, in order."""
        found: list[tuple[int, BaseRoute]] = []
        end = path.find("/")
        while end != -1:
            found += self._prefixed.get(path[: end + 1], ())
            end = path.find("/", end + 1)
        found.sort(key=_position)
        return [route for _, route in found]


def _position(item: tuple[int, BaseRoute]) -> int:
    return item[0]


def _folder_prefix(route: BaseRoute) -> str:
    """Return the folder every path a route can match starts with (``/`` if unknown)."""
    if isinstance(route, Route):
        template = route.path
    elif isinstance(route, Mount):
        template = route.path + "/"  # a mount answers the paths below it
    else:
        return "/"
    literal = template.split("{", 1)[0]
    return literal[: literal.rfind("/") + 1] or "/"


def _first_matches(routes: list[BaseRoute]) -> dict[tuple[str, str], Route]:
    """Map each (path, method) of a parameterless route to the route Starlette's scan picks."""
    table: dict[tuple[str, str], Route] = {}
    for candidate in routes:
        if not isinstance(candidate, Route) or candidate.param_convertors:
            continue
        for method in candidate.methods or ():
            key = (candidate.path, method)
            if key in table:
                continue
            probe = {"type": "http", "path": candidate.path, "root_path": "", "method": method}
            for route in routes:
                match, child = route.matches(probe)
                if match is Match.FULL:
                    # Only a parameterless Route answers this path the same way every time.
                    if isinstance(route, Route) and not child.get("path_params"):
                        table[key] = route
                    break
    return table
