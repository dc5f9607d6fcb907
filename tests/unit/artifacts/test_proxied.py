"""ProxiedArtifactRepository against a loopback stand-in for the ``mlflow-artifacts`` API.

The stand-in keeps uploaded files in memory, serves them back and lists them, and answers an
error for the paths a test marks as failing. (The full behaviour over the real server is the
contract suite's ``proxied`` parameter and ``tests/integration/test_artifact_proxy.py``.)
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from trackstone.artifacts.proxied import ARTIFACTS_ENDPOINT, ProxiedArtifactRepository
from trackstone.errors import InvalidParameter, NotFound

ROOT = "1/run/artifacts"


@dataclass
class Store:
    """What the stand-in holds and saw."""

    files: dict[str, bytes] = field(default_factory=dict)
    failing: dict[str, str] = field(default_factory=dict)  # path -> error message
    uploads: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    store: Store

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _artifact_path(self) -> str:
        return unquote(urlsplit(self.path).path[len(ARTIFACTS_ENDPOINT) + 1 :])

    def do_PUT(self) -> None:
        path = self._artifact_path()
        headers = {key.lower(): value for key, value in self.headers.items()}
        body = self.rfile.read(int(headers["content-length"]))
        with self.store.lock:
            self.store.uploads.append((path, headers))
            message = self.store.failing.get(path)
            if message is None:
                self.store.files[path] = body
        if message is not None:
            error = {"error_code": "INVALID_PARAMETER_VALUE", "message": message}
            self._reply(400, json.dumps(error).encode())
        else:
            self._reply(200, b"{}")

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == ARTIFACTS_ENDPOINT:
            folder = parse_qs(parts.query)["path"][0]
            names = {
                path[len(folder) + 1 :].split("/")[0]: "/" in path[len(folder) + 1 :]
                for path in self.store.files
                if path.startswith(folder + "/")
            }
            files = [{"path": name, "is_dir": is_dir} for name, is_dir in names.items()]
            self._reply(200, json.dumps({"files": files}).encode())
            return
        path = self._artifact_path()
        content = self.store.files.get(path)
        if content is None and any(name.startswith(path + "/") for name in self.store.files):
            error = {"error_code": "INVALID_PARAMETER_VALUE", "message": "is a folder"}
            self._reply(400, json.dumps(error).encode())
        elif content is None:
            error = {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such artifact"}
            self._reply(404, json.dumps(error).encode())
        else:
            self._reply(200, content)


@pytest.fixture
def server() -> Iterator[tuple[str, Store]]:
    """Run the stand-in on a loopback port; yield its URL and its store."""
    store = Store()
    handler = type("Handler", (_Handler,), {"store": store})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.block_on_close = False
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", store
    httpd.shutdown()
    httpd.server_close()


def _tree(folder: Path, count: int) -> list[str]:
    names = [
        f"f{index:03d}.txt" if index % 2 else f"sub/f{index:03d}.txt" for index in range(count)
    ]
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(name.encode() * 100)
    return names


def test_a_file_goes_up_with_its_length(server: tuple[str, Store], tmp_path: Path) -> None:
    url, store = server
    source = tmp_path / "weights.bin"
    source.write_bytes(bytes(range(256)) * 4097)  # more than one 1 MiB block

    ProxiedArtifactRepository(url, ROOT).log_artifact(source, "model")

    [(path, headers)] = store.uploads
    assert path == f"{ROOT}/model/weights.bin"
    assert headers["content-length"] == str(256 * 4097)
    assert "transfer-encoding" not in headers
    assert store.files[path] == source.read_bytes()


def test_a_folder_goes_up_in_parallel_and_comes_back(
    server: tuple[str, Store], tmp_path: Path
) -> None:
    url, store = server
    names = _tree(tmp_path / "tree", 40)
    repo = ProxiedArtifactRepository(url, ROOT, max_threads=4)

    repo.log_artifacts(tmp_path / "tree", "out")
    local = repo.download_artifacts("out", tmp_path / "back")

    assert sorted(store.files) == sorted(f"{ROOT}/out/{name}" for name in names)
    for name in names:
        assert (local / name).read_bytes() == (tmp_path / "tree" / name).read_bytes()


@pytest.mark.parametrize("max_threads", [1, 4])
def test_a_failed_upload_in_a_folder_is_raised_naming_its_file(
    server: tuple[str, Store], tmp_path: Path, max_threads: int
) -> None:
    url, store = server
    _tree(tmp_path / "tree", 20)
    store.failing[f"{ROOT}/f005.txt"] = "f005 is too large"
    store.failing[f"{ROOT}/f013.txt"] = "f013 is too large"
    repo = ProxiedArtifactRepository(url, ROOT, max_threads=max_threads)

    with pytest.raises(InvalidParameter) as raised:
        repo.log_artifacts(tmp_path / "tree")

    # The first failing file in upload order (the walk's order: a folder's files, then its
    # sub-folders) is the one reported, whichever thread failed first.
    assert str(tmp_path / "tree" / "f005.txt") in raised.value.message
    assert "f005 is too large" in raised.value.message


def test_credentials_in_the_url_become_basic_auth_and_stay_out_of_the_root(
    server: tuple[str, Store], tmp_path: Path
) -> None:
    url, store = server
    source = tmp_path / "a.txt"
    source.write_bytes(b"a")
    repo = ProxiedArtifactRepository(url.replace("://", "://ann:p%40ss@"), ROOT)

    repo.log_artifact(source)

    assert store.uploads[0][1]["authorization"] == "Basic " + base64.b64encode(b"ann:p@ss").decode(
        "ascii"
    )
    assert "ann" not in repo.root_uri


def test_missing_files_are_not_found_and_later_reads_still_work(
    server: tuple[str, Store],
) -> None:
    url, store = server
    store.files[f"{ROOT}/here.txt"] = b"here"
    repo = ProxiedArtifactRepository(url, ROOT)

    for _ in range(3):
        with pytest.raises(NotFound, match="no such artifact"):
            repo.open_artifact("gone.txt")
    with repo.open_artifact("here.txt") as stream:
        assert stream.read() == b"here"


@pytest.mark.parametrize("path", ["../x", "a/../../b", "/etc/passwd", "a%2f..%2fb"])
def test_unsafe_paths_are_refused_before_any_request(
    server: tuple[str, Store], tmp_path: Path, path: str
) -> None:
    url, store = server
    repo = ProxiedArtifactRepository(url, ROOT)

    with pytest.raises(InvalidParameter):
        repo.open_artifact(path)
    with pytest.raises(InvalidParameter):
        repo.download_artifacts(path, tmp_path)
    assert store.uploads == []
