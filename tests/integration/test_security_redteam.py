"""Hostile requests found by red-teaming a real server: each answered with a clean 4xx, nothing
written where it should not be, no credentials handed to another host."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.server_process import ServerProcess, running_server
from support.tar_archives import archive, member
from trackstone.errors import TrackstoneError

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
TAR = "/api/2.0/trackstone-artifacts/tar"
# 20 folders of 250 bytes: each name is legal, the whole path is longer than PATH_MAX (4096).
OVERLONG = "/".join([f"{index:02d}" + "y" * 248 for index in range(20)]) + "/f.txt"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("redteam")) as process:
        yield process


def _root(server: ServerProcess) -> Path:
    return server.log_path.parent / "artifacts"


def _request(
    server: ServerProcess,
    method: str,
    target: str,
    body: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, bytes]:
    connection = server.connection()
    try:
        headers = {"Host": server.host_header}
        if body is not None:
            headers["Content-Type"] = content_type
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _assert_clean_400(
    status: int, body: bytes, server: ServerProcess, *, echoes_path: bool = False
) -> None:
    """A JSON 400 without a traceback; without the server's paths unless the request sent one."""
    assert status == 400, body
    assert json.loads(body)["error_code"] == "INVALID_PARAMETER_VALUE"
    text = body.decode()
    assert "Traceback" not in text
    assert echoes_path or str(server.log_path.parent) not in text


@pytest.mark.parametrize(
    "location",
    [
        "mlflow-artifacts://attacker.example/team",
        "mlflow-artifacts://attacker.example:443/team",
        "mlflow-artifacts://user:pw@127.0.0.2:80/team",
    ],
)
def test_experiment_location_naming_another_host_is_refused(
    server: ServerProcess, location: str
) -> None:
    # Clients send a run's artifacts, and their credentials, to the host its URI names.
    body = json.dumps({"name": f"e-{location}", "artifact_location": location}).encode()
    status, answer = _request(server, "POST", "/api/2.0/mlflow/experiments/create", body)
    _assert_clean_400(status, answer, server)
    assert b"host" in answer


def test_experiment_location_through_this_server_is_accepted(server: ServerProcess) -> None:
    body = json.dumps({"name": "proxied", "artifact_location": "mlflow-artifacts:/team"}).encode()
    status, answer = _request(server, "POST", "/api/2.0/mlflow/experiments/create", body)
    assert status == 200, answer


@pytest.mark.parametrize(
    "location", ["{root}/a\x00b", "file://{root}/a%00b", "mlflow-artifacts:/a%00b"]
)
def test_experiment_location_with_a_nul_byte_is_a_clean_400(
    server: ServerProcess, location: str
) -> None:
    filled = location.format(root=_root(server))
    body = json.dumps({"name": f"nul-{location}", "artifact_location": filled}).encode()
    status, answer = _request(server, "POST", "/api/2.0/mlflow/experiments/create", body)
    _assert_clean_400(status, answer, server, echoes_path=True)


@pytest.mark.parametrize(
    ("target", "body", "field"),
    [
        ("/api/2.0/mlflow/experiments/create", {"name": "a\x00b"}, "experiment name"),
        ("/api/2.0/mlflow/runs/create", {"experiment_id": "0", "run_name": "a\x00b"}, "run_name"),
        ("/api/2.0/mlflow/registered-models/create", {"name": "m\x00"}, "name"),
        (
            "/api/2.0/mlflow/registered-models/create",
            {"name": "ok", "description": "d\x00"},
            "description",
        ),
        (
            "/api/2.0/mlflow/runs/outputs",
            {"run_id": "0" * 32, "models": [{"model_id": "m-\x00", "step": 0}]},
            "models[0].model_id",
        ),
        ("/api/2.0/mlflow/logged-models", {"experiment_id": "0", "name": "m\x00"}, "name"),
    ],
)
def test_text_with_a_nul_character_is_a_clean_400_on_sqlite_too(
    server: ServerProcess, target: str, body: dict[str, object], field: str
) -> None:
    # PostgreSQL cannot store NUL in text; SQLite could, but the answer must not depend on it.
    status, answer = _request(server, "POST", target, json.dumps(body).encode())
    _assert_clean_400(status, answer, server)
    assert json.loads(answer)["message"].startswith(field), answer
    assert b"NUL" in answer


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ("/api/2.0/mlflow/experiments/create", "name"),
        ("/api/2.0/mlflow/runs/search", "filter"),
        ("/api/2.0/mlflow/runs/log-batch", "run_id"),
        ("/api/2.0/mlflow/registered-models/create", "name"),
        ("/api/2.0/mlflow-artifacts/mpu/create/x", "path"),
    ],
)
def test_body_that_is_not_utf8_is_a_clean_400(
    server: ServerProcess, target: str, field: str
) -> None:
    body = b'{"' + field.encode() + b'": "\xff\xfe"}'
    status, answer = _request(server, "POST", target, body)
    _assert_clean_400(status, answer, server)
    assert b"UTF-8" in answer


@pytest.mark.parametrize(
    ("method", "target", "body", "content_type"),
    [
        ("PUT", f"{PROXY}/long/{OVERLONG}", b"data", "application/octet-stream"),
        (
            "PUT",
            f"{TAR}/long-tar",
            archive((member("ok.txt"), b"a"), (member(OVERLONG), b"b")),
            "application/x-tar",
        ),
    ],
    ids=["proxy", "tar"],
)
def test_overlong_path_is_a_clean_400_that_writes_nothing(
    server: ServerProcess, method: str, target: str, body: bytes, content_type: str
) -> None:
    status, answer = _request(server, method, target, body, content_type)
    _assert_clean_400(status, answer, server)
    assert not list(_root(server).glob("long*"))


@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
def test_reserved_temporary_names_cannot_be_reached(server: ServerProcess, method: str) -> None:
    # The names of in-flight writes: listings hide them, a tar upload may not use them.
    in_flight = _root(server) / "busy" / ".trackstone-tmp-0123456789abcdef"
    in_flight.parent.mkdir(parents=True, exist_ok=True)
    in_flight.write_bytes(b"half-written")
    body = b"replaced" if method == "PUT" else None
    target = f"{PROXY}/busy/.trackstone-tmp-0123456789abcdef"
    status, answer = _request(server, method, target, body, "application/octet-stream")
    assert status in (400, 404), answer
    assert b"half-written" not in answer
    assert in_flight.read_bytes() == b"half-written"


class _Listener:
    """Another host on the network: records the headers of each request it gets, answers 404."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []
        recorded = self.headers

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorded.append({name.lower(): value for name, value in self.headers.items()})
                body = b'{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no"}'
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[_Listener]:
    other = _Listener()
    yield other
    other.close()


@pytest.mark.parametrize(
    "source",
    [
        "mlflow-artifacts://127.0.0.1:{port}/stolen",
        "http://127.0.0.1:{port}/api/2.0/mlflow-artifacts/artifacts/stolen",
    ],
)
def test_client_never_sends_its_credentials_to_another_host(
    server: ServerProcess,
    listener: _Listener,
    source: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Anyone may register a version whose files live elsewhere; downloading it must not hand
    # that host the token that opens this server.
    name = f"leak-{len(source)}"
    filled = source.format(port=listener.port)
    for endpoint, fields in [
        ("registered-models/create", {"name": name}),
        ("model-versions/create", {"name": name, "source": filled}),
    ]:
        body = json.dumps(fields).encode()
        status, answer = _request(server, "POST", f"/api/2.0/mlflow/{endpoint}", body)
        assert status == 200, answer
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "secret-token-of-this-server")
    from trackstone.artifacts import download_artifacts

    with pytest.raises(TrackstoneError):
        download_artifacts(f"models:/{name}/1", dst_path=str(tmp_path), tracking_uri=server.url)
    assert listener.headers, "the download never reached the other host"
    assert all("authorization" not in headers for headers in listener.headers)
