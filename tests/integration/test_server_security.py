"""A real ``trackstone server`` process: health, secure defaults and hostile requests over TCP."""

from __future__ import annotations

import http.client
import json
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import trackstone
from support.server_process import (
    CONSOLE_SCRIPT,
    ServerProcess,
    free_port,
    isolated_env,
    running_server,
    start_server,
)

LIMIT = 65_536
BATCHES = 5
CREATE = "/api/2.0/mlflow/experiments/create"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("server")
    with running_server(folder, "--max-request-bytes", str(LIMIT)) as process:
        yield process


class Reply:
    """A response read whole: status, lower-cased headers, body."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        self.body = response.read()

    def json(self) -> dict[str, object]:
        decoded: dict[str, object] = json.loads(self.body)
        return decoded


def request(
    server: ServerProcess,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Send one request with exactly the given headers (Host defaults to the server's)."""
    connection = server.connection()
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        all_headers = {"Host": server.host_header, **(headers or {})}
        if body is not None:
            all_headers.setdefault("Content-Length", str(len(body)))
            all_headers.setdefault("Content-Type", "application/json")
        for name, value in all_headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        return Reply(connection.getresponse())
    finally:
        connection.close()


def assert_clean_error(reply: Reply, status: int, code: str, server: ServerProcess) -> None:
    assert reply.status == status, reply.body
    assert reply.headers["content-type"] == "application/json"
    assert reply.json()["error_code"] == code
    text = reply.body.decode()
    assert "Traceback" not in text and 'File "' not in text
    assert str(server.log_path.parent) not in text and ".py" not in text


@pytest.mark.parametrize(
    ("path", "expected"), [("/health", b"OK"), ("/version", trackstone.__version__.encode())]
)
def test_health_and_version(server: ServerProcess, path: str, expected: bytes) -> None:
    reply = request(server, "GET", path)
    assert (reply.status, reply.body) == (200, expected)


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("localhost", 200),
        ("127.0.0.1", 200),
        ("evil.test", 403),
        ("rebind.evil.test:5000", 403),
    ],
)
def test_foreign_host_is_refused(server: ServerProcess, host: str, status: int) -> None:
    port_suffix = "" if ":" in host else f":{server.port}"
    reply = request(server, "GET", "/health", headers={"Host": host + port_suffix})
    assert reply.status == status
    if status == 403:
        assert_clean_error(reply, 403, "PERMISSION_DENIED", server)


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://evil.test", 403),
        ("null", 403),
        (None, 200),
        ("own", 200),
    ],
)
def test_cross_origin_write_is_refused(
    server: ServerProcess, origin: str | None, status: int
) -> None:
    headers = {}
    if origin is not None:
        headers["Origin"] = server.url if origin == "own" else origin
    body = json.dumps({"name": f"origin-{origin}"}).encode()
    reply = request(server, "POST", CREATE, body, headers)
    assert reply.status == status, reply.body
    assert "access-control-allow-origin" not in reply.headers


def test_oversized_body_with_content_length_is_refused_unread(server: ServerProcess) -> None:
    # Headers announce 1 GB; no body follows. The answer must come without waiting for it.
    connection = server.connection(timeout_s=10)
    try:
        connection.putrequest("POST", CREATE, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", server.host_header)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(1_000_000_000))
        connection.endheaders()
        reply = Reply(connection.getresponse())
    finally:
        connection.close()
    assert_clean_error(reply, 413, "INVALID_PARAMETER_VALUE", server)
    assert str(LIMIT) in str(reply.json()["message"])


def test_oversized_chunked_body_is_refused(server: ServerProcess) -> None:
    chunk = b"x" * 8192
    connection = server.connection(timeout_s=10)
    try:
        connection.putrequest("POST", CREATE, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", server.host_header)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        try:
            for _ in range(2 * LIMIT // len(chunk)):
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            connection.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may stop reading once it has refused the body
        reply = Reply(connection.getresponse())
    finally:
        connection.close()
    assert_clean_error(reply, 413, "INVALID_PARAMETER_VALUE", server)


def test_body_under_the_limit_is_accepted_chunked(server: ServerProcess) -> None:
    body = json.dumps({"name": "chunked", "tags": [{"key": "k", "value": "v" * 1000}]}).encode()
    connection = server.connection()
    try:
        connection.request("POST", CREATE, body=iter([body[:10], body[10:]]),
                           headers={"Content-Type": "application/json"})  # fmt: skip
        reply = Reply(connection.getresponse())
    finally:
        connection.close()
    assert reply.status == 200, reply.body


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="malformed"),
        pytest.param(b'[{"name": "x"}]', id="top-level-array"),
        pytest.param(b'{"name": ' + b"[" * 20_000 + b"]" * 20_000 + b"}", id="deep-array"),
        pytest.param(b'{"name": "x", "tags": [' + b'{"a":' * 5_000 + b"1" + b"}" * 5_000 + b"]}",
                     id="deep-object"),
        pytest.param(b'{"name": "bad\x00name"}', id="raw-nul"),
        pytest.param(b'{"name": "bad\x1bname"}', id="raw-escape"),
        pytest.param(b'{"name": 12}', id="wrong-type"),
        pytest.param(b"\xff\xfe\x00", id="not-utf8"),
    ],
)  # fmt: skip
def test_hostile_bodies_get_a_clean_400(server: ServerProcess, body: bytes) -> None:
    reply = request(server, "POST", CREATE, body)
    assert_clean_error(reply, 400, "INVALID_PARAMETER_VALUE", server)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/2.0/mlflow/unknown"),
        ("POST", "/api/2.0/mlflow/experiments/explode"),
        ("GET", "/api/9.9/anything"),
    ],
)
def test_unknown_endpoint_is_a_json_404(server: ServerProcess, method: str, path: str) -> None:
    reply = request(server, method, path, b"{}" if method == "POST" else None)
    assert_clean_error(reply, 404, "ENDPOINT_NOT_FOUND", server)


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status"),
    [
        ("GET", "/health", None, {}, 200),
        ("POST", CREATE, b'{"name": "headers"}', {}, 200),
        ("GET", "/nothing", None, {}, 404),
        ("GET", "/health", None, {"Host": "evil.test"}, 403),
        ("POST", CREATE, b"[]", {}, 400),
        ("POST", CREATE, b"{}", {"Content-Length": str(LIMIT + 1)}, 413),
    ],
)
def test_security_headers_on_every_response(
    server: ServerProcess,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    status: int,
) -> None:
    reply = request(server, method, path, body, headers)
    assert reply.status == status
    for name, value in SECURITY_HEADERS.items():
        assert reply.headers.get(name) == value
    assert "server" not in reply.headers  # no version banner


def test_round_trip_through_the_api(server: ServerProcess) -> None:
    created = request(server, "POST", CREATE, b'{"name": "round-trip"}')
    experiment_id = created.json()["experiment_id"]
    fetched = request(
        server, "GET", f"/api/2.0/mlflow/experiments/get?experiment_id={experiment_id}"
    )
    assert fetched.status == 200
    assert fetched.json()["experiment"]["name"] == "round-trip"  # type: ignore[index]


def test_openapi_document(server: ServerProcess) -> None:
    reply = request(server, "GET", "/api/2.0/trackstone/openapi.json")
    assert reply.status == 200
    assert reply.json()["openapi"] == "3.1.0"


def _run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONSOLE_SCRIPT), "server", "--port", str(free_port()), *args],
        capture_output=True,
        text=True,
        env=isolated_env(),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(("host", "warns"), [("0.0.0.0", True), ("127.0.0.1", False)])
def test_no_migrate_refuses_and_exposed_binding_warns(
    tmp_path: Path, host: str, warns: bool
) -> None:
    # --no-migrate on an empty database stops the command with a clear message, after the
    # warning about the address and before anything listens.
    database = f"sqlite:///{tmp_path / 'new.db'}"
    done = _run_cli(tmp_path, "--host", host, "--backend-store-uri", database, "--no-migrate")
    assert done.returncode == 1
    assert "trackstone db upgrade" in done.stderr
    assert ("WARNING" in done.stderr) is warns
    assert ("--allowed-hosts" in done.stderr) is warns


def test_several_workers_share_sqlite_without_lock_errors(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--workers", "2")
    try:
        created = request(server, "POST", CREATE, b'{"name": "workers"}')
        experiment_id = created.json()["experiment_id"]
        run = request(
            server,
            "POST",
            "/api/2.0/mlflow/runs/create",
            json.dumps({"experiment_id": experiment_id}).encode(),
        )
        run_id = run.json()["run"]["info"]["run_id"]  # type: ignore[index]

        def write(writer: int) -> list[int]:
            statuses = []
            for batch in range(BATCHES):
                metrics = [
                    {"key": f"w{writer}", "value": step, "timestamp": 1, "step": batch * 50 + step}
                    for step in range(50)
                ]
                body = json.dumps({"run_id": run_id, "metrics": metrics}).encode()
                reply = request(server, "POST", "/api/2.0/mlflow/runs/log-batch", body)
                statuses.append(reply.status)
            return statuses

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = [s for result in pool.map(write, range(8)) for s in result]
        assert statuses == [200] * (8 * BATCHES)
        for writer in range(8):
            history = request(
                server,
                "GET",
                f"/api/2.0/mlflow/metrics/get-history?run_id={run_id}&metric_key=w{writer}",
            )
            assert len(history.json()["metrics"]) == 50 * BATCHES  # type: ignore[arg-type]
        assert "database is locked" not in server.log()
    finally:
        server.stop()
