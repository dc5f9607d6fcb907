"""Routes come from the ROUTES table: both prefixes, declared methods, rows without handlers."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from support.asgi_client import TestClient
from trackstone.api.experiments import GetExperiment, GetExperimentResponse, WireExperiment
from trackstone.api.messages import EmptyResponse
from trackstone.api.routes import ROUTES, Route
from trackstone.server.app import TrackstoneApp
from trackstone.server.gateway import Gateway
from trackstone.server.handlers import handler_table, message_handler
from trackstone.server.hosts import HostPolicy
from trackstone.server.routing import ExactPathRouter, api_routes
from trackstone.store.base import TrackingStore


class NoStore:
    """Stands in for a store; the fake handler only reports that it was handed over."""


async def echo(request: Request, store: TrackingStore) -> Response:
    return PlainTextResponse(f"{request.method} {type(store).__name__}")


ROWS = (
    Route("echo", ("GET", "POST"), "/test/echo", GetExperiment, EmptyResponse, "Echo."),
    Route("missing", ("POST",), "/test/missing", GetExperiment, EmptyResponse, "No handler."),
    Route(
        "echo_message",
        ("GET", "POST"),
        "/test/message",
        GetExperiment,
        GetExperimentResponse,
        "Echo a message.",
    ),
)


@message_handler
async def echo_message(message: GetExperiment, store: TrackingStore) -> GetExperimentResponse:
    name = f"{message.experiment_id} {type(store).__name__}"
    return GetExperimentResponse(experiment=WireExperiment(experiment_id="1", name=name))


def app_of(routes: list[BaseRoute]) -> TrackstoneApp:
    def outer(router: ExactPathRouter) -> ASGIApp:
        return Gateway(
            router, direct=router.direct_calls(), hosts=HostPolicy(["*"]), max_request_bytes=100
        )

    return TrackstoneApp(outer=outer, routes=routes)


@pytest.fixture
def client() -> TestClient:
    handlers = {"echo": echo, "echo_message": echo_message}
    return TestClient(app_of(api_routes(NoStore(), ROWS, handlers)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "path", "status", "name"),
    [
        ("GET", "/api/2.0/test/message?experiment_id=7", 200, "7 NoStore"),
        ("POST", "/api/2.0/test/message", 200, "8 NoStore"),
        ("GET", "/ajax-api/2.0/test/message?experiment_id=9", 200, "9 NoStore"),
        ("GET", "/api/2.0/test/message?experiment_id=x&experiment_id=y", 200, "x NoStore"),
        ("GET", "/api/2.0/test/message", 400, None),
        ("DELETE", "/api/2.0/test/message", 405, None),
    ],
)
def test_message_handlers_answer_their_routes(
    client: TestClient, method: str, path: str, status: int, name: str | None
) -> None:
    body = b'{"experiment_id": "8"}' if method == "POST" else None
    response = client.request(method, path, content=body)
    assert response.status_code == status
    if name is not None:
        assert response.json()["experiment"]["name"] == name
    else:
        assert response.json()["error_code"] in ("INVALID_PARAMETER_VALUE", "ENDPOINT_NOT_FOUND")


def test_message_routes_are_direct_and_other_routes_are_not() -> None:
    routes = api_routes(NoStore(), ROWS, {"echo": echo, "echo_message": echo_message})  # type: ignore[arg-type]
    direct = ExactPathRouter(routes).direct_calls()
    assert sorted(direct) == [
        ("/ajax-api/2.0/test/message", "GET"),
        ("/ajax-api/2.0/test/message", "POST"),
        ("/api/2.0/test/message", "GET"),
        ("/api/2.0/test/message", "POST"),
    ]


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
