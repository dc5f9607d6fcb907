"""``S3ArtifactRepository``: artifacts as objects under one prefix of an S3-compatible bucket.

The root ``s3://bucket/prefix`` maps artifact path ``a/b.txt`` to key ``prefix/a/b.txt``.
Every path goes through ``paths.safe_relative_path`` first, so no key outside the prefix is
ever named. S3 has no folders: a folder is a key prefix that has objects below it, so empty
folders are not kept, and a file ``a`` and a folder ``a/`` may both exist when something else
wrote them (listings show both; downloads keep the first and skip the other with a warning).
Keys below the root that are not safe artifact paths (``a//b``, ``../x``) are skipped.

Transfers stream: uploads read at most one part at a time per thread and go up as one PUT
below ``multipart_threshold_bytes`` or as a multipart upload with parallel parts above it;
reads stream the response body; downloads write to disk through s3transfer (ranged, parallel
GETs for large objects). A failed multipart upload is aborted, so readers see the old object
or the new one, never a partial one.

botocore errors become Trackstone errors (``s3_errors``): missing keys are ``NotFound``,
refused credentials ``PermissionDenied``, throttling, 5xx and connection failures
``ServiceUnavailable``.
"""

from __future__ import annotations

import io
import logging
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from trackstone.artifacts.base import FileInfo
from trackstone.artifacts.local_files import file_target, join_artifact_path, walk_local_folder
from trackstone.artifacts.paths import safe_relative_path
from trackstone.artifacts.s3_errors import error_for_code, translated
from trackstone.artifacts.s3_streams import FullReads, KnownObject, ObjectBody
from trackstone.errors import InternalError, InvalidParameter, NotFound

__all__ = ["S3ArtifactRepository", "parse_s3_uri", "part_bytes_for"]

logger = logging.getLogger(__name__)

MiB = 1024 * 1024
CHUNK_BYTES = MiB
# S3 limits: at most 10,000 parts, each at least 5 MiB (but the last) and at most 5 GiB.
_MAX_PARTS = 10_000
_MAX_PART_BYTES = 5 * 1024 * MiB
# Part size for files of known size: about 100 parts, kept between the two bounds below.
_TARGET_PARTS = 100
_LARGE_PART_BYTES = 64 * MiB
# One DeleteObjects request takes at most this many keys (and a listing page holds as many).
_MAX_DELETE_KEYS = 1000


def part_bytes_for(size_bytes: int, min_part_bytes: int = 8 * MiB) -> int:
    """Pick the part size of a file upload: about 100 parts of 8-64 MiB (whole MiB), larger
    only when S3's 10,000-part limit needs it.

    Example:
        >>> part_bytes_for(2 * 1024**3) // MiB
        21
    """
    part = min(_LARGE_PART_BYTES, max(min_part_bytes, math.ceil(size_bytes / _TARGET_PARTS)))
    part = math.ceil(part / MiB) * MiB
    while part * _MAX_PARTS < size_bytes and part < _MAX_PART_BYTES:
        part *= 2
    return min(part, _MAX_PART_BYTES)


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/prefix`` into the bucket and the normalised prefix (``""`` if none).

    Raises:
        InvalidParameter: not an ``s3://`` URI, no bucket, a query or fragment, or an unsafe
            prefix.
    """
    parts = urlsplit(uri)
    if parts.scheme.lower() != "s3":
        raise InvalidParameter(f"artifact root {uri!r}: must be an s3:// URI")
    if not parts.netloc:
        raise InvalidParameter(f"artifact root {uri!r}: must name a bucket (s3://bucket/prefix)")
    if parts.query or parts.fragment:
        raise InvalidParameter(f"artifact root {uri!r}: must not contain '?' or '#'")
    try:
        prefix = safe_relative_path(parts.path.lstrip("/"))
    except InvalidParameter as error:
        raise InvalidParameter(f"artifact root {uri!r}: {error.message}") from None
    return parts.netloc, prefix


def _make_client(endpoint_url: str | None, max_threads: int) -> Any:
    """Build an S3 client; credentials and region come from boto3's usual chain."""
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    options: dict[str, Any] = {
        "retries": {"mode": "standard", "max_attempts": 5},
        "max_pool_connections": max(10, 2 * max_threads),
    }
    if endpoint_url:
        # S3-compatible servers (MinIO, Ceph, moto) rarely serve bucket subdomains.
        options["s3"] = {"addressing_style": "path"}
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url or None, config=Config(**options)
    )


def _is_safe_name(path: str) -> bool:
    """Tell whether a path found in the bucket is a normal, safe artifact path."""
    try:
        return bool(path) and safe_relative_path(path) == path
    except InvalidParameter:
        return False


class S3ArtifactRepository:
    """Artifacts stored as objects under ``s3://bucket/prefix``.

    Args:
        root_uri: ``s3://bucket`` or ``s3://bucket/prefix``.
        endpoint_url: an S3-compatible endpoint (MinIO, moto...); None for AWS. Ignored when
            ``client`` is given.
        client: a ready boto3 S3 client; by default one is built with boto3's credential chain.
        multipart_threshold_bytes: uploads at least this large go up as multipart uploads.
        part_bytes: the part size of streamed uploads (files use 8-64 MiB parts by size).
        max_threads: parallel requests per transfer (parts of one file, or several files).
        page_size: keys per listing page and per batched delete (at most 1000).

    Example:
        >>> repo = S3ArtifactRepository("s3://ml/runs/1", endpoint_url="http://minio:9000")
        ... # doctest: +SKIP
        >>> repo.log_artifact("model.pkl", "models")  # doctest: +SKIP
        >>> [f.path for f in repo.list_artifacts("models")]  # doctest: +SKIP
        ['models/model.pkl']
    """

    def __init__(
        self,
        root_uri: str,
        endpoint_url: str | None = None,
        client: Any = None,
        *,
        multipart_threshold_bytes: int = 8 * MiB,
        part_bytes: int = 8 * MiB,
        max_threads: int = 4,
        page_size: int = 1000,
    ) -> None:
        self._bucket, self._prefix = parse_s3_uri(root_uri)
        if not 5 * MiB <= part_bytes <= _MAX_PART_BYTES:
            raise InvalidParameter(f"part_bytes: must be between 5 MiB and 5 GiB, got {part_bytes}")
        if not 1 <= page_size <= _MAX_DELETE_KEYS:
            raise InvalidParameter(
                f"page_size: must be between 1 and {_MAX_DELETE_KEYS}, got {page_size}"
            )
        if max_threads < 1:
            raise InvalidParameter(f"max_threads: must be at least 1, got {max_threads}")
        self._threshold_bytes = max(1, multipart_threshold_bytes)
        self._part_bytes = part_bytes
        self._max_threads = max_threads
        self._page_size = page_size
        self._client = client if client is not None else _make_client(endpoint_url, max_threads)

    @property
    def root_uri(self) -> str:
        """The ``s3://bucket/prefix`` URI of the root."""
        return f"s3://{self._bucket}/{self._prefix}" if self._prefix else f"s3://{self._bucket}"

    @property
    def bucket(self) -> str:
        """The bucket holding the artifacts."""
        return self._bucket

    @property
    def client(self) -> Any:
        """The boto3 S3 client this repository uses."""
        return self._client

    def __repr__(self) -> str:
        return f"S3ArtifactRepository({self.root_uri!r})"

    # -- keys ------------------------------------------------------------------------------

    def _key(self, relative: str) -> str:
        """Return the object key of a non-empty artifact path."""
        return f"{self._prefix}/{relative}" if self._prefix else relative

    def _folder_prefix(self, relative: str) -> str:
        """Return the key prefix of everything inside a folder (``""``: the whole bucket)."""
        if not relative:
            return f"{self._prefix}/" if self._prefix else ""
        return self._key(relative) + "/"

    def _transfers(self, part_bytes: int | None = None) -> Any:
        """Open an s3transfer manager (a context manager) sized for this repository."""
        from boto3.s3.transfer import (  # type: ignore[import-untyped]
            TransferConfig,
            create_transfer_manager,
        )

        config = TransferConfig(
            multipart_threshold=self._threshold_bytes,
            multipart_chunksize=part_bytes or self._part_bytes,
            max_concurrency=self._max_threads,
            preferred_transfer_client="classic",
        )
        # Bound the memory of streamed uploads and of downloads waiting for the disk.
        config.max_in_memory_upload_chunks = self._max_threads
        config.max_in_memory_download_chunks = 64
        return create_transfer_manager(self._client, config)

    # -- writing ---------------------------------------------------------------------------

    def log_artifact(self, local_file: str | Path, artifact_path: str | None = None) -> None:
        """Upload a local file into the folder ``artifact_path`` (the root when None)."""
        self._upload_files([file_target(local_file, artifact_path)])

    def log_artifacts(self, local_dir: str | Path, artifact_path: str | None = None) -> None:
        """Upload a local folder tree into ``artifact_path``, several files at a time.

        Symlinks in the local tree are followed; a symlinked folder already visited is skipped
        so that link cycles end. Empty folders are not kept (S3 has no folders).
        """
        uploads = [
            (file, join_artifact_path(folder, file.name))
            for folder, _, files in walk_local_folder(local_dir, artifact_path)
            for file in files
        ]
        self._upload_files(uploads)

    def _upload_files(self, uploads: list[tuple[Path, str]]) -> None:
        """Upload local files to artifact paths in parallel; wait for all of them."""
        if not uploads:
            return
        try:
            largest = max(os.path.getsize(local) for local, _ in uploads)
        except FileNotFoundError as error:
            raise NotFound(f"local file {error.filename!r} does not exist") from None
        futures = []
        with self._transfers(part_bytes_for(largest, self._part_bytes)) as manager:
            for local, relative in uploads:
                future = manager.upload(str(local), self._bucket, self._key(relative))
                futures.append((relative, future))
            for relative, future in futures:
                with translated(f"artifact {relative!r}"):
                    future.result()

    def write_artifact(self, artifact_path: str, stream: BinaryIO) -> None:
        """Write an object at ``artifact_path`` from a binary stream, one part at a time.

        The object appears whole when the upload completes; a failed upload leaves the
        previous object (if any) in place.
        """
        relative = safe_relative_path(artifact_path)
        if not relative:
            raise InvalidParameter("artifact path '': must name a file, not the root")
        with self._transfers() as manager, translated(f"artifact {relative!r}"):
            manager.upload(FullReads(stream), self._bucket, self._key(relative)).result()

    # -- reading ---------------------------------------------------------------------------

    def _pages(self, prefix: str, *, folders: bool) -> Iterator[dict[str, Any]]:
        """Yield listing pages of keys under ``prefix`` (split at ``/`` when ``folders``)."""
        arguments: dict[str, Any] = {
            "Bucket": self._bucket,
            "Prefix": prefix,
            "PaginationConfig": {"PageSize": self._page_size},
        }
        if folders:
            arguments["Delimiter"] = "/"
        paginator = self._client.get_paginator("list_objects_v2")
        with translated(f"artifact folder {prefix!r}"):
            yield from paginator.paginate(**arguments)

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """List the direct children of a folder, sorted by path.

        Returns [] for a missing folder and for a path that names a file.
        """
        relative = safe_relative_path(path)
        folder = self._folder_prefix(relative)
        infos = []
        for page in self._pages(folder, folders=True):
            for entry in page.get("CommonPrefixes", ()):
                name = entry["Prefix"][len(folder) : -1]
                child = f"{relative}/{name}" if relative else name
                if _is_safe_name(child):
                    infos.append(FileInfo(path=child, is_dir=True, file_size=None))
            for entry in page.get("Contents", ()):
                name = entry["Key"][len(folder) :]
                child = f"{relative}/{name}" if relative else name
                if _is_safe_name(child):  # also skips the folder's own marker object
                    infos.append(FileInfo(path=child, is_dir=False, file_size=entry["Size"]))
        return sorted(infos, key=lambda info: (info.path, info.is_dir))

    def _has_children(self, relative: str) -> bool:
        """Tell whether any object lies below the folder ``relative``."""
        with translated(f"artifact folder {relative!r}"):
            response = self._client.list_objects_v2(
                Bucket=self._bucket, Prefix=self._folder_prefix(relative), MaxKeys=1
            )
        return bool(response.get("KeyCount") or response.get("Contents"))

    def open_artifact(self, artifact_path: str) -> BinaryIO:
        """Open an object for streaming reads; the caller closes it.

        Raises:
            NotFound: no object exists at ``artifact_path``.
            InvalidParameter: the path is unsafe or names a folder.
        """
        relative = safe_relative_path(artifact_path)
        if not relative:
            raise InvalidParameter("artifact path '': is a folder, not a file")
        subject = f"artifact {relative!r}"
        try:
            with translated(subject):
                response = self._client.get_object(Bucket=self._bucket, Key=self._key(relative))
        except NotFound:
            if self._has_children(relative):
                raise InvalidParameter(
                    f"artifact path {relative!r}: is a folder, not a file"
                ) from None
            raise
        return io.BufferedReader(ObjectBody(response["Body"], subject), CHUNK_BYTES)

    def _object_head(self, relative: str) -> KnownObject | None:
        """Describe the object at ``relative`` for a download, or return None if there is none."""
        try:
            with translated(f"artifact {relative!r}"):
                response = self._client.head_object(Bucket=self._bucket, Key=self._key(relative))
        except NotFound:
            return None
        return KnownObject(int(response["ContentLength"]), response.get("ETag"))

    def download_artifacts(self, artifact_path: str, dst_path: str | Path) -> Path:
        """Download an object or a folder into the local folder ``dst_path``.

        Returns:
            The local path of the copy: ``dst_path / artifact_path`` (``dst_path`` for the root).

        Raises:
            NotFound: no object and no folder exists at ``artifact_path`` (the root always
                exists; an empty root gives an empty folder).
        """
        relative = safe_relative_path(artifact_path)
        local = Path(os.path.abspath(dst_path)).joinpath(*relative.split("/") if relative else ())
        head = self._object_head(relative) if relative else None
        if head is not None:
            local.parent.mkdir(parents=True, exist_ok=True)
            with self._transfers() as manager, translated(f"artifact {relative!r}"):
                key = self._key(relative)
                manager.download(self._bucket, key, str(local), subscribers=[head]).result()
            return local
        if not self._download_folder(relative, local) and relative:
            raise NotFound(f"artifact {relative!r} does not exist")
        return local

    def _download_folder(self, relative: str, local: Path) -> bool:
        """Download every object below the folder ``relative``; tell whether there was any."""
        folder = self._folder_prefix(relative)
        files: set[Path] = set()
        folders: set[Path] = {local}
        futures = []
        found = False
        if not relative:
            local.mkdir(parents=True, exist_ok=True)
        with self._transfers() as manager:
            for page in self._pages(folder, folders=False):
                for entry in page.get("Contents", ()):
                    found = True
                    inner = entry["Key"][len(folder) :]
                    target = self._download_target(relative, inner, local, files, folders)
                    if target is not None:
                        target.parent.mkdir(parents=True, exist_ok=True)
                        future = manager.download(
                            self._bucket,
                            entry["Key"],
                            str(target),
                            subscribers=[KnownObject(entry["Size"], entry.get("ETag"))],
                        )
                        futures.append((join_artifact_path(relative, inner), future))
            for child, future in futures:
                with translated(f"artifact {child!r}"):
                    future.result()
        return found

    @staticmethod
    def _download_target(
        relative: str, inner: str, local: Path, files: set[Path], folders: set[Path]
    ) -> Path | None:
        """Return where the object ``inner`` (below the folder) goes, or None to skip it."""
        if inner.endswith("/") or not inner:
            return None  # a folder marker object
        child = f"{relative}/{inner}" if relative else inner
        if not _is_safe_name(child):
            logger.warning("not downloading object %r: not a safe artifact path", child)
            return None
        segments = inner.split("/")
        target = local.joinpath(*segments)
        parents = [local.joinpath(*segments[:end]) for end in range(1, len(segments))]
        if target in folders or any(parent in files for parent in parents):
            logger.warning("not downloading %r: a file and a folder share its name", child)
            return None
        files.add(target)
        folders.update(parents)
        return target

    # -- deleting --------------------------------------------------------------------------

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Delete an object or a folder (everything under the root when None).

        Missing paths are fine. Keys are deleted in batches of ``page_size``.
        """
        relative = safe_relative_path(artifact_path)
        if relative:
            self._delete_keys([self._key(relative)], relative)
        folder = self._folder_prefix(relative)
        previous: list[str] = []
        while True:
            # Always list from the start: what the last round deleted is gone.
            with translated(f"artifact folder {relative!r}"):
                response = self._client.list_objects_v2(
                    Bucket=self._bucket, Prefix=folder, MaxKeys=self._page_size
                )
            keys = [entry["Key"] for entry in response.get("Contents", ())]
            if not keys:
                return
            if keys == previous:
                raise InternalError(f"artifact {relative!r}: the object store kept deleted keys")
            self._delete_keys(keys, relative)
            previous = keys

    def _delete_keys(self, keys: list[str], relative: str) -> None:
        """Delete up to 1000 keys in one request; raise on any key S3 could not delete."""
        subject = f"artifact {relative!r}"
        with translated(subject):
            response = self._client.delete_objects(
                Bucket=self._bucket,
                Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True},
            )
        errors = response.get("Errors") or []
        if errors:
            first = errors[0]
            code = str(first.get("Code") or "Unknown")
            raise error_for_code(code, 0, str(first.get("Message") or code), subject)
