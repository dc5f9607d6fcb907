"""Artifacts through a real server's proxy: the client resolves run URIs to the proxy, files
stream both ways, S3 destinations, multipart uploads, switches and limits."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests

from support.s3 import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, S3Bucket
from support.server_process import ServerProcess, running_server, start_server
from trackstone.artifacts.base import FileInfo
from trackstone.artifacts.proxied import ProxiedArtifactRepository
from trackstone.artifacts.resolve import repository_for_uri
from trackstone.config import Settings
from trackstone.errors import InvalidParameter, NotFound, ServiceUnavailable

MiB = 1024 * 1024
API = "/api/2.0/mlflow"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("proxy")) as process:
        yield process


def _call(server: ServerProcess, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(method, server.url + path, timeout=30, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def _new_run(server: ServerProcess, name: str) -> dict[str, Any]:
    experiment_id = _call(server, "POST", f"{API}/experiments/create", json={"name": name})[
        "experiment_id"
    ]
    run = _call(server, "POST", f"{API}/runs/create", json={"experiment_id": experiment_id})
    info: dict[str, Any] = run["run"]["info"]
    return info


def _settings(server: ServerProcess, tmp_path: Path) -> Settings:
    return Settings(tracking_uri=server.url, data_dir=tmp_path / "client")


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(MiB):
            digest.update(chunk)
    return digest.hexdigest()


def test_run_artifacts_go_through_the_proxy(server: ServerProcess, tmp_path: Path) -> None:
    info = _new_run(server, "through-proxy")
    assert info["artifact_uri"].startswith("mlflow-artifacts:/")
    repo = repository_for_uri(info["artifact_uri"], settings=_settings(server, tmp_path))
    assert isinstance(repo, ProxiedArtifactRepository)
    tree = tmp_path / "model"
    (tree / "data").mkdir(parents=True)
    (tree / "MLmodel").write_text("flavors: {}\n")
    (tree / "data" / "weights.bin").write_bytes(bytes(range(256)) * 40)
    repo.log_artifacts(tree, "model")
    listed = _call(
        server, "GET", f"{API}/artifacts/list", params={"run_id": info["run_id"], "path": "model"}
    )
    assert listed["files"] == [
        {"path": "model/MLmodel", "is_dir": False, "file_size": 12},
        {"path": "model/data", "is_dir": True},
    ]
    stored = server.log_path.parent / "artifacts" / info["artifact_uri"].split(":/", 1)[1]
    assert (stored / "model" / "data" / "weights.bin").read_bytes() == bytes(range(256)) * 40
    again = repository_for_uri(repo.root_uri)
    local = again.download_artifacts("model", tmp_path / "back")
    assert (local / "data" / "weights.bin").read_bytes() == bytes(range(256)) * 40


@pytest.mark.parametrize(
    ("uri", "expected_root"),
    [
        (
            "mlflow-artifacts:/1/abc/artifacts",
            "{url}/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts",
        ),
        ("mlflow-artifacts:///1/abc", "{url}/api/2.0/mlflow-artifacts/artifacts/1/abc"),
        (
            "mlflow-artifacts://{host}/1/abc",
            "{url}/api/2.0/mlflow-artifacts/artifacts/1/abc",
        ),
        (
            "{url}/api/2.0/mlflow-artifacts/artifacts/1/abc",
            "{url}/api/2.0/mlflow-artifacts/artifacts/1/abc",
        ),
    ],
)
def test_proxied_uri_forms_resolve_to_the_server(
    server: ServerProcess, tmp_path: Path, uri: str, expected_root: str
) -> None:
    filled = uri.format(url=server.url, host=server.host_header)
    repo = repository_for_uri(filled, settings=_settings(server, tmp_path))
    assert repo.root_uri == expected_root.format(url=server.url)
    repo.write_artifact("probe.txt", _bytes_stream(b"probe"))
    with repo.open_artifact("probe.txt") as stream:
        assert stream.read() == b"probe"


def _bytes_stream(content: bytes) -> io.BytesIO:
    return io.BytesIO(content)


@pytest.mark.parametrize(
    "uri",
    ["mlflow-artifacts:/../x", "mlflow-artifacts:/a/%2e%2e/b", "http://h/api/2.0/other/path"],
)
def test_unsafe_proxied_uris_are_refused(server: ServerProcess, tmp_path: Path, uri: str) -> None:
    with pytest.raises(InvalidParameter):
        repository_for_uri(uri, settings=_settings(server, tmp_path))


def test_proxied_uri_needs_an_http_tracking_server(tmp_path: Path) -> None:
    settings = Settings(tracking_uri=f"sqlite:///{tmp_path / 't.db'}")
    with pytest.raises(InvalidParameter, match="not an http"):
        repository_for_uri("mlflow-artifacts:/1/abc", settings=settings)


def test_a_20_mib_file_streams_both_ways(server: ServerProcess, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    with source.open("wb") as stream:
        for index in range(20):
            stream.write(hashlib.sha256(str(index).encode()).digest() * (MiB // 32))
    repo = ProxiedArtifactRepository(server.url, "big/run/artifacts")
    repo.log_artifact(source, "weights")
    assert repo.list_artifacts("weights") == [FileInfo("weights/big.bin", False, 20 * MiB)]
    local = repo.download_artifacts("weights/big.bin", tmp_path / "download")
    assert _digest(local) == _digest(source)


def test_missing_artifacts_raise_not_found(server: ServerProcess) -> None:
    repo = ProxiedArtifactRepository(server.url, "nothing/here")
    with pytest.raises(NotFound):
        repo.open_artifact("absent.bin")


def test_no_serve_artifacts_refuses_the_proxy(tmp_path: Path) -> None:
    off = start_server(tmp_path / "off", "--no-serve-artifacts")
    try:
        repo = ProxiedArtifactRepository(off.url, "x")
        with pytest.raises(ServiceUnavailable, match="no-serve-artifacts"):
            repo.write_artifact("f.txt", _bytes_stream(b"1"))
        response = requests.get(f"{off.url}/api/2.0/mlflow-artifacts/artifacts/x/f.txt", timeout=10)
        assert response.status_code == 503
        created = requests.post(
            f"{off.url}{API}/experiments/create", json={"name": "e"}, timeout=10
        ).json()
        experiment = requests.get(
            f"{off.url}{API}/experiments/get",
            params={"experiment_id": created["experiment_id"]},
            timeout=10,
        ).json()["experiment"]
        assert experiment["artifact_location"].startswith(str(tmp_path / "off" / "artifacts"))
    finally:
        off.stop()


def test_max_artifact_bytes_limits_uploads(tmp_path: Path) -> None:
    limited = start_server(tmp_path / "limited", env={"TRACKSTONE_MAX_ARTIFACT_BYTES": "1000"})
    try:
        repo = ProxiedArtifactRepository(limited.url, "limited")
        repo.write_artifact("small.bin", _bytes_stream(b"x" * 1000))
        with pytest.raises(InvalidParameter, match="larger than the server's limit"):
            repo.write_artifact("large.bin", _bytes_stream(b"x" * 1001))
        local = tmp_path / "large.bin"
        local.write_bytes(b"x" * 1001)
        with pytest.raises(InvalidParameter, match="larger than the server's limit"):
            repo.log_artifact(local)
        assert [info.path for info in repo.list_artifacts()] == ["small.bin"]
    finally:
        limited.stop()


@pytest.fixture
def s3_server_process(tmp_path: Path, s3_bucket: S3Bucket) -> Iterator[ServerProcess]:
    env = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "TRACKSTONE_S3_ENDPOINT_URL": s3_bucket.server.endpoint_url,
    }
    # The last --artifacts-destination wins over the helper's local default.
    process = start_server(
        tmp_path / "s3-server", "--artifacts-destination", s3_bucket.uri("dest"), env=env
    )
    yield process
    process.stop()


def test_s3_destination_through_the_proxy(
    s3_server_process: ServerProcess, s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    repo = ProxiedArtifactRepository(s3_server_process.url, "exp/run/artifacts")
    content = bytes(range(256)) * (12 * MiB // 256)
    repo.write_artifact("model/weights.bin", _bytes_stream(content))
    assert s3_bucket.keys() == ["dest/exp/run/artifacts/model/weights.bin"]
    with repo.open_artifact("model/weights.bin") as stream:
        assert stream.read() == content


def test_s3_multipart_upload_through_presigned_urls(
    s3_server_process: ServerProcess, s3_bucket: S3Bucket
) -> None:
    mpu = f"{s3_server_process.url}/api/2.0/mlflow-artifacts/mpu"
    parts = [b"1" * (5 * MiB), b"2" * (5 * MiB), b"end"]
    created = requests.post(
        f"{mpu}/create/exp/run", json={"path": "/data/model.bin", "num_parts": 3}, timeout=30
    )
    assert created.status_code == 200, created.text
    body = created.json()
    uploaded = []
    for credential, data in zip(body["credentials"], parts, strict=True):
        answer = requests.put(credential["url"], data=data, timeout=30)
        assert answer.status_code == 200, answer.text
        uploaded.append({"part_number": credential["part_number"], "etag": answer.headers["ETag"]})
    completed = requests.post(
        f"{mpu}/complete/exp/run",
        data=json.dumps(
            {"path": "/data/model.bin", "upload_id": body["upload_id"], "parts": uploaded}
        ),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert completed.status_code == 200, completed.text
    assert s3_bucket.keys() == ["dest/exp/run/model.bin"]
    repo = ProxiedArtifactRepository(s3_server_process.url, "exp/run")
    with repo.open_artifact("model.bin") as stream:
        assert stream.read() == b"".join(parts)


def test_an_interrupted_upload_leaves_no_file(tmp_path: Path) -> None:
    process = start_server(tmp_path / "interrupted")
    try:
        with socket.create_connection(("127.0.0.1", process.port)) as sock:
            sock.sendall(
                b"PUT /api/2.0/mlflow-artifacts/artifacts/cut/part.bin HTTP/1.1\r\n"
                + f"Host: {process.host_header}\r\nContent-Length: {8 * MiB}\r\n\r\n".encode()
                + b"a" * (3 * MiB)
            )
        deadline = time.monotonic() + 30
        while "interrupted" not in process.log() and time.monotonic() < deadline:
            time.sleep(0.05)  # the server's own pace; no clock to inject across processes
        assert "the client disconnected" in process.log()
        assert "Traceback" not in process.log()
        stored = tmp_path / "interrupted" / "artifacts" / "cut"
        assert [path.name for path in stored.iterdir()] == []
    finally:
        process.stop()


class _RecordingHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with an empty listing and remembers its Authorization header."""

    seen: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        ({"tracking_token": "t0k"}, "Bearer t0k"),
        ({"tracking_username": "ann", "tracking_password": "pw"}, "Basic YW5uOnB3"),
        (
            {"tracking_token": "t0k", "tracking_username": "ann", "tracking_password": "pw"},
            "Basic YW5uOnB3",
        ),
        ({}, None),
    ],
)
def test_credentials_from_settings_reach_the_server(
    tmp_path: Path, credentials: dict[str, str], expected: str | None
) -> None:
    listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RecordingHandler)
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    _RecordingHandler.seen.clear()
    try:
        url = f"http://127.0.0.1:{listener.server_address[1]}"
        settings = Settings(tracking_uri=url, data_dir=tmp_path, **credentials)  # type: ignore[arg-type]
        assert repository_for_uri("mlflow-artifacts:/1/r", settings=settings).list_artifacts() == []
    finally:
        listener.shutdown()
        listener.server_close()
    assert _RecordingHandler.seen == [expected]
