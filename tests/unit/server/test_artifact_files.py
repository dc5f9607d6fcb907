"""The get-artifact file routes over the whole app: runs and versions, proxied or not."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.asgi_client import TestClient
from trackstone.config import ServerSettings
from trackstone.store.sql.store import SqlStore

BASE_URL = "http://127.0.0.1:5000"
API = "/api/2.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
FILES = {
    "model/MLmodel": b"flavors: {}\n",
    "model/data/w.bin": bytes(range(256)),
    "report.html": b"<script>alert(1)</script>",
    "plot.svg": b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    "notes.txt": b"hello",
}


@dataclass(frozen=True)
class Served:
    """A server app with one run holding ``FILES`` and version 1 of model ``m`` from it."""

    client: TestClient
    run_id: str
    artifact_uri: str


def _write_files(client: TestClient, artifact_uri: str) -> None:
    if artifact_uri.startswith("mlflow-artifacts:/"):
        folder = artifact_uri.removeprefix("mlflow-artifacts:/")
        for path, content in FILES.items():
            response = client.put(f"{PROXY}/{folder}/{path}", content=content)
            assert response.status_code == 200, response.text
        return
    for path, content in FILES.items():
        target = Path(artifact_uri, *path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


@pytest.fixture(params=["proxied", "not-proxied"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    from trackstone.server.app import create_app

    settings = ServerSettings(
        backend_store_uri=f"sqlite:///{tmp_path / 'trackstone.db'}",
        artifacts_destination=str(tmp_path / "artifacts"),
        serve_artifacts=request.param == "proxied",
    )
    store = SqlStore(settings.backend_store_uri, settings.default_artifact_root)
    try:
        with TestClient(create_app(settings, store), base_url=BASE_URL) as client:
            created = client.post(f"{API}/experiments/create", json={"name": "e"}).json()
            run = client.post(
                f"{API}/runs/create", json={"experiment_id": created["experiment_id"]}
            ).json()["run"]["info"]
            assert run["artifact_uri"].startswith("mlflow-artifacts:/") == (
                request.param == "proxied"
            )
            _write_files(client, run["artifact_uri"])
            assert client.post(f"{API}/registered-models/create", json={"name": "m"}).is_success
            version = client.post(
                f"{API}/model-versions/create",
                json={"name": "m", "source": f"runs:/{run['run_id']}/model"},
            )
            assert version.status_code == 200, version.text
            yield Served(client, run["run_id"], run["artifact_uri"])
    finally:
        store.close()


ROUTES = {
    "run": ("/get-artifact", {"run_uuid": "RUN"}, ""),
    "run-by-run-id": ("/get-artifact", {"run_id": "RUN"}, ""),
    "run-ajax": ("/ajax-api/2.0/mlflow/get-artifact", {"run_id": "RUN"}, ""),
    "version": ("/model-versions/get-artifact", {"name": "m", "version": "1"}, "model/"),
    "version-ajax": (
        "/ajax-api/2.0/mlflow/model-versions/get-artifact",
        {"name": "m", "version": "1"},
        "model/",
    ),
}


def _get(served: Served, route: str, path: str | None, **extra: str) -> tuple[str, dict[str, str]]:
    url, params, _ = ROUTES[route]
    query = {key: served.run_id if value == "RUN" else value for key, value in params.items()}
    if path is not None:
        query["path"] = path
    query.update(extra)
    return url, query


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("path", ["model/MLmodel", "model/data/w.bin"])
def test_a_file_downloads_through_the_runs_repository(
    served: Served, route: str, path: str
) -> None:
    prefix = ROUTES[route][2]
    url, query = _get(served, route, path.removeprefix(prefix))
    response = served.client.get(url, params=query)
    assert response.status_code == 200, response.text
    assert response.content == FILES[path]
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("report.html", "application/octet-stream"),
        ("plot.svg", "application/octet-stream"),
        ("notes.txt", "text/plain; charset=utf-8"),
    ],
)
def test_active_content_goes_out_as_an_inert_attachment(
    served: Served, path: str, content_type: str
) -> None:
    url, query = _get(served, "run-ajax", path)
    response = served.client.get(url, params=query)
    assert response.status_code == 200
    assert response.content == FILES[path]
    assert response.headers["content-type"] == content_type
    assert response.headers["content-disposition"].startswith(f'attachment; filename="{path}"')
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("route", "path", "extra", "status", "message"),
    [
        ("run", None, {}, 400, "path: this query parameter is required"),
        ("run", "", {}, 400, "path: this query parameter is required"),
        ("run", "model", {}, 400, "is a folder"),
        ("run", "missing.txt", {}, 404, "missing.txt"),
        ("run", "../../secret", {}, 400, "'..'"),
        ("run", "/etc/passwd", {}, 400, "must be relative"),
        ("run", "%2e%2e/x", {}, 400, "decodes to"),
        ("run", "notes.txt", {"run_uuid": "f" * 32}, 404, "f" * 32),
        ("run", "notes.txt", {"run_id": "0" * 32}, 400, "name different runs"),
        ("version", "MLmodel", {"version": "7"}, 404, "7"),
        ("version", "MLmodel", {"name": "nope"}, 404, "nope"),
        ("version", "MLmodel", {"version": "x"}, 400, "version"),
        ("version", "../notes.txt", {}, 400, "'..'"),
        ("version", "data", {}, 400, "is a folder"),
    ],
)
def test_bad_requests_get_a_clear_4xx(
    served: Served,
    route: str,
    path: str | None,
    extra: dict[str, str],
    status: int,
    message: str,
) -> None:
    url, query = _get(served, route, path, **extra)
    response = served.client.get(url, params=query)
    assert response.status_code == status, response.text
    assert message in response.json()["message"]


def test_a_run_id_is_required(served: Served) -> None:
    response = served.client.get("/get-artifact", params={"path": "notes.txt"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("run_id: this query parameter is required")


def test_a_version_stored_outside_the_roots_is_not_served(served: Served, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "MLmodel").write_bytes(b"secret")
    created = served.client.post(
        f"{API}/model-versions/create", json={"name": "m", "source": str(outside)}
    )
    assert created.status_code == 200, created.text
    response = served.client.get(
        "/model-versions/get-artifact", params={"name": "m", "version": "2", "path": "MLmodel"}
    )
    assert response.status_code == 400
    assert b"secret" not in response.content
    assert "artifact roots" in response.json()["message"]
