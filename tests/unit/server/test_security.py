"""SecurityMiddleware: Host allowlist, cross-origin writes, CORS, body limits, security headers."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest
from starlette.types import Message, Receive, Scope, Send

from support.asgi_client import TestClient
from support.event_loop import run_coroutine
from trackstone.server.hosts import HostPolicy
from trackstone.server.security import CONTENT_SECURITY_POLICY, SecurityMiddleware

LIMIT = 1000
OWN = "http://localhost:5000"


class EchoApp:
    """Read the whole body and answer its length; record every request that got through."""

    def __init__(self, content_type: bytes = b"application/json", csp: bytes | None = None) -> None:
        self.content_type = content_type
        self.csp = csp
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        headers = [(b"content-type", self.content_type)]
        if self.csp is not None:
            headers.append((b"content-security-policy", self.csp))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": str(size).encode()})


def secured(app: EchoApp, cors: tuple[str, ...] = ()) -> SecurityMiddleware:
    return SecurityMiddleware(
        app,
        hosts=HostPolicy(["localhost", "127.0.0.1"]),
        cors_allowed_origins=cors,
        max_request_bytes=LIMIT,
    )


@pytest.fixture
def app() -> EchoApp:
    return EchoApp()


@pytest.fixture
def client(app: EchoApp) -> TestClient:
    return TestClient(secured(app, cors=("https://ui.example",)), base_url=OWN)


def error_code(body: bytes) -> str:
    return str(msgspec.json.decode(body)["error_code"])


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("localhost:5000", 200),
        ("127.0.0.1:5000", 200),
        ("LocalHost", 200),
        ("evil.test", 403),
        ("localhost.evil.test:5000", 403),
        ("127.0.0.1.nip.io", 403),
    ],
)
def test_host_header_is_checked(client: TestClient, app: EchoApp, host: str, status: int) -> None:
    response = client.get("/", headers={"host": host})
    assert response.status_code == status
    assert app.calls == (1 if status == 200 else 0)
    if status == 403:
        assert error_code(response.content) == "PERMISSION_DENIED"
        assert "--allowed-hosts" in response.json()["message"]


@pytest.mark.parametrize(
    ("method", "origin", "status"),
    [
        ("POST", "http://evil.test", 403),
        ("PUT", "http://evil.test", 403),
        ("PATCH", "http://evil.test", 403),
        ("DELETE", "http://evil.test", 403),
        ("POST", "null", 403),
        ("POST", "http://localhost:5001", 403),
        ("POST", "https://localhost:5000", 200),
        ("POST", "file://", 403),
        ("POST", OWN, 200),
        ("POST", "HTTP://LOCALHOST:5000", 200),
        ("POST", "https://ui.example", 200),
        ("GET", "http://evil.test", 200),
        ("HEAD", "http://evil.test", 200),
    ],
)
def test_state_changing_requests_need_our_origin(
    client: TestClient, app: EchoApp, method: str, origin: str, status: int
) -> None:
    response = client.request(method, "/", headers={"origin": origin}, content=b"{}")
    assert response.status_code == status
    assert app.calls == (1 if status == 200 else 0)


@pytest.mark.parametrize(
    ("origin", "host", "status"),
    [
        ("http://localhost", "localhost", 200),
        ("http://localhost", "localhost:80", 200),
        ("https://localhost", "localhost:443", 200),
        ("http://localhost:80", "localhost", 200),
        ("http://localhost", "localhost:8080", 403),
    ],
)
def test_default_ports_count_as_the_same_origin(
    client: TestClient, origin: str, host: str, status: int
) -> None:
    response = client.post("/", headers={"origin": origin, "host": host}, content=b"{}")
    assert response.status_code == status


def test_post_without_origin_is_allowed(client: TestClient) -> None:
    # Non-browser clients (the mlflow client, curl) send no Origin header.
    assert client.post("/", content=b"{}").status_code == 200


@pytest.mark.parametrize(
    ("origin", "expected_allow_origin"),
    [
        ("https://ui.example", "https://ui.example"),
        ("https://other.example", None),
        (OWN, None),
    ],
)
def test_cors_headers_only_for_configured_origins(
    client: TestClient, origin: str, expected_allow_origin: str | None
) -> None:
    response = client.get("/", headers={"origin": origin})
    assert response.headers.get("access-control-allow-origin") == expected_allow_origin


def test_no_cors_headers_without_configuration(app: EchoApp) -> None:
    response = TestClient(secured(app), base_url=OWN).get(
        "/", headers={"origin": "https://ui.example"}
    )
    assert not [name for name in response.headers if name.startswith("access-control-")]


def test_wildcard_cors_echoes_any_origin(app: EchoApp) -> None:
    test_client = TestClient(secured(app, cors=("*",)), base_url=OWN)
    response = test_client.post("/", headers={"origin": "https://a.example"}, content=b"{}")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://a.example"


@pytest.mark.parametrize(
    ("origin", "status", "answered_here"),
    [("https://ui.example", 204, True), ("https://other.example", 200, False)],
)
def test_preflight(
    client: TestClient, app: EchoApp, origin: str, status: int, answered_here: bool
) -> None:
    response = client.options(
        "/", headers={"origin": origin, "access-control-request-method": "POST"}
    )
    assert response.status_code == status
    assert app.calls == (0 if answered_here else 1)
    if answered_here:
        assert response.headers["access-control-allow-origin"] == origin
        assert "POST" in response.headers["access-control-allow-methods"]


@pytest.mark.parametrize(("size", "status"), [(LIMIT - 1, 200), (LIMIT, 200), (LIMIT + 1, 413)])
def test_body_limit_with_content_length(
    client: TestClient, app: EchoApp, size: int, status: int
) -> None:
    response = client.post("/", content=b"x" * size)
    assert response.status_code == status
    if status == 413:
        assert app.calls == 0  # refused before the application saw the request
        assert str(LIMIT) in response.json()["message"]
    else:
        assert response.text == str(size)


@pytest.mark.parametrize(("size", "status"), [(LIMIT, 200), (LIMIT + 1, 413), (10 * LIMIT, 413)])
def test_body_limit_while_streaming_a_chunked_body(
    client: TestClient, size: int, status: int
) -> None:
    def chunks() -> Iterator[bytes]:
        for start in range(0, size, 100):
            yield b"x" * min(100, size - start)

    response = client.post("/", content=chunks())
    assert response.status_code == status


def run_raw(app: SecurityMiddleware, headers: list[tuple[bytes, bytes]]) -> list[Message]:
    """Drive the middleware with a hand-made scope (for headers an HTTP client won't send)."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    run_coroutine(app(scope, receive, send))
    return sent


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ([(b"content-length", b"12x")], 400, "INVALID_PARAMETER_VALUE"),
        ([(b"host", b"localhost"), (b"content-length", b"-1")], 400, "INVALID_PARAMETER_VALUE"),
        ([(b"host", b"localhost"), (b"content-length", b"99999999999999999999")], 413, None),
        ([], 403, "PERMISSION_DENIED"),
    ],
)
def test_malformed_headers(
    app: EchoApp, headers: list[tuple[bytes, bytes]], status: int, code: str | None
) -> None:
    if headers and headers[0][0] != b"host":
        headers = [(b"host", b"localhost"), *headers]
    sent = run_raw(secured(app), headers)
    assert sent[0]["status"] == status
    assert app.calls == 0
    if code is not None:
        assert error_code(sent[1]["body"]) == code


def test_lifespan_passes_through(app: EchoApp) -> None:
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    middleware = SecurityMiddleware(inner, hosts=HostPolicy([]), max_request_bytes=1)

    async def nothing() -> Message:
        return {}

    async def drop(message: Message) -> None:
        pass

    run_coroutine(middleware({"type": "lifespan"}, nothing, drop))
    assert seen == ["lifespan"]


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/", {}),
        ("/", {"host": "evil.test"}),
        ("/", {"origin": "http://evil.test"}),
    ],
)
def test_security_headers_on_every_response(
    client: TestClient, path: str, headers: dict[str, str]
) -> None:
    response = client.post(path, headers=headers, content=b"x")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_security_headers_on_a_413(client: TestClient) -> None:
    response = client.post("/", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("content_type", "own_csp", "expected_csp"),
    [
        (b"text/html; charset=utf-8", None, CONTENT_SECURITY_POLICY.decode()),
        (b"image/svg+xml", None, CONTENT_SECURITY_POLICY.decode()),
        (b"application/json", None, None),
        (b"text/plain", None, None),
        (b"text/html", b"default-src 'none'", "default-src 'none'"),
    ],
)
def test_content_security_policy_for_active_content(
    content_type: bytes, own_csp: bytes | None, expected_csp: str | None
) -> None:
    app = EchoApp(content_type=content_type, csp=own_csp)
    response = TestClient(secured(app), base_url=OWN).get("/")
    assert response.headers.get("content-security-policy") == expected_csp
    assert len(response.headers.get_list("content-security-policy")) == (
        0 if expected_csp is None else 1
    )


def test_host_verdicts_stay_right_when_repeated(client: TestClient) -> None:
    hosts = ["localhost", "evil.test", "localhost", "evil.test", "127.0.0.1"]
    statuses = [client.get("/", headers={"host": host}).status_code for host in hosts]
    assert statuses == [200, 403, 200, 403, 200]
