"""Artifact endpoints over the whole app: artifacts/list, the mlflow-artifacts proxy, its limits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from support.asgi_client import TestClient
from support.s3 import S3Bucket
from trackstone.config import ServerSettings
from trackstone.server.artifact_proxy import MULTIPART_UNSUPPORTED_MESSAGE
from trackstone.store.sql.store import SqlStore

BASE_URL = "http://127.0.0.1:5000"
API = "/api/2.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
MPU = "/api/2.0/mlflow-artifacts/mpu"


def _client_for(settings: ServerSettings) -> Iterator[TestClient]:
    from trackstone.server.app import create_app

    store = SqlStore(settings.backend_store_uri, settings.default_artifact_root)
    try:
        with TestClient(create_app(settings, store), base_url=BASE_URL) as test_client:
            yield test_client
    finally:
        store.close()


def _put(client: TestClient, path: str, content: bytes) -> None:
    response = client.put(f"{PROXY}/{path}", content=content)
    assert response.status_code == 200, response.text
    assert response.json() == {}


def _new_run(client: TestClient) -> tuple[str, str]:
    created = client.post(f"{API}/experiments/create", json={"name": "exp"})
    experiment_id = created.json()["experiment_id"]
    run = client.post(f"{API}/runs/create", json={"experiment_id": experiment_id}).json()["run"]
    return str(run["info"]["run_id"]), str(run["info"]["artifact_uri"])


# -- artifacts/list --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            None,
            [
                {"path": "model", "is_dir": True},
                {"path": "notes.txt", "is_dir": False, "file_size": 5},
            ],
        ),
        (
            "model",
            [
                {"path": "model/MLmodel", "is_dir": False, "file_size": 3},
                {"path": "model/data", "is_dir": True},
            ],
        ),
        ("model/data", [{"path": "model/data/w.bin", "is_dir": False, "file_size": 0}]),
        ("missing", []),
    ],
)
def test_list_artifacts_of_a_run(
    client: TestClient, path: str | None, expected: list[dict[str, Any]]
) -> None:
    run_id, artifact_uri = _new_run(client)
    assert artifact_uri.startswith("mlflow-artifacts:/")
    folder = artifact_uri.removeprefix("mlflow-artifacts:/")
    _put(client, f"{folder}/notes.txt", b"hello")
    _put(client, f"{folder}/model/MLmodel", b"abc")
    _put(client, f"{folder}/model/data/w.bin", b"")
    params = {"run_id": run_id} if path is None else {"run_id": run_id, "path": path}
    response = client.get(f"{API}/artifacts/list", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["root_uri"] == artifact_uri
    assert body.get("files", []) == expected


@pytest.mark.parametrize(
    ("params", "status", "error_code"),
    [
        ({"run_id": "f" * 32}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ({}, 400, "INVALID_PARAMETER_VALUE"),
        ({"run_id": "RUN", "path": "../x"}, 400, "INVALID_PARAMETER_VALUE"),
        ({"run_id": "RUN", "path": "/etc"}, 400, "INVALID_PARAMETER_VALUE"),
    ],
)
def test_list_artifacts_errors(
    client: TestClient, params: dict[str, str], status: int, error_code: str
) -> None:
    run_id, _ = _new_run(client)
    params = {key: run_id if value == "RUN" else value for key, value in params.items()}
    response = client.get(f"{API}/artifacts/list", params=params)
    assert (response.status_code, response.json()["error_code"]) == (status, error_code)


# -- the proxy: list, download, upload, delete -----------------------------------------------


def test_proxy_round_trip_and_listing_shape(client: TestClient) -> None:
    _put(client, "exp/run/a.txt", b"abc")
    _put(client, "exp/run/sub/b.bin", bytes(range(256)))
    downloaded = client.get(f"{PROXY}/exp/run/sub/b.bin")
    assert downloaded.status_code == 200
    assert downloaded.content == bytes(range(256))
    assert downloaded.headers["content-length"] == "256"
    listing = client.get(PROXY, params={"path": "exp/run"}).json()
    assert listing == {
        "files": [
            {"path": "a.txt", "is_dir": False, "file_size": 3},
            {"path": "sub", "is_dir": True},
        ]
    }
    assert client.get(PROXY, params={"path": "exp/missing"}).json() == {}
    assert client.get(PROXY).json() == {"files": [{"path": "exp", "is_dir": True}]}


def test_proxy_upload_replaces_and_delete_removes(client: TestClient) -> None:
    _put(client, "f/x.txt", b"first")
    _put(client, "f/x.txt", b"second")
    assert client.get(f"{PROXY}/f/x.txt").content == b"second"
    deleted = client.delete(f"{PROXY}/f")
    assert (deleted.status_code, deleted.json()) == (200, {})
    missing = client.get(f"{PROXY}/f/x.txt")
    assert (missing.status_code, missing.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def _data(size: int) -> bytes:
    return bytes(range(256)) * (size // 256) + b"t" * (size % 256)


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("size", [0, 4096, 1024 * 1024, 1024 * 1024 + 1, 3 * 1024 * 1024 + 5])
def test_files_of_every_size_go_up_and_come_back(
    client: TestClient, settings: ServerSettings, size: int, chunked: bool
) -> None:
    data = _data(size)
    content = _chunks_of(data, 100_000) if chunked else data
    response = client.put(f"{PROXY}/sizes/f.bin", content=content)
    assert response.status_code == 200, response.text
    assert (Path(settings.artifacts_destination) / "sizes" / "f.bin").read_bytes() == data
    downloaded = client.get(f"{PROXY}/sizes/f.bin")
    assert downloaded.content == data
    assert downloaded.headers["content-length"] == str(size)


def _chunks_of(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
    if not data:
        yield b""


@pytest.mark.parametrize("size", [10, 3 * 1024 * 1024])
def test_an_upload_onto_a_folder_is_refused_and_leaves_it_alone(
    client: TestClient, settings: ServerSettings, size: int
) -> None:
    _put(client, "dir/inside/keep.txt", b"keep")
    response = client.put(f"{PROXY}/dir/inside", content=_chunks_of(_data(size), 256 * 1024))
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    folder = Path(settings.artifacts_destination) / "dir"
    assert sorted(p.name for p in folder.iterdir()) == ["inside"]
    assert client.get(f"{PROXY}/dir/inside/keep.txt").content == b"keep"


@pytest.mark.parametrize("size", [5, 3 * 1024 * 1024])
def test_head_answers_the_download_headers_without_the_file(client: TestClient, size: int) -> None:
    _put(client, "h/model.bin", _data(size))
    response = client.head(f"{PROXY}/h/model.bin")
    assert response.status_code == 200
    assert response.headers["content-length"] == str(size)
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.content == b""


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "folder", 400),
        ("GET", "", 400),
        ("GET", "nope.txt", 404),
        ("PUT", "", 400),
        ("PUT", "folder", 400),
        ("DELETE", "", 400),
    ],
)
def test_proxy_refuses_what_it_cannot_do(
    client: TestClient, method: str, path: str, status: int
) -> None:
    _put(client, "folder/file.txt", b"1")
    response = client.request(method, f"{PROXY}/{path}", content=b"data")
    assert response.status_code == status
    assert response.json()["error_code"] in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")
    assert client.get(f"{PROXY}/folder/file.txt").content == b"1"


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("page.html", "application/octet-stream"),
        ("page.htm", "application/octet-stream"),
        ("image.svg", "application/octet-stream"),
        ("script.js", "application/octet-stream"),
        ("feed.xml", "application/octet-stream"),
        ("page.xhtml", "application/octet-stream"),
        ("noext", "application/octet-stream"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("metrics.json", "application/json"),
        ("plot.png", "image/png"),
    ],
)
def test_downloads_are_attachments_and_never_active(
    client: TestClient, name: str, content_type: str
) -> None:
    _put(client, f"art/{name}", b"<script>alert(1)</script>")
    response = client.get(f"{PROXY}/art/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["content-disposition"].startswith(f'attachment; filename="{name}"')
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


def test_download_names_are_quoted_in_the_disposition(client: TestClient) -> None:
    _put(client, 'art/mod"el é.txt', b"1")
    response = client.get(f"{PROXY}/art/mod%22el%20%C3%A9.txt")
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"mod_el _.txt\"; filename*=UTF-8''mod%22el%20%C3%A9.txt"
    )


def test_the_ajax_prefix_serves_the_proxy_too(client: TestClient) -> None:
    _put(client, "a/b.txt", b"via api")
    assert client.get("/ajax-api/2.0/mlflow-artifacts/artifacts/a/b.txt").content == b"via api"


# -- multipart uploads -----------------------------------------------------------------------


@pytest.mark.parametrize("action", ["create", "complete", "abort"])
def test_multipart_on_a_local_destination_is_not_implemented(
    client: TestClient, action: str
) -> None:
    body = {"path": "/local/big.bin", "num_parts": 2, "upload_id": "u", "parts": []}
    response = client.post(f"{MPU}/{action}/exp/run", json=body)
    assert response.status_code == 501
    assert response.json()["error_code"] == "NOT_IMPLEMENTED"
    assert response.json()["message"].startswith(MULTIPART_UNSUPPORTED_MESSAGE)


@pytest.fixture
def s3_client(
    settings: ServerSettings, s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """A client of an app whose artifacts destination is a moto bucket."""
    from support.s3 import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    s3_settings = replace(
        settings,
        artifacts_destination=s3_bucket.uri("dest"),
        s3_endpoint_url=s3_bucket.server.endpoint_url,
    )
    yield from _client_for(s3_settings)


def test_multipart_upload_to_s3_with_presigned_parts(
    s3_client: TestClient, s3_bucket: S3Bucket
) -> None:
    import requests

    parts = [b"a" * (5 * 1024 * 1024), b"tail"]
    created = s3_client.post(
        f"{MPU}/create/exp/run", json={"path": "/home/me/big.bin", "num_parts": 2}
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert [c["part_number"] for c in body["credentials"]] == [1, 2]
    uploaded = []
    for credential, data in zip(body["credentials"], parts, strict=True):
        answer = requests.put(credential["url"], data=data, timeout=30)
        assert answer.status_code == 200, answer.text
        uploaded.append({"part_number": credential["part_number"], "etag": answer.headers["ETag"]})
    completed = s3_client.post(
        f"{MPU}/complete/exp/run",
        json={"path": "/home/me/big.bin", "upload_id": body["upload_id"], "parts": uploaded},
    )
    assert completed.status_code == 200, completed.text
    assert s3_bucket.keys() == ["dest/exp/run/big.bin"]
    assert s3_client.get(f"{PROXY}/exp/run/big.bin").content == b"".join(parts)


def test_multipart_abort_on_s3_leaves_nothing(s3_client: TestClient, s3_bucket: S3Bucket) -> None:
    created = s3_client.post(f"{MPU}/create/exp", json={"path": "f.bin", "num_parts": 1}).json()
    aborted = s3_client.post(
        f"{MPU}/abort/exp", json={"path": "f.bin", "upload_id": created["upload_id"]}
    )
    assert aborted.status_code == 200, aborted.text
    uploads = s3_bucket.client.list_multipart_uploads(Bucket=s3_bucket.name)
    assert uploads.get("Uploads", []) == []
    assert s3_bucket.keys() == []


@pytest.mark.parametrize(
    ("folder", "local_path", "num_parts"),
    [
        ("%2e%2e", "f.bin", 1),
        ("a/%2e%2e/%2e%2e", "f.bin", 1),
        ("exp", "..", 1),
        ("exp", "a\\..\\..", 1),
        ("exp", "f.bin", 0),
        ("exp", "f.bin", 10_001),
        ("exp", "", 1),
    ],
)
def test_multipart_create_refuses_bad_targets(
    s3_client: TestClient, s3_bucket: S3Bucket, folder: str, local_path: str, num_parts: int
) -> None:
    response = s3_client.post(
        f"{MPU}/create/{folder}", json={"path": local_path, "num_parts": num_parts}
    )
    assert response.status_code == 400, response.text
    assert s3_bucket.client.list_multipart_uploads(Bucket=s3_bucket.name).get("Uploads", []) == []


def test_s3_destination_streams_uploads_and_lists(
    s3_client: TestClient, s3_bucket: S3Bucket
) -> None:
    _put(s3_client, "exp/run/model.bin", b"\x00" * 1000)
    assert s3_bucket.keys() == ["dest/exp/run/model.bin"]
    listing = s3_client.get(PROXY, params={"path": "exp/run"}).json()
    assert listing == {"files": [{"path": "model.bin", "is_dir": False, "file_size": 1000}]}


# -- settings: serving off, body limits, experiment locations --------------------------------


@pytest.fixture
def no_serve_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = ServerSettings(
        backend_store_uri=f"sqlite:///{tmp_path / 'off.db'}",
        artifacts_destination=str(tmp_path / "artifacts"),
        serve_artifacts=False,
    )
    yield from _client_for(settings)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", PROXY),
        ("GET", f"{PROXY}/a/b.txt"),
        ("PUT", f"{PROXY}/a/b.txt"),
        ("DELETE", f"{PROXY}/a/b.txt"),
        ("POST", f"{MPU}/create/a"),
    ],
)
def test_no_serve_artifacts_answers_503(
    no_serve_client: TestClient, tmp_path: Path, method: str, path: str
) -> None:
    body = {"path": "f.bin", "num_parts": 1} if method == "POST" else None
    response = no_serve_client.request(method, path, json=body)
    assert response.status_code == 503
    assert response.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert not (tmp_path / "artifacts" / "a").exists()


@pytest.fixture
def limited_client(settings: ServerSettings) -> Iterator[TestClient]:
    yield from _client_for(replace(settings, max_request_bytes=1000, max_artifact_bytes=5000))


def _chunks(total: int, size: int = 700) -> Iterator[bytes]:
    while total > 0:
        yield b"x" * min(size, total)
        total -= size


@pytest.mark.parametrize(
    ("size", "chunked", "status"),
    [
        (4000, False, 200),
        (5000, False, 200),
        (5001, False, 413),
        (4000, True, 200),
        (5001, True, 413),
    ],
)
def test_artifact_uploads_have_their_own_limit(
    limited_client: TestClient, settings: ServerSettings, size: int, chunked: bool, status: int
) -> None:
    content = _chunks(size) if chunked else b"x" * size
    response = limited_client.put(f"{PROXY}/big/file.bin", content=content)
    assert response.status_code == status, response.text
    destination = Path(settings.artifacts_destination) / "big"
    stored = [p.name for p in destination.iterdir()] if destination.exists() else []
    assert stored == (["file.bin"] if status == 200 else [])


def test_json_bodies_keep_the_request_limit(limited_client: TestClient) -> None:
    response = limited_client.post(f"{API}/experiments/create", json={"name": "x" * 2000})
    assert response.status_code == 413
    uploaded_by_post = limited_client.post(f"{MPU}/create/a", content=b"x" * 2000)
    assert uploaded_by_post.status_code == 413


@pytest.mark.parametrize(
    ("location", "status"),
    [
        (None, 200),
        ("mlflow-artifacts:/team-a", 200),
        ("mlflow-artifacts:///team-a/x", 200),
        ("{dest}/team-b", 200),
        ("file://{dest}/team-c", 200),
        ("{dest}", 200),
        ("mlflow-artifacts:/../escape", 400),
        ("mlflow-artifacts:/a/%2e%2e/b", 400),
        ("{dest}/../escape", 400),
        ("{dest}-sibling", 400),
        ("/etc", 400),
        ("file:///etc/cron.d", 400),
        ("relative/path", 400),
        ("s3://bucket/x", 400),
        ("http://evil.example/store", 400),
        ("hdfs://namenode/x", 400),
    ],
)
def test_create_experiment_keeps_locations_under_the_roots(
    client: TestClient, settings: ServerSettings, location: str | None, status: int
) -> None:
    body: dict[str, Any] = {"name": "exp"}
    if location is not None:
        body["artifact_location"] = location.format(dest=settings.artifacts_destination)
    response = client.post(f"{API}/experiments/create", json=body)
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        searched = client.post(f"{API}/experiments/search", json={"max_results": 10}).json()
        assert [e["name"] for e in searched["experiments"]] == ["Default"]


def test_s3_locations_under_an_s3_root_are_allowed(tmp_path: Path) -> None:
    settings = ServerSettings(
        backend_store_uri=f"sqlite:///{tmp_path / 's3.db'}",
        artifacts_destination="s3://bucket/root",
    )
    for client in _client_for(settings):
        ok = client.post(
            f"{API}/experiments/create",
            json={"name": "in", "artifact_location": "s3://bucket/root/team"},
        )
        assert ok.status_code == 200, ok.text
        for outside in ["s3://bucket/rootless", "s3://other/root/team", "s3://bucket/root/../x"]:
            refused = client.post(
                f"{API}/experiments/create", json={"name": "out", "artifact_location": outside}
            )
            assert refused.status_code == 400, outside
