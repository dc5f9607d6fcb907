"""The ``ArtifactRepository`` protocol: files of one run (or experiment) under one root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

__all__ = ["ArtifactRepository", "FileInfo"]


@dataclass(frozen=True)
class FileInfo:
    """One entry of an artifact listing: a path relative to the root, and its size in bytes.

    Directories have ``is_dir=True`` and ``file_size=None``.
    """

    path: str
    is_dir: bool
    file_size: int | None = None


@runtime_checkable
class ArtifactRepository(Protocol):
    """Reads and writes files under one root. Every ``artifact_path`` is relative to the root
    and confined to it: ``..``, absolute paths and symlinks that escape raise InvalidParameter.
    """

    @property
    def root_uri(self) -> str:
        """The URI of the root this repository serves."""
        ...

    def log_artifact(self, local_file: str | Path, artifact_path: str | None = None) -> None:
        """Copy a local file into ``artifact_path`` (a folder under the root; None = root)."""
        ...

    def log_artifacts(self, local_dir: str | Path, artifact_path: str | None = None) -> None:
        """Copy a local directory tree into ``artifact_path``."""
        ...

    def write_artifact(self, artifact_path: str, stream: BinaryIO) -> None:
        """Write a file at ``artifact_path`` from a binary stream (atomically replaced)."""
        ...

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """List the direct children of a folder (the root when None), sorted by path."""
        ...

    def open_artifact(self, artifact_path: str) -> BinaryIO:
        """Open a file for streaming reads. Raises NotFound."""
        ...

    def download_artifacts(self, artifact_path: str, dst_path: str | Path) -> Path:
        """Copy a file or folder into the local folder ``dst_path``; return the local path."""
        ...

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Delete a file or folder (the whole root when None). Missing paths are fine."""
        ...
