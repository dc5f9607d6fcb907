"""Folders as one tar stream through a real server: ``/trackstone-artifacts/tar/<folder>``.

Round trips through ``ProxiedArtifactRepository``, hostile archives refused with nothing
written, the body limit, a hostile server's archive refused by the client, and the fallback to
one request per file against a server without the route.
"""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from starlette.types import Receive, Scope, Send

from support.app_server import AppServer
from support.s3 import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, S3Bucket
from support.server_process import ServerProcess, running_server, start_server
from support.tar_archives import archive, member
from trackstone.artifacts.proxied import ProxiedArtifactRepository
from trackstone.config import ServerSettings
from trackstone.errors import InvalidParameter, ServiceUnavailable
from trackstone.server.app import create_app

TAR = "/api/2.0/trackstone-artifacts/tar"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("batches")) as process:
        yield process


def _destination(server: ServerProcess) -> Path:
    return server.log_path.parent / "artifacts"


def _tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _everything(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*"))


def _write_tree(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


NESTED = {
    "MLmodel": b"flavors: {}\n",
    "data/weights.bin": bytes(range(256)) * 4096 + b"tail",
    "data/deeper/notes.txt": "ünïcode\n".encode(),
    "empty.txt": b"",
    **{f"many/f{index:03d}.txt": f"file {index}".encode() for index in range(40)},
}


def test_a_nested_folder_round_trips_as_one_tar(server: ServerProcess, tmp_path: Path) -> None:
    _write_tree(tmp_path / "up", NESTED)
    repo = ProxiedArtifactRepository(server.url, "exp/round-trip")
    repo.log_artifacts(tmp_path / "up", "model")
    stored = _destination(server) / "exp" / "round-trip" / "model"
    assert _tree(stored) == NESTED
    assert not [name for name in os.listdir(_destination(server)) if name.startswith(".")]
    again = ProxiedArtifactRepository(server.url, "exp/round-trip")
    local = again.download_artifacts("model", tmp_path / "down")
    assert _tree(local) == NESTED
    whole = again.download_artifacts("", tmp_path / "root")
    assert _tree(whole) == {f"model/{name}": data for name, data in NESTED.items()}


def test_the_tar_get_is_an_attachment(server: ServerProcess, tmp_path: Path) -> None:
    _write_tree(tmp_path / "up", {"a.txt": b"a", "b/c.txt": b"c"})
    ProxiedArtifactRepository(server.url, "exp/get").log_artifacts(tmp_path / "up")
    answer = requests.get(f"{server.url}{TAR}/exp/get", timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/x-tar"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="get.tar"')
    with tarfile.open(fileobj=io.BytesIO(answer.content)) as archive:
        assert sorted(archive.getnames()) == ["a.txt", "b/c.txt"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("exp/absent", 404, "RESOURCE_DOES_NOT_EXIST"),
        ("exp/file/a.txt", 400, "INVALID_PARAMETER_VALUE"),
        ("exp/%2e%2e/x", 400, "INVALID_PARAMETER_VALUE"),
    ],
)
def test_tar_get_errors(server: ServerProcess, path: str, status: int, code: str) -> None:
    requests.put(
        f"{server.url}/api/2.0/mlflow-artifacts/artifacts/exp/file/a.txt", data=b"a", timeout=30
    ).raise_for_status()
    answer = requests.get(f"{server.url}{TAR}/{path}", timeout=30)
    assert (answer.status_code, answer.json()["error_code"]) == (status, code)


GOOD = (member("good.txt"), b"good")


@pytest.mark.parametrize(
    ("members", "named"),
    [
        ([GOOD, (member("link", tarfile.SYMTYPE, linkname="/etc/passwd"), None)], "link"),
        ([GOOD, (member("hard", tarfile.LNKTYPE, linkname="good.txt"), None)], "hard"),
        ([GOOD, (member("dev", tarfile.CHRTYPE, devmajor=1, devminor=3), None)], "dev"),
        ([GOOD, (member("fifo", tarfile.FIFOTYPE), None)], "fifo"),
        ([GOOD, (member("/abs.txt"), b"x")], "/abs.txt"),
        ([GOOD, (member("../up.txt"), b"x")], "../up.txt"),
        ([GOOD, (member("a\\b.txt"), b"x")], "a\\\\b.txt"),
        ([GOOD, (member("nul", pax_headers={"path": "nul\x00.txt"}), b"x")], "nul\\x00.txt"),
        ([GOOD, (member("escape/x.txt"), b"x")], "escape/x.txt"),
        ([GOOD, (member("good.txt"), b"again")], "good.txt"),
        ([GOOD, (member("existing-folder"), b"x")], "existing-folder"),
    ],
)
def test_hostile_members_are_refused_and_nothing_is_written(
    server: ServerProcess, tmp_path: Path, members: list[Any], named: str
) -> None:
    destination = _destination(server)
    folder = destination / "hostile"
    (folder / "existing-folder").mkdir(parents=True, exist_ok=True)
    (folder / "escape").unlink(missing_ok=True)
    (folder / "escape").symlink_to(tmp_path, target_is_directory=True)
    before = _everything(destination)
    answer = requests.put(f"{server.url}{TAR}/hostile", data=archive(*members), timeout=30)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert named in body["message"]
    assert str(destination) not in body["message"]
    assert _everything(destination) == before
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not a tar archive at all" * 100,
        archive(GOOD, (member("big.bin"), b"x" * 5000))[:4000],
        archive(GOOD)[:700],
    ],
)
def test_malformed_archives_are_refused_and_nothing_is_written(
    server: ServerProcess, body: bytes
) -> None:
    destination = _destination(server)
    destination.mkdir(exist_ok=True)
    before = _everything(destination)
    answer = requests.put(f"{server.url}{TAR}/malformed", data=body, timeout=30)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert _everything(destination) == before
    assert "Traceback" not in server.log()


def test_the_body_limit_applies(tmp_path: Path) -> None:
    limited = start_server(tmp_path / "limited", env={"TRACKSTONE_MAX_ARTIFACT_BYTES": "3000"})
    try:
        body = archive((member("a.bin"), b"a" * 1500), (member("b.bin"), b"b" * 1500))
        answer = requests.put(f"{limited.url}{TAR}/over", data=body, timeout=30)
        assert answer.status_code == 413, answer.text
        chunked = requests.put(f"{limited.url}{TAR}/over", data=iter([body]), timeout=30)
        assert chunked.status_code == 413, chunked.text
        _write_tree(tmp_path / "up", {"a.bin": b"a" * 1500, "b.bin": b"b" * 1500})
        repo = ProxiedArtifactRepository(limited.url, "over")
        with pytest.raises(InvalidParameter, match="larger than the server's limit"):
            repo.log_artifacts(tmp_path / "up")
        assert not (tmp_path / "limited" / "artifacts" / "over").exists()
    finally:
        limited.stop()


def test_no_serve_artifacts_answers_503(tmp_path: Path) -> None:
    off = start_server(tmp_path / "off", "--no-serve-artifacts")
    try:
        for method in ("GET", "PUT"):
            answer = requests.request(method, f"{off.url}{TAR}/x", data=archive(GOOD), timeout=30)
            assert answer.status_code == 503, answer.text
        _write_tree(tmp_path / "up", {"a.txt": b"a", "b.txt": b"b"})
        with pytest.raises(ServiceUnavailable, match="no-serve-artifacts"):
            ProxiedArtifactRepository(off.url, "x").log_artifacts(tmp_path / "up")
    finally:
        off.stop()


# -- against other servers -------------------------------------------------------------------


class _HostileTarServer:
    """Answers every tar GET with a fixed archive; everything else 404."""

    def __init__(self, archive: bytes) -> None:
        self.archive = archive

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tar = scope["type"] == "http" and scope["path"].startswith(TAR)
        headers = [(b"content-type", b"application/x-tar")] if tar else []
        await send(
            {"type": "http.response.start", "status": 200 if tar else 404, "headers": headers}
        )
        await send({"type": "http.response.body", "body": self.archive if tar else b""})


@pytest.fixture(scope="module")
def app_server() -> Iterator[AppServer]:
    with AppServer.start() as started:
        yield started


@pytest.mark.parametrize(
    ("hostile", "named"),
    [
        ((member("../outside.txt"), b"x"), "../outside.txt"),
        ((member("/tmp/abs.txt"), b"x"), "/tmp/abs.txt"),
        ((member("link", tarfile.SYMTYPE, linkname="/etc"), None), "link"),
        ((member("hard", tarfile.LNKTYPE, linkname="/etc/passwd"), None), "hard"),
        ((member("escape/x.txt"), b"x"), "escape/x.txt"),
    ],
)
def test_the_client_refuses_hostile_archives(
    app_server: AppServer,
    tmp_path: Path,
    hostile: tuple[tarfile.TarInfo, bytes | None],
    named: str,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    local = tmp_path / "down"
    local.mkdir()
    (local / "escape").symlink_to(outside, target_is_directory=True)
    with app_server.mounted(_HostileTarServer(archive(GOOD, hostile))) as url:
        repo = ProxiedArtifactRepository(url, "run")
        with pytest.raises(InvalidParameter, match=r"outside|tar member") as raised:
            repo.download_artifacts("", local)
    assert named in raised.value.message
    assert list(outside.iterdir()) == []
    assert not (tmp_path / "outside.txt").exists()
    assert sorted(path.name for path in local.iterdir()) == ["escape", "good.txt"]


class _WithoutTarRoute:
    """A real Trackstone app that does not know the tar route (as ``mlflow server``)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests.append((scope["method"], scope["path"]))
            if scope["path"].startswith(TAR):
                await send({"type": "http.response.start", "status": 404, "headers": []})
                await send({"type": "http.response.body", "body": b"<html>Not Found</html>"})
                return
        await self.app(scope, receive, send)


def test_falls_back_to_one_request_per_file(app_server: AppServer, tmp_path: Path) -> None:
    settings = ServerSettings(
        backend_store_uri=f"sqlite:///{tmp_path / 'db.sqlite'}",
        artifacts_destination=str(tmp_path / "artifacts"),
    )
    old = _WithoutTarRoute(create_app(settings))
    files = {"a.txt": b"a", "b/c.txt": b"c", "b/d.txt": b"d"}
    _write_tree(tmp_path / "up", files)
    with app_server.mounted(old) as url:
        repo = ProxiedArtifactRepository(url, "run")
        repo.log_artifacts(tmp_path / "up", "first")
        repo.log_artifacts(tmp_path / "up", "second")
        local = repo.download_artifacts("", tmp_path / "down")
    assert _tree(tmp_path / "artifacts" / "run") == {
        f"{folder}/{name}": data for folder in ("first", "second") for name, data in files.items()
    }
    assert _tree(local) == _tree(tmp_path / "artifacts" / "run")
    tar_calls = [call for call in old.requests if TAR in call[1]]
    assert tar_calls == [("PUT", f"{TAR}/run/first")]  # asked once, then remembered
    puts = [path for method, path in old.requests if method == "PUT" and TAR not in path]
    assert len(puts) == 2 * len(files)


def test_an_s3_destination_takes_and_gives_tars(tmp_path: Path, s3_bucket: S3Bucket) -> None:
    env = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "TRACKSTONE_S3_ENDPOINT_URL": s3_bucket.server.endpoint_url,
    }
    process = start_server(
        tmp_path / "s3", "--artifacts-destination", s3_bucket.uri("dest"), env=env
    )
    try:
        files = {"a.txt": b"a", "b/c.bin": bytes(range(256)) * 5000}
        _write_tree(tmp_path / "up", files)
        repo = ProxiedArtifactRepository(process.url, "exp/run")
        repo.log_artifacts(tmp_path / "up", "model")
        assert s3_bucket.keys() == ["dest/exp/run/model/a.txt", "dest/exp/run/model/b/c.bin"]
        bad = archive(GOOD, (member("../x"), b"x"))
        answer = requests.put(f"{process.url}{TAR}/exp/bad", data=bad, timeout=30)
        assert answer.status_code == 400, answer.text
        assert len(s3_bucket.keys()) == 2
        assert _tree(repo.download_artifacts("model", tmp_path / "down")) == files
        assert requests.get(f"{process.url}{TAR}/exp/none", timeout=30).status_code == 404
    finally:
        process.stop()
