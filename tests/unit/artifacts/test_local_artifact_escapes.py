"""Symlinks planted inside a local artifact root must never let an operation reach outside it."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from trackstone.artifacts.base import FileInfo
from trackstone.artifacts.local import LocalArtifactRepository
from trackstone.errors import InvalidParameter


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry below ``folder``: file content, or None for a folder."""
    return {
        path.relative_to(folder).as_posix(): None if path.is_dir() else path.read_bytes()
        for path in sorted(folder.rglob("*"))
    }


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    (folder / "sub").mkdir(parents=True)
    (folder / "secret.txt").write_bytes(b"secret")
    (folder / "sub" / "deep.txt").write_bytes(b"deep")
    return folder


@pytest.fixture
def repo(tmp_path: Path, outside: Path) -> LocalArtifactRepository:
    """A repository holding real files and three symlinks that lead to ``outside``."""
    root = tmp_path / "root"
    (root / "nested").mkdir(parents=True)
    (root / "real.txt").write_bytes(b"real")
    (root / "nested" / "inner.txt").write_bytes(b"inner")
    (root / "escape").symlink_to(outside)
    (root / "secret").symlink_to(outside / "secret.txt")
    (root / "nested" / "up").symlink_to(Path("..") / ".." / "outside")
    return LocalArtifactRepository(root)


def _local_inputs(tmp_path: Path) -> tuple[Path, Path]:
    local_file = tmp_path / "local.txt"
    local_file.write_bytes(b"attacker")
    local_dir = tmp_path / "local-dir"
    local_dir.mkdir(exist_ok=True)
    (local_dir / "secret.txt").write_bytes(b"attacker")
    return local_file, local_dir


Operation = Callable[[LocalArtifactRepository, str, Path], object]

OPERATIONS: dict[str, Operation] = {
    "open": lambda repo, path, tmp: repo.open_artifact(path),
    "write": lambda repo, path, tmp: repo.write_artifact(path, io.BytesIO(b"attacker")),
    "log_artifact": lambda repo, path, tmp: repo.log_artifact(_local_inputs(tmp)[0], path),
    "log_artifacts": lambda repo, path, tmp: repo.log_artifacts(_local_inputs(tmp)[1], path),
    "list": lambda repo, path, tmp: repo.list_artifacts(path),
    "download": lambda repo, path, tmp: repo.download_artifacts(path, tmp / "dst"),
    "delete": lambda repo, path, tmp: repo.delete_artifacts(path),
}

PATHS_THROUGH_LINKS = [
    "escape",
    "escape/secret.txt",
    "escape/sub",
    "escape/sub/deep.txt",
    "escape/new/file.txt",
    "secret",
    "nested/up",
    "nested/up/secret.txt",
    "nested/up/sub/deep.txt",
]


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("path", PATHS_THROUGH_LINKS)
def test_operations_through_an_escaping_symlink_are_refused(
    repo: LocalArtifactRepository, outside: Path, tmp_path: Path, operation: str, path: str
) -> None:
    before = _snapshot(outside)
    with pytest.raises(InvalidParameter, match="resolves outside the artifact root"):
        OPERATIONS[operation](repo, path, tmp_path)
    assert _snapshot(outside) == before
    assert not (tmp_path / "dst").exists()


def test_listing_skips_escaping_symlinks(repo: LocalArtifactRepository) -> None:
    assert repo.list_artifacts() == [
        FileInfo("nested", is_dir=True),
        FileInfo("real.txt", is_dir=False, file_size=4),
    ]
    assert repo.list_artifacts("nested") == [FileInfo("nested/inner.txt", False, 5)]


def test_downloading_the_root_leaves_escaping_symlinks_behind(
    repo: LocalArtifactRepository, tmp_path: Path
) -> None:
    dst = repo.download_artifacts("", tmp_path / "dst")
    assert _snapshot(dst) == {"nested": None, "nested/inner.txt": b"inner", "real.txt": b"real"}


@pytest.mark.parametrize("path", [None, "nested"])
def test_deleting_a_folder_holding_escaping_symlinks_keeps_the_outside(
    repo: LocalArtifactRepository, outside: Path, path: str | None
) -> None:
    before = _snapshot(outside)
    repo.delete_artifacts(path)
    assert _snapshot(outside) == before
    assert repo.list_artifacts(path) == []


def test_a_symlink_that_stays_inside_the_root_works(repo: LocalArtifactRepository) -> None:
    os.symlink("nested", repo.root / "alias")
    with repo.open_artifact("alias/inner.txt") as stream:
        assert stream.read() == b"inner"
    assert FileInfo("alias", is_dir=True) in repo.list_artifacts()


def test_a_root_reached_through_a_symlink_works(tmp_path: Path) -> None:
    (tmp_path / "real-root").mkdir()
    (tmp_path / "root-link").symlink_to(tmp_path / "real-root")
    repo = LocalArtifactRepository(tmp_path / "root-link")
    repo.write_artifact("a/b.txt", io.BytesIO(b"ok"))
    assert (tmp_path / "real-root" / "a" / "b.txt").read_bytes() == b"ok"
    assert repo.list_artifacts("a") == [FileInfo("a/b.txt", False, 2)]


def test_a_planted_fifo_is_refused_not_read(repo: LocalArtifactRepository) -> None:
    fifo = repo.root / "pipe"
    os.mkfifo(fifo)
    # Holding both ends open means a blocking open could not hang this test if it regressed.
    keep_open = os.open(fifo, os.O_RDWR)
    try:
        with pytest.raises(InvalidParameter, match="not a regular file"):
            repo.open_artifact("pipe")
    finally:
        os.close(keep_open)


def test_writing_onto_an_inner_symlink_replaces_the_link(repo: LocalArtifactRepository) -> None:
    os.symlink("real.txt", repo.root / "alias.txt")
    repo.write_artifact("alias.txt", io.BytesIO(b"new"))
    assert not (repo.root / "alias.txt").is_symlink()
    assert (repo.root / "alias.txt").read_bytes() == b"new"
    assert (repo.root / "real.txt").read_bytes() == b"real"


@pytest.mark.parametrize("target", ["missing.txt", "real.txt"])
def test_writing_onto_an_inner_symlink_to_a_file_or_nothing_replaces_it(
    repo: LocalArtifactRepository, target: str
) -> None:
    os.symlink(target, repo.root / "alias")
    repo.write_artifact("alias", io.BytesIO(b"new"))
    assert not (repo.root / "alias").is_symlink()
    assert (repo.root / "alias").read_bytes() == b"new"
    assert (repo.root / "real.txt").read_bytes() == b"real"
    assert not (repo.root / "missing.txt").exists()


def test_writing_onto_an_inner_symlink_to_a_folder_is_refused(
    repo: LocalArtifactRepository,
) -> None:
    os.symlink("nested", repo.root / "alias")
    with pytest.raises(InvalidParameter, match="is a folder"):
        repo.write_artifact("alias", io.BytesIO(b"new"))
    assert (repo.root / "alias").is_symlink()
    assert sorted(p.name for p in (repo.root / "nested").iterdir()) == ["inner.txt", "up"]
