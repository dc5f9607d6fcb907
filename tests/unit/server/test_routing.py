"""Routes come from the ROUTES table: both prefixes, declared methods, rows without handlers."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from support.asgi_client import TestClient
from trackstone.api.experiments import GetExperiment
from trackstone.api.messages import EmptyResponse
from trackstone.api.routes import ROUTES, Route
from trackstone.server.errors import EXCEPTION_HANDLERS
from trackstone.server.handlers import handler_table
from trackstone.server.routing import api_routes
from trackstone.store.base import TrackingStore


class NoStore:
    """Stands in for a store; the fake handler only reports that it was handed over."""


async def echo(request: Request, store: TrackingStore) -> Response:
    return PlainTextResponse(f"{request.method} {type(store).__name__}")


ROWS = (
    Route("echo", ("GET", "POST"), "/test/echo", GetExperiment, EmptyResponse, "Echo."),
    Route("missing", ("POST",), "/test/missing", GetExperiment, EmptyResponse, "No handler."),
)


@pytest.fixture
def client() -> TestClient:
    routes = api_routes(NoStore(), ROWS, {"echo": echo})  # type: ignore[arg-type]
    return TestClient(Starlette(routes=routes, exception_handlers=dict(EXCEPTION_HANDLERS)))


@pytest.mark.parametrize(
    ("method", "path", "status", "text"),
    [
        ("GET", "/api/2.0/test/echo", 200, "GET NoStore"),
        ("POST", "/api/2.0/test/echo", 200, "POST NoStore"),
        ("GET", "/ajax-api/2.0/test/echo", 200, "GET NoStore"),
        ("DELETE", "/api/2.0/test/echo", 405, None),
        ("POST", "/api/2.0/test/missing", 404, None),
    ],
)
def test_routes_follow_the_table(
    client: TestClient, method: str, path: str, status: int, text: str | None
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    if text is not None:
        assert response.text == text


@pytest.mark.parametrize(
    "name",
    [
        "create_experiment",
        "search_experiments",
        "create_run",
        "log_batch",
        "log_inputs",
        "get_metric_history",
        "get_metric_history_bulk_interval",
    ],
)
def test_tracking_routes_have_handlers(name: str) -> None:
    assert name in {row.name for row in ROUTES}
    assert name in handler_table()


def test_every_handler_has_a_route() -> None:
    assert set(handler_table()) <= {row.name for row in ROUTES}
