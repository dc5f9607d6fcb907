"""Trackstone's folder transfers: a whole folder of the artifacts destination as one tar stream.

Routes (under ``/api/2.0`` and ``/ajax-api/2.0``; MLflow's client never calls them and keeps
using the per-file ``mlflow-artifacts`` routes):

- ``PUT /trackstone-artifacts/tar/<folder>``: the body is an uncompressed tar archive
  (``application/x-tar``, usually chunked); every member is written below ``<folder>``.
  All or nothing: on a local destination every file is staged in one hidden folder of the
  destination, all of them are flushed to disk (``fdatasync``, after the last one is written:
  cheaper than one flush per file), and only once the whole archive has parsed are they
  renamed into place. A refused member (see ``trackstone.artifacts.tar_stream``: only regular
  files and folders with safe names), a malformed or truncated archive, a target that is a
  folder or escapes through a symlink: 400 ``INVALID_PARAMETER_VALUE`` naming the member, and
  nothing is written. A client that goes away mid-body leaves nothing either. The body limit
  is ``max_artifact_bytes`` (413 beyond). Other destinations (S3) get every file only after
  the whole archive has parsed (files are spooled to temporary files first), then one upload
  per file: a failure during those uploads can leave the earlier files written.
- ``GET /trackstone-artifacts/tar/<folder>``: the folder's regular files (names relative to
  it; a local destination's symlinks leading out of it and symlinked folders are left out, as
  in downloads) as a chunked tar attachment, produced block by block in a worker thread.
  404 ``RESOURCE_DOES_NOT_EXIST`` when the folder does not exist; 400 when it is a file.

Like the proxy, every route answers 503 with ``--no-serve-artifacts``.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import stat
import tempfile
from functools import partial
from typing import BinaryIO, Protocol

import anyio.to_thread
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from trackstone.api.artifacts import BATCH_TAR_PATH
from trackstone.api.messages import EmptyResponse
from trackstone.api.routes import AJAX_API_PREFIX, API_PREFIX
from trackstone.artifacts.base import ArtifactRepository
from trackstone.artifacts.local import TEMP_PREFIX, LocalArtifactRepository, unreserved_path
from trackstone.artifacts.local_files import join_normal_paths
from trackstone.artifacts.paths import (
    check_path_length,
    confined_path,
    is_inside,
)
from trackstone.artifacts.tar_stream import (
    TAR_MEDIA_TYPE,
    TarEntry,
    tar_blocks,
    tar_members,
)
from trackstone.errors import InvalidParameter, NotFound
from trackstone.server.artifact_proxy import AsgiEndpoint, attachment_disposition, destination_of
from trackstone.server.artifact_streams import (
    DOWNLOAD_BLOCK_BYTES,
    BlocksResponse,
    consume_body,
)
from trackstone.server.bodies import respond

__all__ = ["artifact_batch_routes", "extract_tar", "folder_entries"]

logger = logging.getLogger(__name__)

COPY_BYTES = 1024 * 1024
# Spooled members of a non-local destination stay in memory up to this size.
_SPOOL_BYTES = 1024 * 1024
# Staged files kept open until flushed, at most (then the older half is flushed early).
_OPEN_FILES = 256
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_flush_to_disk = getattr(os, "fdatasync", os.fsync)


# -- upload: staging -------------------------------------------------------------------------


class _LocalStaging:
    """Files of one archive staged in a hidden folder of a local destination, then renamed."""

    def __init__(self, repo: LocalArtifactRepository) -> None:
        self._root = str(repo.root)
        self._folder: str | None = None
        self._files: list[tuple[str, str]] = []  # (relative, staged path)
        self._unflushed: list[int] = []  # descriptors of staged files written, not yet flushed
        self._folders: list[str] = []

    def _staging_folder(self) -> str:
        if self._folder is None:
            os.makedirs(self._root, exist_ok=True)
            folder = os.path.join(os.path.realpath(self._root), TEMP_PREFIX + secrets.token_hex(8))
            os.mkdir(folder, 0o700)
            self._folder = folder
        return self._folder

    @property
    def file_count(self) -> int:
        return len(self._files)

    def add_folder(self, relative: str) -> None:
        self._folders.append(relative)

    def add_file(self, relative: str, data: _Readable) -> None:
        staged = os.path.join(self._staging_folder(), str(len(self._files)))
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o666)
        self._files.append((relative, staged))
        self._unflushed.append(fd)
        while chunk := data.read(COPY_BYTES):
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
        if len(self._unflushed) > _OPEN_FILES:
            self._flush(len(self._unflushed) // 2)

    def _flush(self, count: int | None = None) -> None:
        """Flush (and close) the ``count`` oldest unflushed files; all of them by default."""
        count = len(self._unflushed) if count is None else count
        flushing, self._unflushed = self._unflushed[:count], self._unflushed[count:]
        try:
            for fd in flushing:
                _flush_to_disk(fd)
        finally:
            for fd in flushing:
                os.close(fd)

    def commit(self) -> None:
        """Flush every staged file, check every target, then rename them into place."""
        self._flush()
        real_parents: dict[str, str] = {}
        targets = []
        for relative, staged in self._files:
            parent, _, name = relative.rpartition("/")
            if parent not in real_parents:
                real_parents[parent] = self._checked_parent(relative, parent)
            self._check_target(relative, os.path.join(real_parents[parent], name))
            targets.append((parent, name, staged))
        for relative in self._folders:
            self._make_folder(relative)
        made: dict[str, str] = {}
        for parent, name, staged in targets:
            if parent not in made:
                made[parent] = self._make_folder(parent)
            os.replace(staged, os.path.join(made[parent], name))

    def _checked_parent(self, relative: str, parent: str) -> str:
        """Return the real path of the folder ``parent`` of ``relative``, checking that what
        exists of it is a folder inside the root."""
        try:
            real = confined_path(self._root, parent)
        except InvalidParameter:
            raise InvalidParameter(
                f"artifact path {relative!r}: resolves outside the artifact root through a symlink"
            ) from None
        existing = real
        while not os.path.lexists(existing):
            existing = os.path.dirname(existing)
        if not os.path.isdir(existing):
            raise InvalidParameter(
                f"artifact path {relative!r}: a parent of it is a file, not a folder"
            )
        return real

    def _check_target(self, relative: str, target: str) -> None:
        """Refuse a target that is too long, a folder or a symlink leading out of the root."""
        check_path_length(relative, target)
        try:
            mode = os.lstat(target).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return
        # Renaming replaces a link itself, but a link leading out is refused anyway.
        if stat.S_ISLNK(mode) and os.path.isdir(confined_path(self._root, relative)):
            mode = stat.S_IFDIR
        if stat.S_ISDIR(mode):
            raise InvalidParameter(f"artifact path {relative!r}: is a folder, not a file")

    def _make_folder(self, relative: str) -> str:
        folder = confined_path(self._root, relative)
        if not os.path.isdir(folder):
            try:
                os.makedirs(folder, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                raise InvalidParameter(
                    f"artifact path {relative!r}: it or a parent of it is a file, not a folder"
                ) from None
            folder = confined_path(self._root, relative)
        return folder

    def discard(self) -> None:
        for fd in self._unflushed:
            os.close(fd)
        self._unflushed = []
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


class _SpooledStaging:
    """Files of one archive spooled to temporary files, then written through the repository."""

    def __init__(self, repo: ArtifactRepository) -> None:
        self._repo = repo
        self._files: list[tuple[str, BinaryIO]] = []

    @property
    def file_count(self) -> int:
        return len(self._files)

    def add_folder(self, relative: str) -> None:
        """Object stores have no empty folders: nothing to do."""

    def add_file(self, relative: str, data: _Readable) -> None:
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
        self._files.append((relative, spool))  # type: ignore[arg-type]
        while chunk := data.read(COPY_BYTES):
            spool.write(chunk)

    def commit(self) -> None:
        for relative, spool in self._files:
            spool.seek(0)
            self._repo.write_artifact(relative, spool)

    def discard(self) -> None:
        for _, spool in self._files:
            spool.close()


class _Readable(Protocol):
    """What staging reads a member's data from."""

    def read(self, size: int = -1, /) -> bytes: ...


def extract_tar(repo: ArtifactRepository, folder: str, stream: BinaryIO) -> int:
    """Write every member of the tar archive read from ``stream`` below ``folder``, all or
    nothing; return the number of files written.

    Raises:
        InvalidParameter: a member is refused, the archive is malformed, or a target cannot
            take it; nothing was written.
    """
    staging: _LocalStaging | _SpooledStaging
    if isinstance(repo, LocalArtifactRepository):
        staging = _LocalStaging(repo)
    else:
        staging = _SpooledStaging(repo)
    try:
        for relative, is_dir, data in tar_members(stream):
            target = join_normal_paths(folder, relative)
            if is_dir or data is None:
                staging.add_folder(target)
            else:
                staging.add_file(target, data)
        staging.commit()
    finally:
        staging.discard()
    return staging.file_count


# -- download --------------------------------------------------------------------------------


def _local_entries(repo: LocalArtifactRepository, folder: str) -> list[TarEntry]:
    """Return the tar entries of the regular files below ``folder`` of a local repository."""
    real = confined_path(repo.root, folder)
    if not os.path.isdir(real):
        if os.path.lexists(real):
            raise InvalidParameter(f"artifact path {folder!r}: is a file, not a folder")
        raise NotFound(f"artifact folder {folder!r} does not exist")
    root_real = os.path.realpath(repo.root)
    found: list[TarEntry] = []
    pending = [("", real)]
    while pending:
        name_prefix, path = pending.pop()
        try:
            entries = sorted(os.scandir(path), key=lambda entry: entry.name)
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.name.startswith(TEMP_PREFIX):
                continue
            name = f"{name_prefix}{entry.name}"
            if entry.is_symlink() and (
                entry.is_dir() or not is_inside(root_real, os.path.realpath(entry.path))
            ):
                logger.warning("tar of %r: leaving out the symlink %r", folder, name)
                continue
            if entry.is_dir(follow_symlinks=False):
                pending.append((name + "/", entry.path))
            elif entry.is_file():
                # A plain file found by the walk (no symlink on the way) is opened by its real
                # path; a symlink inside the root goes through the repository's checks.
                opener = (
                    partial(_open_file, repo, f"{folder}/{name}" if folder else name)
                    if entry.is_symlink()
                    else partial(_open_walked, entry.path)
                )
                found.append((name, opener))
    return sorted(found, key=lambda entry: entry[0])


def _listed_entries(repo: ArtifactRepository, folder: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    pending = [folder]
    while pending:
        for info in repo.list_artifacts(pending.pop()):
            if info.is_dir:
                pending.append(info.path)
            else:
                found.append((info.path[len(folder) :].lstrip("/"), info.path))
    if not found and not repo.list_artifacts(folder):
        raise NotFound(f"artifact folder {folder!r} does not exist")
    return sorted(found)


def folder_entries(repo: ArtifactRepository, folder: str) -> list[TarEntry]:
    """Return the tar entries of the regular files below ``folder`` of ``repo``.

    Raises:
        NotFound: the folder does not exist.
        InvalidParameter: it is a file.
    """
    if isinstance(repo, LocalArtifactRepository):
        return _local_entries(repo, folder)
    files = _listed_entries(repo, folder)
    return [(name, partial(_open_file, repo, path)) for name, path in files]


def _open_walked(real: str) -> tuple[BinaryIO, int] | None:
    """Open a regular file found by a walk of the root; None if it is gone or is no longer
    a regular file (``O_NOFOLLOW``: a symlink planted since is not followed)."""
    try:
        fd = os.open(real, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY)
    except OSError:
        logger.info("tar: a file went away (or became a link) before it was sent")
        return None
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        return None
    if _NONBLOCK:
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb"), status.st_size


def _open_file(repo: ArtifactRepository, path: str) -> tuple[BinaryIO, int] | None:
    """Open a file to archive; None if it went away since the folder was walked."""
    try:
        stream = repo.open_artifact(path)
    except NotFound:
        logger.info("tar: %r went away before it was sent", path)
        return None
    try:
        size = os.fstat(stream.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        # No descriptor (an object store's body): its length is what it reads to.
        spool = tempfile.TemporaryFile()  # noqa: SIM115
        with stream:
            shutil.copyfileobj(stream, spool, COPY_BYTES)
        size = spool.tell()
        spool.seek(0)
        return spool, size  # type: ignore[return-value]
    if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
        stream.close()
        return None
    return stream, size


# -- endpoints -------------------------------------------------------------------------------


async def _upload(scope: Scope, receive: Receive, folder: str) -> Response:
    repo = await destination_of(scope["app"].state)
    try:
        await consume_body(receive, partial(extract_tar, repo, folder))
    except ClientDisconnect:
        logger.info("tar upload into %r interrupted: the client disconnected", folder)
        raise InvalidParameter(
            f"tar upload into {folder!r}: the client disconnected before the body ended"
        ) from None
    return respond(EmptyResponse())


async def _download(scope: Scope, receive: Receive, folder: str) -> Response:
    repo = await destination_of(scope["app"].state)
    entries = await anyio.to_thread.run_sync(folder_entries, repo, folder)
    name = (folder.rpartition("/")[2] or "artifacts") + ".tar"
    headers = {
        "Content-Disposition": attachment_disposition(name),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    blocks = tar_blocks(entries, DOWNLOAD_BLOCK_BYTES)
    return BlocksResponse(
        partial(next, blocks, b""), blocks.close, TAR_MEDIA_TYPE, headers, close_in_thread=True
    )


async def folder_tar(scope: Scope, receive: Receive, send: Send) -> None:
    """Download (GET) or upload (PUT) a folder of the destination as a tar stream."""
    folder = unreserved_path(str(scope.get("path_params", {}).get("artifact_path", "")))
    endpoint = _upload if scope["method"] == "PUT" else _download
    response = await endpoint(scope, receive, folder)
    await response(scope, receive, send)


def artifact_batch_routes() -> list[BaseRoute]:
    """Return the folder-transfer routes under both API prefixes."""
    routes: list[BaseRoute] = []
    for prefix in (API_PREFIX, AJAX_API_PREFIX):
        base = prefix + BATCH_TAR_PATH
        app = AsgiEndpoint(folder_tar)
        routes.append(Route(base, app, methods=["GET", "PUT"]))
        routes.append(Route(base + "/{artifact_path:path}", app, methods=["GET", "PUT"]))
    return routes
