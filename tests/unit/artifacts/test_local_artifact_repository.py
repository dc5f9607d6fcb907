"""What ``LocalArtifactRepository`` does beyond the shared contract: roots, atomicity, errors."""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from trackstone.artifacts.base import FileInfo
from trackstone.artifacts.local import TEMP_PREFIX, LocalArtifactRepository, local_path_for_uri
from trackstone.errors import InvalidParameter, NotFound


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/srv/artifacts", "/srv/artifacts"),
        ("/srv/a/../artifacts/", "/srv/artifacts"),
        ("file:///srv/artifacts", "/srv/artifacts"),
        ("file://localhost/srv/artifacts", "/srv/artifacts"),
        ("FILE:///srv/artifacts", "/srv/artifacts"),
        ("file:/srv/artifacts", "/srv/artifacts"),
        ("file:///srv/my%20runs/%23%3F", "/srv/my runs/#?"),
    ],
)
def test_local_path_for_uri(uri: str, expected: str) -> None:
    assert local_path_for_uri(uri) == Path(expected)


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("", "must not be empty"),
        ("file://otherhost/srv", "must name the local host"),
        ("file:relative/path", "must hold an absolute path"),
        ("file:///srv/a#b", "percent-encode"),
        ("file:///srv/a?b=1", "percent-encode"),
    ],
)
def test_local_path_for_uri_refuses(uri: str, reason: str) -> None:
    with pytest.raises(InvalidParameter, match=reason):
        local_path_for_uri(uri)


def test_relative_root_is_made_absolute_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    repo = LocalArtifactRepository("data/artifacts")
    monkeypatch.chdir(tmp_path.parent)
    repo.write_artifact("x.txt", io.BytesIO(b"x"))
    assert (tmp_path / "data" / "artifacts" / "x.txt").read_bytes() == b"x"


@pytest.mark.parametrize("folder", ["plain", "with space", "hash#and?query", "per%cent", "ünï"])
def test_root_uri_round_trips(tmp_path: Path, folder: str) -> None:
    repo = LocalArtifactRepository(tmp_path / folder)
    assert repo.root_uri.startswith("file:///")
    assert LocalArtifactRepository(repo.root_uri).root == tmp_path / folder


def test_root_is_created_lazily(tmp_path: Path) -> None:
    root = tmp_path / "lazy" / "root"
    repo = LocalArtifactRepository(root)
    assert repo.list_artifacts() == []
    with pytest.raises(NotFound):
        repo.open_artifact("x")
    repo.delete_artifacts()
    assert not root.exists()
    repo.write_artifact("x", io.BytesIO(b"1"))
    assert root.is_dir()


class _FailingStream(io.RawIOBase):
    """Yields some bytes, then fails like a dropped upload."""

    def __init__(self) -> None:
        self._served = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._served:
            raise ConnectionResetError("upload dropped")
        self._served = True
        buffer[:7] = b"partial"
        return 7


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    repo = LocalArtifactRepository(tmp_path)
    repo.write_artifact("model/weights.bin", io.BytesIO(b"old complete content"))
    with pytest.raises(ConnectionResetError):
        repo.write_artifact("model/weights.bin", _FailingStream())  # type: ignore[arg-type]
    assert (tmp_path / "model" / "weights.bin").read_bytes() == b"old complete content"
    assert os.listdir(tmp_path / "model") == ["weights.bin"]


def test_in_flight_temp_files_are_hidden(tmp_path: Path) -> None:
    repo = LocalArtifactRepository(tmp_path / "root")
    repo.write_artifact("done.txt", io.BytesIO(b"done"))
    (tmp_path / "root" / f"{TEMP_PREFIX}abc").write_bytes(b"half")
    assert repo.list_artifacts() == [FileInfo("done.txt", False, 4)]
    dst = repo.download_artifacts("", tmp_path / "dst")
    assert sorted(os.listdir(dst)) == ["done.txt"]


def test_new_files_get_ordinary_permissions(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        LocalArtifactRepository(tmp_path).write_artifact("f", io.BytesIO(b"1"))
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == 0o644


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("", "must name a file"),
        ("folder", "is a folder"),
        ("folder/file.txt/child.txt", "a parent of it is a file"),
    ],
)
def test_write_to_an_impossible_place_is_refused(tmp_path: Path, path: str, reason: str) -> None:
    repo = LocalArtifactRepository(tmp_path)
    repo.write_artifact("folder/file.txt", io.BytesIO(b"1"))
    with pytest.raises(InvalidParameter, match=reason):
        repo.write_artifact(path, io.BytesIO(b"2"))
    assert (tmp_path / "folder" / "file.txt").read_bytes() == b"1"


def test_log_artifact_of_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="use log_artifacts"):
        LocalArtifactRepository(tmp_path / "root").log_artifact(tmp_path)


def test_log_artifacts_of_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(InvalidParameter, match="use log_artifact"):
        LocalArtifactRepository(tmp_path / "root").log_artifacts(tmp_path / "f.txt")


def test_log_artifacts_keeps_empty_folders(tmp_path: Path) -> None:
    (tmp_path / "src" / "empty" / "deeper").mkdir(parents=True)
    repo = LocalArtifactRepository(tmp_path / "root")
    repo.log_artifacts(tmp_path / "src", "out")
    assert repo.list_artifacts("out") == [FileInfo("out/empty", True)]
    assert repo.list_artifacts("out/empty") == [FileInfo("out/empty/deeper", True)]


def test_log_artifacts_copies_symlink_targets_and_ends_cycles(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "data").mkdir(parents=True)
    (source / "data" / "values.csv").write_text("1,2\n")
    (tmp_path / "elsewhere.txt").write_text("linked")
    (source / "link.txt").symlink_to(tmp_path / "elsewhere.txt")
    (source / "data" / "loop").symlink_to(source)
    repo = LocalArtifactRepository(tmp_path / "root")
    repo.log_artifacts(source)
    assert repo.list_artifacts() == [FileInfo("data", True), FileInfo("link.txt", False, 6)]
    assert repo.list_artifacts("data") == [FileInfo("data/values.csv", False, 4)]
    assert not (tmp_path / "root" / "link.txt").is_symlink()


def test_log_artifacts_refuses_local_names_that_are_unsafe(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a\\b.txt").write_text("x")
    with pytest.raises(InvalidParameter, match="backslashes"):
        LocalArtifactRepository(tmp_path / "root").log_artifacts(tmp_path / "src")


def test_open_artifact_error_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=re.escape("'models/missing.bin'")):
        LocalArtifactRepository(tmp_path).open_artifact("models/./missing.bin")


def test_importing_the_package_loads_no_implementation() -> None:
    probe = (
        "import sys, trackstone.artifacts as a; "
        "print(sorted(m for m in sys.modules if m.startswith('trackstone.artifacts.')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_package_exports_resolve_lazily() -> None:
    import trackstone.artifacts as artifacts

    assert artifacts.LocalArtifactRepository is LocalArtifactRepository
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = artifacts.no_such_name  # type: ignore[attr-defined]
