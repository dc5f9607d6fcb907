"""Path attacks on every artifact route of a real server: nothing outside the root is touched.

Each attack class of the incumbent's CVE history (``..``, ``%2e%2e``, double encoding,
backslashes, absolute paths, NUL bytes, drive letters, symlinks planted inside the root) is
sent raw (no client-side normalisation) to each route that takes a path, and must get a 4xx.
Afterwards the sentinel files outside the root are unchanged and were never sent back, and no
file appeared outside the root.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from support.server_process import ServerProcess, start_server

SECRET = b"TOP-SECRET-SENTINEL-7f3a"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
MPU = "/api/2.0/mlflow-artifacts/mpu/create"
VERSION_FILES = "/model-versions/get-artifact"
VERSION_QUERY = "name=m&version=1"


@dataclass(frozen=True)
class Target:
    """The server under attack, the run whose artifacts it serves, and what must stay intact."""

    server: ServerProcess
    run_id: str
    run_folder: str
    outside: Path
    secret: Path

    def snapshot(self) -> dict[str, tuple[str, int]]:
        """Every file outside the artifact root: its content digest and modification time."""
        found = {}
        for path in sorted(self.outside.rglob("*")):
            if path.is_file() and not path.is_symlink():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[str(path.relative_to(self.outside))] = (digest, path.stat().st_mtime_ns)
        return found


def _request(
    server: ServerProcess, method: str, target: str, body: bytes | None = None
) -> tuple[int, bytes]:
    connection = server.connection()
    try:
        headers = {"Host": server.host_header}
        if body is not None:
            headers["Content-Type"] = "application/json"
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _plant_symlinks(folder: Path, outside: Path) -> None:
    planted = folder / "planted"
    planted.mkdir(parents=True, exist_ok=True)
    (planted / "dirlink").symlink_to(outside, target_is_directory=True)
    (planted / "filelink").symlink_to(outside / "secret.txt")


def _post(server: ServerProcess, endpoint: str, fields: dict[str, str]) -> dict[str, Any]:
    status, body = _request(
        server, "POST", f"/api/2.0/mlflow/{endpoint}", json.dumps(fields).encode()
    )
    assert status == 200, body
    answer: dict[str, Any] = json.loads(body)
    return answer


def _start_target(base: Path, *flags: str) -> Target:
    """Start a server with one run, symlinks planted in its folder and a version of it."""
    outside = base / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_bytes(SECRET)
    # The server's data folder holds the database: also outside the artifact root.
    server = start_server(base / "server", *flags)
    try:
        experiment_id = _post(server, "experiments/create", {"name": "e"})["experiment_id"]
        info = _post(server, "runs/create", {"experiment_id": experiment_id})["run"]["info"]
        artifact_uri = info["artifact_uri"]
        destination = base / "server" / "artifacts"
        _plant_symlinks(destination, outside)
        if artifact_uri.startswith("mlflow-artifacts:/"):
            run_folder = artifact_uri.removeprefix("mlflow-artifacts:/")
            _plant_symlinks(destination.joinpath(*run_folder.split("/")), outside)
        else:
            run_folder = ""
            _plant_symlinks(Path(artifact_uri), outside)
        # A version whose files are the whole run folder (planted links included).
        _post(server, "registered-models/create", {"name": "m"})
        _post(server, "model-versions/create", {"name": "m", "source": f"runs:/{info['run_id']}"})
    except BaseException:
        server.stop()
        raise
    return Target(server, info["run_id"], run_folder, outside, secret)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    served = _start_target(tmp_path_factory.mktemp("traversal"))
    yield served
    served.server.stop()


@pytest.fixture(scope="module")
def local_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """A server without the proxy: runs keep their artifacts under a local root."""
    served = _start_target(tmp_path_factory.mktemp("traversal-local"), "--no-serve-artifacts")
    yield served
    served.server.stop()


# Each attack as it is written into a URL path (already percent-encoded where needed) and as
# the decoded value a query parameter or JSON field carries.
ATTACKS: dict[str, tuple[str, str]] = {
    "dot-dot": ("../../outside/secret.txt", "../../outside/secret.txt"),
    "dot-dot-deep": ("a/b/../../../../outside/secret.txt", "a/../../../outside/secret.txt"),
    "encoded-dots": ("%2e%2e/%2e%2e/outside/secret.txt", "%2e%2e/%2e%2e/outside/secret.txt"),
    "encoded-upper": ("%2E%2E/%2E%2E/outside/secret.txt", "%2E%2E/%2E%2E/outside/secret.txt"),
    "double-encoded": (
        "%252e%252e/%252e%252e/outside/secret.txt",
        "%252e%252e/%252e%252e/outside/secret.txt",
    ),
    "encoded-slash": ("..%2f..%2foutside%2fsecret.txt", "..%2f..%2foutside%2fsecret.txt"),
    "backslash": ("..%5c..%5coutside%5csecret.txt", "..\\..\\outside\\secret.txt"),
    "absolute": ("/{secret}", "/{secret}"),
    "encoded-absolute": ("{secret_encoded}", "{secret_encoded}"),
    "nul-byte": ("secret.txt%00.png", "secret.txt\x00.png"),
    "drive-letter": ("C:%5cWindows%5cwin.ini", "C:\\Windows\\win.ini"),
    "symlinked-folder": ("planted/dirlink/secret.txt", "planted/dirlink/secret.txt"),
    "symlinked-file": ("planted/filelink", "planted/filelink"),
    "symlinked-folder-listing": ("planted/dirlink", "planted/dirlink"),
}


def _fill(text: str, secret: Path) -> str:
    return text.format(secret=str(secret).lstrip("/"), secret_encoded=quote(str(secret), safe=""))


def _route_request(
    route: str, target: Target, in_path: str, in_value: str
) -> tuple[str, str, bytes | None]:
    """Return (method, URL, body) of an attack on ``route``."""
    value = quote(in_value, safe="")
    run_path = f"{target.run_folder}/{in_path}"
    requests = {
        "download": ("GET", f"{PROXY}/{in_path}", None),
        "download-in-run": ("GET", f"{PROXY}/{run_path}", None),
        "download-ajax": ("GET", f"/ajax-api/2.0/mlflow-artifacts/artifacts/{in_path}", None),
        "upload": ("PUT", f"{PROXY}/{in_path}", SECRET[::-1]),
        "upload-in-run": ("PUT", f"{PROXY}/{run_path}/new.txt", SECRET[::-1]),
        "delete": ("DELETE", f"{PROXY}/{in_path}", None),
        "list": ("GET", f"{PROXY}?path={value}", None),
        "run-list": (
            "GET",
            f"/api/2.0/mlflow/artifacts/list?run_id={target.run_id}&path={value}",
            None,
        ),
        "get-artifact": ("GET", f"/get-artifact?run_uuid={target.run_id}&path={value}", None),
        "get-artifact-ajax": (
            "GET",
            f"/ajax-api/2.0/mlflow/get-artifact?run_id={target.run_id}&path={value}",
            None,
        ),
        "version-get-artifact": ("GET", f"{VERSION_FILES}?{VERSION_QUERY}&path={value}", None),
        "version-get-artifact-ajax": (
            "GET",
            f"/ajax-api/2.0/mlflow{VERSION_FILES}?{VERSION_QUERY}&path={value}",
            None,
        ),
        "mpu-folder": ("POST", f"{MPU}/{in_path}", b'{"path": "x.bin", "num_parts": 1}'),
        "mpu-file-name": (
            "POST",
            f"{MPU}/{target.run_folder}",
            json.dumps({"path": in_value, "num_parts": 1}).encode(),
        ),
    }
    return requests[route]


# Routes that read through a run's own artifact repository: they work without the proxy too.
FILE_ROUTES = [
    "get-artifact",
    "get-artifact-ajax",
    "version-get-artifact",
    "version-get-artifact-ajax",
]
ROUTES = [
    "download",
    "download-in-run",
    "download-ajax",
    "upload",
    "upload-in-run",
    "delete",
    "list",
    "run-list",
    "mpu-folder",
    "mpu-file-name",
    *FILE_ROUTES,
]
# Multipart routes write nothing on a local root: a path that passes the syntactic checks
# (a symlink, or a file name of which only the base name is used) gets 501 there.
MULTIPART_ROUTES = {"mpu-folder", "mpu-file-name"}
SYMLINK_ATTACKS = {"symlinked-folder", "symlinked-file", "symlinked-folder-listing"}


# Inside a run's folder an absolute path is just more segments ("run//etc/x" = "run/etc/x").
_ROOT_ONLY_ATTACKS = {"absolute", "encoded-absolute"}
_IN_RUN_ROUTES = {"download-in-run", "upload-in-run"}
CASES = [
    (route, attack)
    for route in ROUTES
    for attack in sorted(ATTACKS)
    if not (route in _IN_RUN_ROUTES and attack in _ROOT_ONLY_ATTACKS)
]


@pytest.mark.parametrize(("route", "attack"), CASES)
def test_attack_is_refused_and_nothing_outside_changes(
    target: Target, route: str, attack: str
) -> None:
    in_path, in_value = (_fill(text, target.secret) for text in ATTACKS[attack])
    before = target.snapshot()
    method, url, body = _route_request(route, target, in_path, in_value)
    status, answer = _request(target.server, method, url, body)
    if route == "mpu-file-name" or (route in MULTIPART_ROUTES and attack in SYMLINK_ATTACKS):
        assert status in (400, 501), answer
    else:
        assert status in (400, 404), answer
    assert SECRET not in answer
    # Messages may echo the caller's own path, never one of the server's.
    assert str(target.server.log_path.parent) not in answer.decode("utf-8", errors="replace")
    assert target.snapshot() == before
    assert target.secret.read_bytes() == SECRET


@pytest.mark.parametrize(
    ("route", "attack"), [(r, a) for r in FILE_ROUTES for a in sorted(ATTACKS)]
)
def test_file_routes_without_the_proxy_refuse_attacks(
    local_target: Target, route: str, attack: str
) -> None:
    in_path, in_value = (_fill(text, local_target.secret) for text in ATTACKS[attack])
    before = local_target.snapshot()
    method, url, body = _route_request(route, local_target, in_path, in_value)
    status, answer = _request(local_target.server, method, url, body)
    assert status in (400, 404), answer
    assert SECRET not in answer
    assert str(local_target.server.log_path.parent) not in answer.decode("utf-8", errors="replace")
    assert local_target.snapshot() == before


@pytest.mark.parametrize(
    "location",
    ["{outside}", "file://{outside}", "{outside}/../outside", "mlflow-artifacts:/../../outside"],
)
def test_experiments_cannot_point_outside_the_roots(target: Target, location: str) -> None:
    artifact_location = location.format(outside=target.outside)
    status, answer = _request(
        target.server,
        "POST",
        "/api/2.0/mlflow/experiments/create",
        json.dumps({"name": f"evil {location}", "artifact_location": artifact_location}).encode(),
    )
    assert status == 400
    assert json.loads(answer)["error_code"] == "INVALID_PARAMETER_VALUE"
    assert sorted(p.name for p in target.outside.iterdir()) == ["secret.txt"]


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("x.html", "application/octet-stream"),
        ("x.svg", "application/octet-stream"),
        ("x.js", "application/octet-stream"),
        ("x.xhtml", "application/octet-stream"),
        ("x.txt", "text/plain; charset=utf-8"),
    ],
)
@pytest.mark.parametrize("route", ["proxy", "get-artifact"])
def test_active_content_is_served_as_a_download(
    target: Target, name: str, content_type: str, route: str
) -> None:
    payload = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"
    stored = f"{target.run_folder}/active/{name}"
    status, _ = _request(target.server, "PUT", f"{PROXY}/{stored}", payload)
    assert status == 200
    urls = {
        "proxy": f"{PROXY}/{stored}",
        "get-artifact": f"/get-artifact?run_id={target.run_id}&path=active/{name}",
    }
    connection = target.server.connection()
    try:
        connection.request("GET", urls[route])
        response = connection.getresponse()
        assert response.read() == payload
        assert response.getheader("Content-Type") == content_type
        assert response.getheader("Content-Disposition", "").startswith("attachment;")
        assert response.getheader("X-Content-Type-Options") == "nosniff"
    finally:
        connection.close()
