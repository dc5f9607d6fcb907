"""``LocalArtifactRepository``: artifacts as files under one folder of the local file system.

Every path goes through ``paths.confined_path`` before it is touched, so ``..``, absolute
paths and symlinks that lead out of the root raise ``InvalidParameter``. The repository never
creates symlinks itself. When it walks a folder (listing, downloading), entries that are
symlinks leading out of the root are skipped with a warning, and symlinked folders are not
descended into during downloads.

Writes are atomic: data streams into a hidden temporary file in the destination folder, which
is flushed to disk (``fdatasync`` where the system has it: the data and what is needed to read
it back, such as its size; else ``fsync``) and then renamed over the destination. Readers see
the old file or the new one, never a partial one, even after a machine crash (the data is on
disk before the name points at it). A large file's data starts going to disk while it is
still being written (``writeback.RangeWriteback``), so the final flush has little left to do.
The folder is not fsynced after the rename: that second flush cost more than the whole rest
of a small upload, and without it a machine crash (not a process crash) may forget the newest
names, as SQLite in WAL mode with ``synchronous=NORMAL`` may forget the newest commits. Files
are copied in chunks, never read whole into memory. Names starting ``TEMP_PREFIX`` are
reserved for those temporary files: listings hide them and every operation refuses them.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from trackstone.artifacts.base import FileInfo
from trackstone.artifacts.local_files import file_target, join_artifact_path, walk_local_folder
from trackstone.artifacts.paths import (
    check_path_length,
    confined_path,
    is_inside,
    safe_relative_path,
)
from trackstone.artifacts.writeback import RangeWriteback
from trackstone.errors import InvalidParameter, NotFound

__all__ = [
    "CHUNK_BYTES",
    "TEMP_PREFIX",
    "LocalArtifactRepository",
    "local_path_for_uri",
    "unreserved_path",
]

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
# Names of in-flight writes; listings and downloads never show them.
TEMP_PREFIX = ".trackstone-tmp-"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)
# The data and the metadata needed to read it back; not the times, which fsync adds.
_flush_to_disk = getattr(os, "fdatasync", os.fsync)


def local_path_for_uri(uri: str | os.PathLike[str]) -> Path:
    """Turn a plain path or a ``file://`` URI into an absolute local path.

    Raises:
        InvalidParameter: the URI is empty, names another host, is not a file URI, or its
            path holds a NUL byte (which no file name can).
    """
    text = os.fspath(uri)
    if not text:
        raise InvalidParameter("artifact root: must not be empty")
    if not text.lower().startswith("file:"):
        _refuse_nul(text, text)
        return Path(os.path.abspath(os.path.expanduser(text)))
    parts = urlsplit(text)
    if parts.netloc not in ("", "localhost"):
        raise InvalidParameter(f"artifact root {text!r}: file URIs must name the local host")
    if parts.query or parts.fragment:
        raise InvalidParameter(f"artifact root {text!r}: percent-encode '?' and '#' in file URIs")
    path = unquote(parts.path)
    _refuse_nul(text, path)
    if not path.startswith("/"):
        raise InvalidParameter(f"artifact root {text!r}: file URIs must hold an absolute path")
    return Path(os.path.normpath(path))


def unreserved_path(artifact_path: str | None) -> str:
    """Return the normal form of an artifact path (``safe_relative_path``), refusing the
    reserved names of in-flight writes: naming one would read or clobber a half-written file.

    Raises:
        InvalidParameter: the path is unsafe or uses a reserved name.
    """
    relative = safe_relative_path(artifact_path)
    if TEMP_PREFIX in relative and any(
        segment.startswith(TEMP_PREFIX) for segment in relative.split("/")
    ):
        raise InvalidParameter(
            f"artifact path {relative!r}: names starting {TEMP_PREFIX!r} are reserved"
        )
    return relative


def _refuse_nul(text: str, path: str) -> None:
    if "\x00" in path:
        raise InvalidParameter(f"artifact root {text!r}: must not contain NUL bytes")


def _copy_stream(source: BinaryIO, target_fd: int, writeback: RangeWriteback | None = None) -> None:
    """Copy ``source`` into an open file descriptor chunk by chunk.

    With ``writeback``, the disk write of the data starts while the copy goes on.
    """
    while True:
        chunk = source.read(CHUNK_BYTES)
        if not chunk:
            return
        view = memoryview(chunk)
        while view:
            written = os.write(target_fd, view)
            view = view[written:]
        if writeback is not None:
            writeback.written(len(chunk))


def _mode(path: str, *, follow: bool) -> int:
    """Return the mode of what is at ``path`` (0 if nothing is), following a symlink or not."""
    try:
        return (os.stat if follow else os.lstat)(path).st_mode
    except FileNotFoundError:
        return 0


@contextmanager
def _translated(relative: str) -> Iterator[None]:
    """Turn file-system errors about ``relative`` into Trackstone errors a caller can act on."""
    try:
        yield
    except FileNotFoundError:
        raise NotFound(f"artifact {relative!r} does not exist") from None
    except (NotADirectoryError, FileExistsError):
        raise InvalidParameter(
            f"artifact path {relative!r}: a parent of it is a file, not a folder"
        ) from None
    except IsADirectoryError:
        raise InvalidParameter(f"artifact path {relative!r}: is a folder, not a file") from None
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENAMETOOLONG):
            raise InvalidParameter(f"artifact path {relative!r}: {error.strerror}") from None
        raise


class LocalArtifactRepository:
    """Artifacts stored as plain files under one local folder, created on first write.

    Args:
        root: a folder path or a ``file://`` URI. Relative paths are made absolute once.

    Example:
        >>> repo = LocalArtifactRepository("file:///tmp/run-1/artifacts")  # doctest: +SKIP
        >>> repo.log_artifact("model.pkl", "models")  # doctest: +SKIP
        >>> [f.path for f in repo.list_artifacts("models")]  # doctest: +SKIP
        ['models/model.pkl']
    """

    def __init__(self, root: str | Path) -> None:
        self._root = local_path_for_uri(root)

    @property
    def root(self) -> Path:
        """The absolute local folder this repository serves."""
        return self._root

    @property
    def root_uri(self) -> str:
        """The ``file://`` URI of the root folder."""
        return self._root.as_uri()

    def __repr__(self) -> str:
        return f"LocalArtifactRepository({str(self._root)!r})"

    # -- writing ---------------------------------------------------------------------------

    def log_artifact(self, local_file: str | Path, artifact_path: str | None = None) -> None:
        """Copy a local file into the folder ``artifact_path`` (the root when None)."""
        source, target = file_target(local_file, artifact_path)
        try:
            stream = source.open("rb")
        except FileNotFoundError:
            raise NotFound(f"local file {str(source)!r} does not exist") from None
        with stream:
            self.write_artifact(target, stream)

    def log_artifacts(self, local_dir: str | Path, artifact_path: str | None = None) -> None:
        """Copy a local folder tree into ``artifact_path``, keeping its structure.

        Symlinks in the local tree are followed (their content is copied); a symlinked folder
        already visited is skipped so that link cycles end.
        """
        for folder, _, files in walk_local_folder(local_dir, artifact_path):
            self._make_folder(folder)
            for file in files:
                self.log_artifact(file, folder)

    def write_artifact(self, artifact_path: str, stream: BinaryIO) -> None:
        """Write a file at ``artifact_path`` from a binary stream, replacing it atomically."""
        relative = unreserved_path(artifact_path)
        if not relative:
            raise InvalidParameter("artifact path '': must name a file, not the root")
        # Before any folder is made: a path too long to write would leave them behind.
        check_path_length(relative, os.path.join(self._root, *relative.split("/")))
        parent_relative, _, name = relative.rpartition("/")
        parent = self._make_folder(parent_relative)
        # Renaming onto the name itself replaces a symlink there instead of writing through it.
        target = os.path.join(parent, name)
        with _translated(relative):
            mode = _mode(target, follow=False)
            if stat.S_ISLNK(mode):
                confined_path(self._root, relative)  # refuses a link that leads outside
                mode = _mode(target, follow=True)
        if stat.S_ISDIR(mode):
            raise InvalidParameter(f"artifact path {relative!r}: is a folder, not a file")
        temp = os.path.join(parent, TEMP_PREFIX + secrets.token_hex(8))
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY
        with _translated(relative):
            fd = os.open(temp, flags, 0o666)
            try:
                try:
                    _copy_stream(stream, fd, RangeWriteback(fd))
                    _flush_to_disk(fd)
                finally:
                    os.close(fd)
                os.replace(temp, target)
            except BaseException:
                with suppress(FileNotFoundError):
                    os.remove(temp)
                raise

    def _make_folder(self, relative: str) -> str:
        """Create the folder ``relative`` (and the root) if needed; return its real path."""
        folder = confined_path(self._root, relative)
        if os.path.isdir(folder):
            return folder  # a real path already (no symlinks left in it)
        with _translated(relative):
            os.makedirs(folder, exist_ok=True)
        # A symlink could have appeared while creating; check where the folder really is.
        return confined_path(self._root, relative)

    # -- reading ---------------------------------------------------------------------------

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """List the direct children of a folder, sorted by path.

        Returns [] for a missing folder and for a path that names a file.
        """
        relative = unreserved_path(path)
        folder = confined_path(self._root, relative)
        if not os.path.isdir(folder):
            return []
        root_real = os.path.realpath(self._root)
        infos = []
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return []  # deleted since the check above
        for entry in entries:
            if entry.name.startswith(TEMP_PREFIX):
                continue
            info = self._file_info(root_real, entry, join_artifact_path(relative, entry.name))
            if info is not None:
                infos.append(info)
        return sorted(infos, key=lambda info: info.path)

    def _file_info(self, root_real: str, entry: os.DirEntry[str], relative: str) -> FileInfo | None:
        """Describe one folder entry, or None for a symlink leading out of the root."""
        if entry.is_symlink() and not is_inside(root_real, os.path.realpath(entry.path)):
            logger.warning("skipping artifact %r: a symlink leading out of the root", relative)
            return None
        try:
            if entry.is_dir():
                return FileInfo(path=relative, is_dir=True, file_size=None)
            return FileInfo(path=relative, is_dir=False, file_size=entry.stat().st_size)
        except FileNotFoundError:
            return None  # deleted while listing, or a dangling symlink

    def open_artifact(self, artifact_path: str) -> BinaryIO:
        """Open a file for streaming reads; the caller closes it.

        Raises:
            NotFound: nothing exists at ``artifact_path``.
            InvalidParameter: the path is unsafe or names a folder.
        """
        relative = unreserved_path(artifact_path)
        real = confined_path(self._root, relative)
        if os.path.isdir(real):
            raise InvalidParameter(f"artifact path {relative!r}: is a folder, not a file")
        with _translated(relative):
            # The real path has no symlinks left; O_NOFOLLOW refuses one planted since.
            # O_NONBLOCK keeps a planted FIFO from blocking the open; files ignore it.
            try:
                fd = os.open(real, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY)
            except NotADirectoryError:
                raise FileNotFoundError(real) from None  # a parent is a file: nothing here
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise InvalidParameter(f"artifact path {relative!r}: is not a regular file")
            if _NONBLOCK:
                os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return os.fdopen(fd, "rb")

    def download_artifacts(self, artifact_path: str, dst_path: str | Path) -> Path:
        """Copy a file or folder into the local folder ``dst_path``, keeping its relative path.

        Returns:
            The local path of the copy: ``dst_path / artifact_path`` (``dst_path`` for the root).

        Raises:
            NotFound: nothing exists at ``artifact_path``.
        """
        relative = unreserved_path(artifact_path)
        real = confined_path(self._root, relative)
        local = Path(os.path.abspath(dst_path)).joinpath(*relative.split("/") if relative else ())
        if os.path.isdir(real):
            self._download_folder(relative, local)
        elif os.path.lexists(real):
            local.parent.mkdir(parents=True, exist_ok=True)
            self._download_file(relative, local)
        else:
            raise NotFound(f"artifact {relative!r} does not exist")
        return local

    def _download_file(self, relative: str, local: Path) -> None:
        with self.open_artifact(relative) as source:
            fd = os.open(local, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _BINARY, 0o666)
            try:
                _copy_stream(source, fd)
            finally:
                os.close(fd)

    def _download_folder(self, relative: str, local: Path) -> None:
        local.mkdir(parents=True, exist_ok=True)
        root_real = os.path.realpath(self._root)
        folder = confined_path(self._root, relative)
        with _translated(relative):
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        for entry in entries:
            child = join_artifact_path(relative, entry.name)
            if entry.name.startswith(TEMP_PREFIX):
                continue
            if entry.is_symlink():
                if not is_inside(root_real, os.path.realpath(entry.path)):
                    logger.warning("not downloading %r: a symlink leading out of the root", child)
                    continue
                if entry.is_dir():
                    logger.warning("not downloading %r: a symlinked folder", child)
                    continue
            if entry.is_dir():
                self._download_folder(child, local / entry.name)
            else:
                self._download_file(child, local / entry.name)

    # -- deleting --------------------------------------------------------------------------

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Delete a file or folder (the whole root when None). Missing paths are fine.

        Symlinks inside a deleted folder are removed, never followed. A root that is the
        file-system root itself is never deleted (InvalidParameter).
        """
        relative = unreserved_path(artifact_path)
        real = confined_path(self._root, relative)
        if not relative and os.path.dirname(real) == real:
            raise InvalidParameter(f"artifact root {real!r}: refusing to delete a file-system root")
        with _translated(relative), suppress(FileNotFoundError, NotADirectoryError):
            if os.path.isdir(real):
                shutil.rmtree(real)
            else:
                os.remove(real)
