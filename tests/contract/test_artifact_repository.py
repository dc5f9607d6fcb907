"""Contract suite for ``ArtifactRepository``: every implementation must pass all of it.

The ``repo`` fixture is parametrized by implementation name. A new backend (S3, the HTTP proxy)
adds one entry to ``IMPLEMENTATIONS``: a function that gets the pytest request (to pull in its
own fixtures, e.g. a moto server) and returns an empty repository.
"""

from __future__ import annotations

import hashlib
import io
import random
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from support.server_process import ServerProcess, running_server
from trackstone.artifacts.base import ArtifactRepository, FileInfo
from trackstone.artifacts.local import LocalArtifactRepository
from trackstone.errors import InvalidParameter, NotFound

if TYPE_CHECKING:
    from support.s3 import S3Bucket


def _local_repository(request: pytest.FixtureRequest) -> ArtifactRepository:
    tmp_path: Path = request.getfixturevalue("tmp_path")
    return LocalArtifactRepository(tmp_path / "artifact-root")


def _s3_repository(request: pytest.FixtureRequest) -> ArtifactRepository:
    from trackstone.artifacts.s3 import S3ArtifactRepository

    bucket: S3Bucket = request.getfixturevalue("s3_bucket")
    return S3ArtifactRepository(bucket.uri("experiments/1/run/artifacts"), client=bucket.client)


@pytest.fixture(scope="module")
def proxy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real ``trackstone server`` for the module; each test gets its own folder on it."""
    with running_server(tmp_path_factory.mktemp("proxy-server")) as server:
        yield server


def _proxied_repository(request: pytest.FixtureRequest) -> ArtifactRepository:
    from trackstone.artifacts.proxied import ProxiedArtifactRepository

    server: ServerProcess = request.getfixturevalue("proxy_server")
    return ProxiedArtifactRepository(server.url, f"contract/{uuid.uuid4().hex}/artifacts")


IMPLEMENTATIONS: dict[str, Callable[[pytest.FixtureRequest], ArtifactRepository]] = {
    "local": _local_repository,
    "s3": _s3_repository,
    "proxied": _proxied_repository,
}

MiB = 1024 * 1024


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def repo(request: pytest.FixtureRequest) -> ArtifactRepository:
    return IMPLEMENTATIONS[request.param](request)


@pytest.fixture
def local_tree(tmp_path: Path) -> Path:
    """A local folder to log: nested folders, an empty file and binary content."""
    tree = tmp_path / "to-log"
    (tree / "model" / "weights").mkdir(parents=True)
    (tree / "README.md").write_text("# model\n")
    (tree / "model" / "MLmodel").write_text("flavors: {}\n")
    (tree / "model" / "empty.txt").write_bytes(b"")
    (tree / "model" / "weights" / "layer0.bin").write_bytes(bytes(range(256)) * 3)
    return tree


def _write(repo: ArtifactRepository, path: str, content: bytes) -> None:
    repo.write_artifact(path, io.BytesIO(content))


def _read(repo: ArtifactRepository, path: str) -> bytes:
    with repo.open_artifact(path) as stream:
        return stream.read()


def _file(path: str, size: int) -> FileInfo:
    return FileInfo(path=path, is_dir=False, file_size=size)


def _folder(path: str) -> FileInfo:
    return FileInfo(path=path, is_dir=True, file_size=None)


def test_is_an_artifact_repository(repo: ArtifactRepository) -> None:
    assert isinstance(repo, ArtifactRepository)
    assert isinstance(repo.root_uri, str) and repo.root_uri


@pytest.mark.parametrize("path", [None, "", "missing", "missing/deeper"])
def test_listing_an_empty_repository_is_empty(repo: ArtifactRepository, path: str | None) -> None:
    assert repo.list_artifacts(path) == []


@pytest.mark.parametrize("path", ["f.txt", "f.txt/child", "d/g.txt", "d/missing"])
def test_listing_a_file_or_missing_folder_is_empty(repo: ArtifactRepository, path: str) -> None:
    _write(repo, "f.txt", b"1")
    _write(repo, "d/g.txt", b"2")
    assert repo.list_artifacts(path) == []


@pytest.mark.parametrize(
    ("artifact_path", "expected_path"),
    [
        (None, "data.csv"),
        ("", "data.csv"),
        ("tables", "tables/data.csv"),
        ("tables/2024/q1", "tables/2024/q1/data.csv"),
        ("./tables//raw/", "tables/raw/data.csv"),
    ],
)
def test_log_artifact_copies_a_file_into_a_folder(
    repo: ArtifactRepository, tmp_path: Path, artifact_path: str | None, expected_path: str
) -> None:
    local = tmp_path / "data.csv"
    local.write_bytes(b"a,b\n1,2\n")
    repo.log_artifact(local, artifact_path)
    assert _read(repo, expected_path) == b"a,b\n1,2\n"
    folder = expected_path.rpartition("/")[0] or None
    assert repo.list_artifacts(folder) == [_file(expected_path, 8)]


def test_log_artifact_accepts_a_string_path(repo: ArtifactRepository, tmp_path: Path) -> None:
    local = tmp_path / "notes.txt"
    local.write_text("hi")
    repo.log_artifact(str(local))
    assert _read(repo, "notes.txt") == b"hi"


def test_log_artifact_of_a_missing_file_raises_not_found(
    repo: ArtifactRepository, tmp_path: Path
) -> None:
    with pytest.raises(NotFound):
        repo.log_artifact(tmp_path / "nope.txt")
    assert repo.list_artifacts() == []


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        (None, [_file("README.md", 8), _folder("model")]),
        (
            "model",
            [_file("model/MLmodel", 12), _file("model/empty.txt", 0), _folder("model/weights")],
        ),
        ("model/weights", [_file("model/weights/layer0.bin", 768)]),
        ("model/weights/layer0.bin", []),
        ("model/missing", []),
    ],
)
def test_log_artifacts_keeps_the_tree(
    repo: ArtifactRepository, local_tree: Path, folder: str | None, expected: list[FileInfo]
) -> None:
    repo.log_artifacts(local_tree)
    assert repo.list_artifacts(folder) == expected


def test_log_artifacts_into_a_folder(repo: ArtifactRepository, local_tree: Path) -> None:
    repo.log_artifacts(local_tree, "run/outputs")
    assert repo.list_artifacts() == [_folder("run")]
    assert repo.list_artifacts("run/outputs") == [
        _file("run/outputs/README.md", 8),
        _folder("run/outputs/model"),
    ]
    assert _read(repo, "run/outputs/model/weights/layer0.bin") == bytes(range(256)) * 3
    assert _read(repo, "run/outputs/model/empty.txt") == b""


def test_log_artifacts_of_a_missing_folder_raises_not_found(
    repo: ArtifactRepository, tmp_path: Path
) -> None:
    with pytest.raises(NotFound):
        repo.log_artifacts(tmp_path / "nope")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"x",
        b"hello\n",
        bytes(range(256)),
        b"\x00\r\n\x1a\xff\xfe" * 1000,
        random.Random(7).randbytes(3 * MiB + 17),
    ],
    ids=["empty", "one-byte", "text", "all-bytes", "crlf-nul", "3MiB-odd"],
)
def test_binary_content_round_trips(repo: ArtifactRepository, content: bytes) -> None:
    _write(repo, "blob.bin", content)
    assert _read(repo, "blob.bin") == content
    assert repo.list_artifacts() == [_file("blob.bin", len(content))]


@pytest.mark.parametrize(
    "path",
    ["with space.txt", "données/模型.pkl", "report%20final.txt", ".hidden", "a/b/c/d/e/f.txt"],
)
def test_names_round_trip(repo: ArtifactRepository, path: str) -> None:
    _write(repo, path, b"content")
    assert _read(repo, path) == b"content"
    folder = path.rpartition("/")[0] or None
    assert repo.list_artifacts(folder) == [_file(path, 7)]


@pytest.mark.parametrize(
    ("first", "second"),
    [(b"first version", b"second"), (b"", b"now full"), (b"long" * 1000, b"")],
)
def test_overwrite_replaces_content(repo: ArtifactRepository, first: bytes, second: bytes) -> None:
    _write(repo, "dir/file.txt", first)
    _write(repo, "dir/file.txt", second)
    assert _read(repo, "dir/file.txt") == second
    assert repo.list_artifacts("dir") == [_file("dir/file.txt", len(second))]


def test_listing_is_sorted_by_path(repo: ArtifactRepository) -> None:
    for name in ["b.txt", "a/x", "c", "A.txt", "a.txt", "_"]:
        _write(repo, name, b"1")
    assert [info.path for info in repo.list_artifacts()] == [
        "A.txt",
        "_",
        "a",
        "a.txt",
        "b.txt",
        "c",
    ]


@pytest.mark.parametrize("path", ["a/b", "a/./b", "a//b/", "./a/b"])
def test_listing_normalises_its_path(repo: ArtifactRepository, path: str) -> None:
    _write(repo, "a/b/c.txt", b"abc")
    assert repo.list_artifacts(path) == [_file("a/b/c.txt", 3)]


def test_open_artifact_streams_in_chunks(repo: ArtifactRepository) -> None:
    content = random.Random(1).randbytes(100_000)
    _write(repo, "s.bin", content)
    with repo.open_artifact("s.bin") as stream:
        chunks = [stream.read(4096) for _ in range(25)]
        assert stream.read(4096) == b""
    assert [len(chunk) for chunk in chunks[:24]] == [4096] * 24
    assert b"".join(chunks) == content


@pytest.mark.parametrize(
    "path", ["missing.txt", "folder/missing.txt", "nowhere/at/all", "folder/present.txt/child"]
)
def test_open_missing_artifact_raises_not_found(repo: ArtifactRepository, path: str) -> None:
    _write(repo, "folder/present.txt", b"1")
    with pytest.raises(NotFound):
        repo.open_artifact(path)


@pytest.mark.parametrize("path", ["folder", "folder/sub"])
def test_open_a_folder_raises_invalid_parameter(repo: ArtifactRepository, path: str) -> None:
    _write(repo, "folder/sub/file.txt", b"1")
    with pytest.raises(InvalidParameter):
        repo.open_artifact(path)


def test_download_a_file(repo: ArtifactRepository, tmp_path: Path) -> None:
    _write(repo, "models/best/model.bin", b"\x00weights")
    dst = tmp_path / "download"
    local = repo.download_artifacts("models/best/model.bin", dst)
    assert local == dst / "models" / "best" / "model.bin"
    assert local.read_bytes() == b"\x00weights"


@pytest.mark.parametrize(
    ("artifact_path", "expected_files"),
    [
        (
            "model",
            {
                "model/MLmodel": b"flavors: {}\n",
                "model/empty.txt": b"",
                "model/weights/layer0.bin": bytes(range(256)) * 3,
            },
        ),
        ("model/weights", {"model/weights/layer0.bin": bytes(range(256)) * 3}),
        (
            "",
            {
                "README.md": b"# model\n",
                "model/MLmodel": b"flavors: {}\n",
                "model/empty.txt": b"",
                "model/weights/layer0.bin": bytes(range(256)) * 3,
            },
        ),
    ],
)
def test_download_a_folder(
    repo: ArtifactRepository,
    local_tree: Path,
    tmp_path: Path,
    artifact_path: str,
    expected_files: dict[str, bytes],
) -> None:
    repo.log_artifacts(local_tree)
    dst = tmp_path / "download"
    local = repo.download_artifacts(artifact_path, dst)
    assert local == (dst.joinpath(*artifact_path.split("/")) if artifact_path else dst)
    found = {
        path.relative_to(dst).as_posix(): path.read_bytes()
        for path in dst.rglob("*")
        if path.is_file()
    }
    assert found == expected_files


def test_download_into_a_relative_folder_returns_an_absolute_path(
    repo: ArtifactRepository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(repo, "f.txt", b"1")
    monkeypatch.chdir(tmp_path)
    local = repo.download_artifacts("f.txt", "out")
    assert local == tmp_path / "out" / "f.txt"
    assert local.read_bytes() == b"1"


def test_download_missing_raises_not_found(repo: ArtifactRepository, tmp_path: Path) -> None:
    _write(repo, "present.txt", b"1")
    with pytest.raises(NotFound):
        repo.download_artifacts("absent.txt", tmp_path / "dst")


@pytest.mark.parametrize(
    ("deleted", "remaining_root", "remaining_in_a"),
    [
        ("a/one.txt", ["a", "top.txt"], ["a/b", "a/two.txt"]),
        ("a/b", ["a", "top.txt"], ["a/one.txt", "a/two.txt"]),
        ("a", ["top.txt"], []),
        ("top.txt", ["a"], ["a/b", "a/one.txt", "a/two.txt"]),
        ("absent.txt", ["a", "top.txt"], ["a/b", "a/one.txt", "a/two.txt"]),
        ("a/absent/deeper", ["a", "top.txt"], ["a/b", "a/one.txt", "a/two.txt"]),
        ("a/one.txt/child", ["a", "top.txt"], ["a/b", "a/one.txt", "a/two.txt"]),
    ],
)
def test_delete_artifacts(
    repo: ArtifactRepository,
    deleted: str,
    remaining_root: list[str],
    remaining_in_a: list[str],
) -> None:
    for path in ["top.txt", "a/one.txt", "a/two.txt", "a/b/three.txt", "a/b/c/four.txt"]:
        _write(repo, path, b"data")
    repo.delete_artifacts(deleted)
    assert [info.path for info in repo.list_artifacts()] == remaining_root
    assert [info.path for info in repo.list_artifacts("a")] == remaining_in_a


@pytest.mark.parametrize("root", [None, ""])
def test_delete_the_whole_root(repo: ArtifactRepository, root: str | None) -> None:
    for path in ["top.txt", "a/one.txt", "a/b/three.txt"]:
        _write(repo, path, b"data")
    repo.delete_artifacts(root)
    assert repo.list_artifacts() == []
    with pytest.raises(NotFound):
        repo.open_artifact("top.txt")
    _write(repo, "again.txt", b"back")
    assert _read(repo, "again.txt") == b"back"


def test_delete_an_empty_repository_is_fine(repo: ArtifactRepository) -> None:
    repo.delete_artifacts()
    repo.delete_artifacts("missing")
    assert repo.list_artifacts() == []


class _MeteredSource(io.RawIOBase):
    """A deterministic pseudo-random byte stream that remembers how much each read asked for."""

    def __init__(self, total_bytes: int, seed: int) -> None:
        self._left = total_bytes
        self._random = random.Random(seed)
        self._pending = b""
        self.digest = hashlib.sha256()
        self.largest_request = 0
        self.unbounded_reads = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self._serve(buffer, len(buffer))

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            self.unbounded_reads += 1
            size = self._left + len(self._pending)
        target = bytearray(size)
        served = self._serve(memoryview(target), size)
        return bytes(target[:served])

    def readall(self) -> bytes:
        return self.read(-1)

    def _serve(self, buffer: memoryview, size: int) -> int:
        self.largest_request = max(self.largest_request, size)
        while len(self._pending) < size and self._left:
            block = self._random.randbytes(min(MiB, self._left))
            self._left -= len(block)
            self.digest.update(block)
            self._pending += block
        served, self._pending = self._pending[:size], self._pending[size:]
        buffer[: len(served)] = served
        return len(served)


LARGE_BYTES = 24 * MiB + 5


def test_large_file_streams_through_in_chunks(repo: ArtifactRepository) -> None:
    source = _MeteredSource(LARGE_BYTES, seed=42)
    repo.write_artifact("big/weights.bin", source)  # type: ignore[arg-type]
    assert source.unbounded_reads == 0
    assert source.largest_request <= 16 * MiB
    assert repo.list_artifacts("big") == [_file("big/weights.bin", LARGE_BYTES)]
    read_back = hashlib.sha256()
    total = 0
    with repo.open_artifact("big/weights.bin") as stream:
        while chunk := stream.read(MiB):
            assert len(chunk) <= MiB
            read_back.update(chunk)
            total += len(chunk)
    assert total == LARGE_BYTES
    assert read_back.hexdigest() == source.digest.hexdigest()


def test_large_file_downloads_intact(repo: ArtifactRepository, tmp_path: Path) -> None:
    source = _MeteredSource(LARGE_BYTES, seed=43)
    repo.write_artifact("big.bin", source)  # type: ignore[arg-type]
    local = repo.download_artifacts("big.bin", tmp_path / "dst")
    downloaded = hashlib.sha256()
    with local.open("rb") as stream:
        while chunk := stream.read(MiB):
            downloaded.update(chunk)
    assert downloaded.hexdigest() == source.digest.hexdigest()


HOSTILE_PATHS = ["../escape.txt", "a/../../escape.txt", "/etc/passwd", "a\\..\\b", "%2e%2e/x"]

OPERATIONS: dict[str, Callable[[ArtifactRepository, str, Path], object]] = {
    "write": lambda repo, path, tmp: repo.write_artifact(path, io.BytesIO(b"x")),
    "log_artifact": lambda repo, path, tmp: repo.log_artifact(tmp / "local.txt", path),
    "log_artifacts": lambda repo, path, tmp: repo.log_artifacts(tmp / "local-dir", path),
    "list": lambda repo, path, tmp: repo.list_artifacts(path),
    "open": lambda repo, path, tmp: repo.open_artifact(path),
    "download": lambda repo, path, tmp: repo.download_artifacts(path, tmp / "dst"),
    "delete": lambda repo, path, tmp: repo.delete_artifacts(path),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_every_operation_refuses_paths_leaving_the_root(
    repo: ArtifactRepository, tmp_path: Path, operation: str, path: str
) -> None:
    (tmp_path / "local.txt").write_text("x")
    (tmp_path / "local-dir").mkdir()
    (tmp_path / "local-dir" / "f.txt").write_text("x")
    _write(repo, "keep.txt", b"kept")
    with pytest.raises(InvalidParameter) as caught:
        OPERATIONS[operation](repo, path, tmp_path)
    assert "artifact path" in caught.value.message
    assert repo.list_artifacts() == [_file("keep.txt", 4)]
    assert not (tmp_path / "escape.txt").exists()
    assert not (tmp_path / "dst").exists()
