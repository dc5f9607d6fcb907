"""The ``mlflow-artifacts`` proxy: stream artifacts between clients and the artifacts destination.

Routes (under ``/api/2.0`` and ``/ajax-api/2.0``), as MLflow's ``mlflow_artifacts.proto``:

- ``GET    /mlflow-artifacts/artifacts?path=``   list a folder: ``{"files": [{path, is_dir,
  file_size}]}`` with names relative to the folder;
- ``GET    /mlflow-artifacts/artifacts/<path>``  download, streamed, always as an attachment;
- ``PUT    /mlflow-artifacts/artifacts/<path>``  upload the raw body, streamed to the
  destination (memory stays bounded whatever the size; the security middleware applies
  ``max_artifact_bytes`` here instead of ``max_request_bytes``);
- ``DELETE /mlflow-artifacts/artifacts/<path>``  delete a file or folder (never the whole root);
- ``POST   /mlflow-artifacts/mpu/{create,complete,abort}/<folder>``  multipart uploads with
  presigned part URLs on an S3 destination; other destinations answer 501 ``NOT_IMPLEMENTED``
  with MLflow's message, on which MLflow's client falls back to a plain PUT.

Every path goes through ``safe_relative_path`` and the repository's own confinement. With
``--no-serve-artifacts`` every route answers 503, as ``mlflow server`` does.

The file route is a plain ASGI app (``proxied_artifact``), so a small file costs little more
than its own reading or writing; how bytes move is ``trackstone.server.artifact_streams``.
Small local files are opened and read on the event loop (``LOOP_READ_BYTES``); everything that
can wait on a disk or a network runs in a worker thread.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import posixpath
import re
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO
from urllib.parse import quote

import anyio.to_thread
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from trackstone.api.artifacts import (
    BATCH_TAR_PATH,
    PROXY_ARTIFACTS_PATH,
    PROXY_MPU_PATH,
    AbortMultipartUpload,
    CompleteMultipartUpload,
    CreateMultipartUpload,
    CreateMultipartUploadResponse,
    ListProxiedArtifacts,
    ListProxiedArtifactsResponse,
    MultipartUploadCredential,
    WireFileInfo,
)
from trackstone.api.messages import EmptyResponse
from trackstone.api.routes import AJAX_API_PREFIX, API_PREFIX
from trackstone.artifacts.base import ArtifactRepository
from trackstone.artifacts.local import LocalArtifactRepository
from trackstone.artifacts.paths import safe_relative_path
from trackstone.errors import InvalidParameter, TrackstoneError
from trackstone.server.artifact_roots import ArtifactRoots, roots_of
from trackstone.server.artifact_streams import FileResponse, write_body
from trackstone.server.bodies import parse, respond

__all__ = [
    "LOOP_READ_BYTES",
    "MULTIPART_UNSUPPORTED_MESSAGE",
    "WHOLE_READ_BYTES",
    "AsgiEndpoint",
    "MultipartUnsupported",
    "artifact_proxy_routes",
    "artifact_upload_prefixes",
    "attachment_disposition",
    "destination_of",
    "download_response",
]

logger = logging.getLogger(__name__)

# Local files up to this size are opened and read on the event loop: from the page cache that
# takes less than the hand-off to a worker thread and back would.
LOOP_READ_BYTES = 256 * 1024
# Files up to this size are read whole (one worker-thread call) and sent as one message.
WHOLE_READ_BYTES = 1024 * 1024
# MLflow's client recognises this message (as a prefix) and falls back to a plain upload.
MULTIPART_UNSUPPORTED_MESSAGE = (
    "Multipart upload is not supported for the current artifact repository"
)
# Served with their own type; everything else goes out as application/octet-stream, so that
# no HTML, SVG, script or XML artifact is ever rendered by a browser on the server's origin.
_PASSIVE_TYPES = frozenset(
    {
        "text/plain",
        "text/csv",
        "application/json",
        "application/octet-stream",
        "application/pdf",
        "application/zip",
        "application/gzip",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/bmp",
    }
)
_DOWNLOAD_CSP = "default-src 'none'; sandbox"
_UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9._ -]")
_PATH_SEPARATORS = re.compile(r"[\\/]")


class MultipartUnsupported(TrackstoneError):
    """The artifacts destination cannot take client-driven multipart uploads."""

    code = "NOT_IMPLEMENTED"
    http_status = 501


def artifact_upload_prefixes() -> tuple[str, ...]:
    """Return the path prefixes of upload routes (PUT), whose bodies may be large: the proxy's
    files and Trackstone's folder tars (``trackstone.server.artifact_batches``)."""
    return tuple(
        prefix + path
        for prefix in (API_PREFIX, AJAX_API_PREFIX)
        for path in (PROXY_ARTIFACTS_PATH + "/", BATCH_TAR_PATH)
    )


# -- helpers ---------------------------------------------------------------------------------


# The destination never changes once built (settings are fixed): later requests skip the
# worker-thread hop that building it (a boto3 client, for S3) needs.
_DESTINATIONS: weakref.WeakKeyDictionary[ArtifactRoots, ArtifactRepository] = (
    weakref.WeakKeyDictionary()
)


async def destination_of(app_state: Any) -> ArtifactRepository:
    """Return the repository of the artifacts destination (503 with --no-serve-artifacts)."""
    roots = roots_of(app_state)
    repo = _DESTINATIONS.get(roots)
    if repo is None:
        repo = _DESTINATIONS[roots] = await anyio.to_thread.run_sync(roots.destination)
    return repo


async def _destination(request: Request) -> ArtifactRepository:
    return await destination_of(request.app.state)


def _path_param(request: Request) -> str:
    """Return the artifact path of the URL, normalised and checked (``""`` for the root)."""
    return safe_relative_path(str(request.path_params.get("artifact_path", "")))


def _declared_size(scope: Scope) -> int | None:
    """Return the body's ``Content-Length`` (checked against the limit by the middleware).

    None for a chunked body (no length): it is streamed.
    """
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _served_type(name: str) -> str:
    guessed = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
    return guessed if guessed in _PASSIVE_TYPES else "application/octet-stream"


def attachment_disposition(name: str) -> str:
    """Return the ``Content-Disposition`` of an attachment named ``name`` (quoted safely)."""
    fallback = _UNSAFE_FILENAME_CHARS.sub("_", name) or "artifact"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _size_of(stream: BinaryIO) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        return None


def _open(
    repo: ArtifactRepository, path: str, whole_bytes: int
) -> tuple[BinaryIO | bytes, int | None]:
    """Open ``path``; a file of at most ``whole_bytes`` comes back read whole (and closed)."""
    stream = repo.open_artifact(path)
    try:
        size = _size_of(stream)
        if size is not None and size <= whole_bytes:
            return _read_whole(stream), None
    except BaseException:
        stream.close()
        raise
    return stream, size


def _read_whole(stream: BinaryIO) -> bytes:
    """Read a small file to its end and close it."""
    with stream:
        return stream.read()


async def _opened(repo: ArtifactRepository, path: str) -> tuple[BinaryIO | bytes, int | None]:
    """Open ``path`` for a download: a file of at most ``WHOLE_READ_BYTES`` comes back read
    whole."""
    if not isinstance(repo, LocalArtifactRepository):
        return await anyio.to_thread.run_sync(_open, repo, path, WHOLE_READ_BYTES)
    # Local metadata and page-cache reads are quick: open on the loop, read small files too.
    opened, size = _open(repo, path, LOOP_READ_BYTES)
    if isinstance(opened, bytes) or size is None or size > WHOLE_READ_BYTES:
        return opened, size
    return await anyio.to_thread.run_sync(_read_whole, opened), None


# -- endpoints -------------------------------------------------------------------------------


async def list_proxied_artifacts(request: Request) -> Response:
    """Answer the direct children of a folder of the destination, named relative to it."""
    message = await parse(request, ListProxiedArtifacts)
    folder = safe_relative_path(message.path)
    repo = await _destination(request)
    infos = await anyio.to_thread.run_sync(repo.list_artifacts, folder)
    files = [
        WireFileInfo(
            path=posixpath.basename(info.path), is_dir=info.is_dir, file_size=info.file_size
        )
        for info in infos
    ]
    return respond(ListProxiedArtifactsResponse(files=files))


async def download_response(repo: ArtifactRepository, path: str) -> Response:
    """Answer the file ``path`` of ``repo`` as an attachment, passive types only, ``nosniff``.

    Shared by every route that hands out artifact files, so they all send the same headers.
    """
    opened, size = await _opened(repo, path)
    name = posixpath.basename(path)
    headers = {
        "Content-Disposition": attachment_disposition(name),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": _DOWNLOAD_CSP,
        "Cache-Control": "no-store",
    }
    if isinstance(opened, bytes):
        # A small file: one answer, its length counted from what was read.
        return Response(opened, media_type=_served_type(name), headers=headers)
    return FileResponse(opened, size, _served_type(name), headers)


async def _download(scope: Scope, receive: Receive, path: str) -> Response:
    if not path:
        raise InvalidParameter("artifact path '': is a folder, not a file")
    repo = await destination_of(scope["app"].state)
    return await download_response(repo, path)


async def _upload(scope: Scope, receive: Receive, path: str) -> Response:
    if not path:
        raise InvalidParameter("artifact path '': must name a file, not the root")
    repo = await destination_of(scope["app"].state)
    try:
        await write_body(repo, path, receive, _declared_size(scope))
    except ClientDisconnect:
        # The repository already dropped the partial file; nobody is left to answer.
        logger.info("upload of %r interrupted: the client disconnected", path)
        raise InvalidParameter(
            f"artifact {path!r}: the client disconnected before the upload ended"
        ) from None
    return respond(EmptyResponse())


async def _delete(scope: Scope, receive: Receive, path: str) -> Response:
    if not path:
        raise InvalidParameter(
            "artifact path '': deleting the whole artifacts destination is not allowed"
        )
    repo = await destination_of(scope["app"].state)
    await anyio.to_thread.run_sync(repo.delete_artifacts, path)
    return respond(EmptyResponse())


_FILE_METHODS: dict[str, Callable[[Scope, Receive, str], Awaitable[Response]]] = {
    "GET": _download,
    "HEAD": _download,
    "PUT": _upload,
    "DELETE": _delete,
}


async def proxied_artifact(scope: Scope, receive: Receive, send: Send) -> None:
    """Download (GET), upload (PUT) or delete (DELETE) one path of the destination.

    A plain ASGI app (no Starlette request or response wrapping): a small file costs little
    more than its own reading or writing. Errors raised before answering become the server's
    JSON error answers (``trackstone.server.gateway``).
    """
    path = safe_relative_path(str(scope["path_params"].get("artifact_path", "")))
    response = await _FILE_METHODS[scope["method"]](scope, receive, path)
    await response(scope, receive, send)


class AsgiEndpoint:
    """Hand an ASGI function to Starlette's ``Route`` as an app (not a request handler)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


# -- multipart uploads -----------------------------------------------------------------------


def _upload_target(request: Request, local_path: str) -> str:
    """Return the artifact path of a multipart upload: the URL's folder + the file's name."""
    folder = _path_param(request)
    name = _PATH_SEPARATORS.split(local_path)[-1]
    if not name:
        raise InvalidParameter(f"path {local_path!r}: must name a file")
    return safe_relative_path(f"{folder}/{name}" if folder else name)


async def _s3_destination(request: Request) -> Any:
    repo = await _destination(request)
    from trackstone.artifacts.s3 import S3ArtifactRepository

    if not isinstance(repo, S3ArtifactRepository):
        raise MultipartUnsupported(
            f"{MULTIPART_UNSUPPORTED_MESSAGE} (the artifacts destination is not S3); "
            "upload with PUT instead"
        )
    return repo


async def create_multipart_upload(request: Request) -> Response:
    """Start a multipart upload on an S3 destination; answer one presigned URL per part."""
    message = await parse(request, CreateMultipartUpload)
    target = _upload_target(request, message.path)
    repo = await _s3_destination(request)
    from trackstone.artifacts.s3_multipart import create_upload

    num_parts = 1 if message.num_parts is None else message.num_parts
    upload_id, urls = await anyio.to_thread.run_sync(create_upload, repo, target, num_parts)
    credentials = [
        MultipartUploadCredential(url=part.url, part_number=part.part_number) for part in urls
    ]
    return respond(CreateMultipartUploadResponse(upload_id=upload_id, credentials=credentials))


async def complete_multipart_upload(request: Request) -> Response:
    """Assemble the uploaded parts of a multipart upload into the file."""
    message = await parse(request, CompleteMultipartUpload)
    target = _upload_target(request, message.path)
    repo = await _s3_destination(request)
    if not message.upload_id:
        raise InvalidParameter("upload_id: this field is required")
    from trackstone.artifacts.s3_multipart import complete_upload

    parts = [(part.part_number, part.etag) for part in message.parts]
    await anyio.to_thread.run_sync(complete_upload, repo, target, message.upload_id, parts)
    return respond(EmptyResponse())


async def abort_multipart_upload(request: Request) -> Response:
    """Abort a multipart upload, dropping its parts."""
    message = await parse(request, AbortMultipartUpload)
    target = _upload_target(request, message.path)
    repo = await _s3_destination(request)
    if not message.upload_id:
        raise InvalidParameter("upload_id: this field is required")
    from trackstone.artifacts.s3_multipart import abort_upload

    await anyio.to_thread.run_sync(abort_upload, repo, target, message.upload_id)
    return respond(EmptyResponse())


_MPU_ENDPOINTS = {
    "create": create_multipart_upload,
    "complete": complete_multipart_upload,
    "abort": abort_multipart_upload,
}


def artifact_proxy_routes() -> list[BaseRoute]:
    """Return the proxy's routes under both API prefixes."""
    routes: list[BaseRoute] = []
    for prefix in (API_PREFIX, AJAX_API_PREFIX):
        artifacts = prefix + PROXY_ARTIFACTS_PATH
        routes.append(Route(artifacts, list_proxied_artifacts, methods=["GET"]))
        routes.append(
            Route(
                artifacts + "/{artifact_path:path}",
                AsgiEndpoint(proxied_artifact),
                methods=["GET", "PUT", "DELETE"],
            )
        )
        for action, endpoint in _MPU_ENDPOINTS.items():
            base = f"{prefix}{PROXY_MPU_PATH}/{action}"
            routes.append(Route(base, endpoint, methods=["POST"]))
            routes.append(Route(base + "/{artifact_path:path}", endpoint, methods=["POST"]))
    return routes
