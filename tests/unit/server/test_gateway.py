"""Gateway: hot calls answered directly, the same as through Starlette; every failure as JSON."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from support.asgi_client import TestClient
from support.event_loop import run_coroutine
from trackstone.config import ServerSettings
from trackstone.errors import NotFound
from trackstone.server.app import TrackstoneApp, create_app
from trackstone.server.direct import DirectRoute, read_body
from trackstone.server.errors import GENERIC_INTERNAL_MESSAGE
from trackstone.server.gateway import Gateway
from trackstone.server.hosts import HostPolicy
from trackstone.server.routing import ExactPathRouter
from trackstone.store.sql.store import SqlStore

LIMIT = 1000
SECRET = "/srv/secret/trackstone.db"
BASE_URL = "http://127.0.0.1:5000"


class Direct:
    """A direct call that echoes the body, or raises ``error``; counts its calls."""

    content_type = b"application/json"

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive) -> bytes | None:
        self.calls += 1
        if self.error is not None:
            raise self.error
        body = await read_body(receive)
        return None if body is None else body or b"{}"


async def routed(request: Request) -> Response:
    return PlainTextResponse("routed")


class AfterAnswer:
    """An ASGI endpoint that fails once its answer is complete."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("answered")(scope, receive, send)
        raise RuntimeError(SECRET)


class HalfAnswer:
    """An ASGI endpoint that fails half-way through its answer."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError(SECRET)


def app_with(direct: Direct, cors: tuple[str, ...] = ()) -> TrackstoneApp:
    def outer(router: ExactPathRouter) -> ASGIApp:
        return Gateway(
            router,
            direct=router.direct_calls(),
            hosts=HostPolicy(["localhost"]),
            cors_allowed_origins=cors,
            max_request_bytes=LIMIT,
        )

    routes = [
        DirectRoute("/direct", routed, methods=["GET", "POST"], direct=direct),
        Route("/after", AfterAnswer(), methods=["GET"]),
        Route("/half", HalfAnswer(), methods=["GET"]),
    ]
    return TrackstoneApp(outer=outer, routes=routes)


def client_of(app: TrackstoneApp, **kwargs: str) -> TestClient:
    return TestClient(app, base_url="http://localhost", **kwargs)


def test_a_direct_route_is_answered_by_its_direct_call_with_security_headers() -> None:
    direct = Direct()
    client = client_of(app_with(direct, cors=("https://ui.example",)))
    response = client.post("/direct", content=b'{"a": 1}', headers={"origin": "https://ui.example"})
    assert (response.status_code, response.content, direct.calls) == (200, b'{"a": 1}', 1)
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == "8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["access-control-allow-origin"] == "https://ui.example"


@pytest.mark.parametrize(
    ("method", "root_path", "text"),
    [("HEAD", "", ""), ("GET", "/prefix", "routed"), ("DELETE", "", None)],
)
def test_other_methods_and_root_paths_go_through_starlette(
    method: str, root_path: str, text: str | None
) -> None:
    direct = Direct()
    client = client_of(app_with(direct), root_path=root_path)
    response = client.request(method, root_path + "/direct")
    assert direct.calls == 0
    if text is None:
        assert response.status_code == 405
        assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
        assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    else:
        assert (response.status_code, response.text) == (200, text)
    assert response.headers["x-frame-options"] == "DENY"


def test_a_refused_request_never_reaches_the_direct_call() -> None:
    direct = Direct()
    client = client_of(app_with(direct))
    assert client.post("/direct", content=b"x" * (LIMIT + 1)).status_code == 413
    assert client.post("/direct", headers={"origin": "http://evil.test"}).status_code == 403
    assert client.get("/direct", headers={"host": "evil.test"}).status_code == 403
    assert direct.calls == 0


def test_a_chunked_body_over_the_limit_on_a_direct_route_is_a_413() -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(LIMIT // 100 + 1):
            yield b"x" * 100

    response = client_of(app_with(Direct())).post("/direct", content=chunks())
    assert response.status_code == 413
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_trackstone_error_of_a_direct_call_is_its_json_answer() -> None:
    client = client_of(app_with(Direct(NotFound("run 'x' does not exist"))))
    response = client.get("/direct")
    assert response.status_code == 404
    assert response.json() == {
        "error_code": "RESOURCE_DOES_NOT_EXIST",
        "message": "run 'x' does not exist",
    }
    assert response.headers["x-frame-options"] == "DENY"


def test_an_unexpected_error_of_a_direct_call_is_a_logged_generic_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = client_of(app_with(Direct(RuntimeError(SECRET))))
    with caplog.at_level(logging.ERROR, logger="trackstone.server"):
        response = client.get("/direct")
    assert response.status_code == 500
    assert response.json() == {"error_code": "INTERNAL_ERROR", "message": GENERIC_INTERNAL_MESSAGE}
    assert SECRET not in response.text
    logged = [record for record in caplog.records if record.exc_info is not None]
    assert len(logged) == 1 and str(logged[0].exc_info[1]) == SECRET  # type: ignore[index]


def test_an_error_after_a_complete_answer_is_logged_and_the_answer_stands(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="trackstone.server"):
        response = client_of(app_with(Direct())).get("/after")
    assert (response.status_code, response.text) == (200, "answered")
    assert len([record for record in caplog.records if record.exc_info is not None]) == 1


def test_an_error_in_a_half_sent_answer_is_left_to_the_server() -> None:
    with pytest.raises(RuntimeError, match="secret"):
        client_of(app_with(Direct())).get("/half")


def test_a_client_gone_before_its_body_arrived_gets_nothing() -> None:
    direct = Direct()
    gateway = app_with(direct)
    sent: list[Message] = []
    messages: list[Message] = [
        {"type": "http.request", "body": b"{", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/direct",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), (b"content-length", b"2")],
    }
    run_coroutine(gateway(scope, receive, send))
    assert direct.calls == 1 and sent == []


# -- the real app: direct answers equal Starlette's -----------------------------------------


@pytest.fixture
def run_ids(store: SqlStore) -> tuple[str, str]:
    experiment_id = store.create_experiment("gateway")
    run = store.create_run(experiment_id, run_name="r")
    return experiment_id, run.info.run_id


REQUESTS = [
    ("GET", "/health", None),
    ("GET", "/version", None),
    ("GET", "/api/2.0/mlflow/runs/get?run_id={run}", None),
    ("POST", "/api/2.0/mlflow/runs/update", b'{"run_id": "{run}", "run_name": "renamed"}'),
    ("GET", "/ajax-api/2.0/mlflow/experiments/get?experiment_id={experiment}", None),
    ("GET", "/api/2.0/mlflow/runs/get?run_id=missing", None),
    ("GET", "/api/2.0/mlflow/runs/get", None),
    ("POST", "/api/2.0/mlflow/runs/log-batch", b'{"run_id": '),
    ("POST", "/api/2.0/mlflow/runs/log-batch", b"[]"),
    ("POST", "/api/2.0/mlflow/runs/set-tag", b'{"run_id": "{run}", "key": "k", "value": "v"}'),
    ("POST", "/api/2.0/mlflow/runs/search", b'{"experiment_ids": ["{experiment}"]}'),
    ("GET", "/api/2.0/mlflow/metrics/get-history?run_id={run}&metric_key=m", None),
]


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
def test_direct_answers_equal_starlettes(
    settings: ServerSettings,
    store: SqlStore,
    run_ids: tuple[str, str],
    method: str,
    path: str,
    body: bytes | None,
) -> None:
    experiment_id, run_id = run_ids

    def filled(text: str) -> str:
        return text.replace("{run}", run_id).replace("{experiment}", experiment_id)

    content = filled(body.decode()).encode() if body is not None else None
    answers = []
    for root_path in ("", "/prefix"):  # a root path makes the gateway leave it to Starlette
        client = TestClient(create_app(settings, store), base_url=BASE_URL, root_path=root_path)
        response = client.request(method, root_path + filled(path), content=content)
        answers.append((response.status_code, dict(response.headers), response.content))
    assert answers[0] == answers[1]
    assert answers[0][1]["x-content-type-options"] == "nosniff"


def test_the_app_answers_the_hot_calls_directly(settings: ServerSettings, store: SqlStore) -> None:
    app = create_app(settings, store)
    TestClient(app, base_url=BASE_URL).get("/health")  # builds the app's layers
    assert isinstance(app.middleware_stack, Gateway)
    direct = set(app.middleware_stack.direct)
    for path in (
        "/health",
        "/api/2.0/mlflow/runs/get",
        "/api/2.0/mlflow/experiments/get",
        "/api/2.0/mlflow/metrics/get-history",
    ):
        assert (path, "GET") in direct
    for path in ("/api/2.0/mlflow/runs/create", "/api/2.0/mlflow/runs/log-batch"):
        assert (path, "POST") in direct
    assert ("/api/2.0/mlflow/experiments/create", "POST") not in direct  # a request handler
