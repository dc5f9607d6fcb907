"""Error mapping: Trackstone errors keep their status and code; anything else is a bare 500."""

from __future__ import annotations

import logging

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from support.asgi_client import TestClient
from trackstone.errors import (
    AlreadyExists,
    InternalError,
    InvalidParameter,
    InvalidState,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    TrackstoneError,
    Unauthenticated,
)
from trackstone.server.app import TrackstoneApp
from trackstone.server.errors import GENERIC_INTERNAL_MESSAGE, RequestTooLarge
from trackstone.server.gateway import Gateway
from trackstone.server.hosts import HostPolicy
from trackstone.server.routing import ExactPathRouter

SECRET_PATH = "/srv/secret/trackstone.db"


def gateway(app: ASGIApp) -> Gateway:
    return Gateway(app, hosts=HostPolicy(["*"]), max_request_bytes=1000)


def failing_app(error: BaseException) -> TrackstoneApp:
    async def fail(request: Request) -> Response:
        raise error

    def outer(router: ExactPathRouter) -> ASGIApp:
        return gateway(router)

    return TrackstoneApp(outer=outer, routes=[Route("/fail", fail, methods=["GET", "POST"])])


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (InvalidParameter("name: must not be empty"), 400, "INVALID_PARAMETER_VALUE"),
        (Unauthenticated("no token"), 401, "UNAUTHENTICATED"),
        (PermissionDenied("not yours"), 403, "PERMISSION_DENIED"),
        (NotFound("run 'x' does not exist"), 404, "RESOURCE_DOES_NOT_EXIST"),
        (AlreadyExists("experiment 'a' exists"), 400, "RESOURCE_ALREADY_EXISTS"),
        (InvalidState("run is deleted"), 400, "INVALID_STATE"),
        (ServiceUnavailable("database is locked"), 503, "TEMPORARILY_UNAVAILABLE"),
        (RequestTooLarge("request body: too large"), 413, "INVALID_PARAMETER_VALUE"),
    ],
)
def test_trackstone_errors_keep_status_code_and_message(
    error: TrackstoneError, status: int, code: str
) -> None:
    response = TestClient(failing_app(error)).get("/fail")
    assert response.status_code == status
    assert response.json() == {"error_code": code, "message": error.message}
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError(f"cannot open {SECRET_PATH}"),
        KeyError(SECRET_PATH),
        InternalError(f"unexpected database error at {SECRET_PATH}"),
    ],
)
def test_unexpected_errors_are_a_generic_500_and_logged(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="trackstone.server"):
        response = TestClient(failing_app(error)).get("/fail")
    assert response.status_code == 500
    assert response.json() == {"error_code": "INTERNAL_ERROR", "message": GENERIC_INTERNAL_MESSAGE}
    assert SECRET_PATH not in response.text
    assert "Traceback" not in response.text
    logged = [record for record in caplog.records if record.exc_info is not None]
    assert len(logged) == 1
    assert logged[0].exc_info is not None and logged[0].exc_info[1] is error


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/2.0/mlflow/nothing-here", 404, "ENDPOINT_NOT_FOUND"),
        ("GET", "/elsewhere", 404, "ENDPOINT_NOT_FOUND"),
        ("DELETE", "/fail", 405, "ENDPOINT_NOT_FOUND"),
    ],
)
def test_routing_errors_are_json(method: str, path: str, status: int, code: str) -> None:
    response = TestClient(failing_app(RuntimeError())).request(method, path)
    assert response.status_code == status
    assert response.json() == {"error_code": code, "message": f"no endpoint {method} {path}"}


def test_the_gateway_answers_a_failure_before_any_response(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(scope: object, receive: object, send: object) -> None:
        raise ValueError(SECRET_PATH)

    with caplog.at_level(logging.ERROR, logger="trackstone.server"):
        response = TestClient(gateway(broken)).get("/")
    assert response.status_code == 500
    assert SECRET_PATH not in response.text
    assert any(record.exc_info is not None for record in caplog.records)
