"""``ProxiedArtifactRepository``: artifacts through a tracking server's ``mlflow-artifacts`` API.

The client talks only to the server, which streams to its artifacts destination. The root is
a path under the server's destination (``path_prefix``); every artifact path is checked with
``safe_relative_path`` before a request is sent, and every name the server lists is checked
again before it becomes a local file name, so neither side can make the other write outside
its folder. Uploads and downloads stream in chunks; folders transfer several files at a time.

Errors: the server's error bodies become the matching ``TrackstoneError``; connection failures
become ``ServiceUnavailable``. Reads are retried on connection errors and 429/5xx; uploads only
when the connection could not be opened (a body cannot always be sent twice).
"""

from __future__ import annotations

import io
import logging
import os
import posixpath
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

from trackstone.api.errors import error_from_response
from trackstone.artifacts.base import FileInfo
from trackstone.artifacts.local_files import file_target, join_artifact_path, walk_local_folder
from trackstone.artifacts.paths import safe_relative_path
from trackstone.errors import InvalidParameter, NotFound, ServiceUnavailable

__all__ = [
    "ARTIFACTS_ENDPOINT",
    "ProxiedArtifactRepository",
    "split_proxy_url",
]

logger = logging.getLogger(__name__)

ARTIFACTS_ENDPOINT = "/api/2.0/mlflow-artifacts/artifacts"
CHUNK_BYTES = 1024 * 1024
_RETRIES = 4
_TIMEOUT_S = (10.0, 300.0)


def split_proxy_url(url: str) -> tuple[str, str]:
    """Split ``http(s)://host/.../api/2.0/mlflow-artifacts/artifacts/<path>`` into the server's
    base URL and ``<path>``.

    Raises:
        InvalidParameter: the URL is not an ``mlflow-artifacts`` URL of a server.
    """
    parts = urlsplit(url)
    head, separator, tail = parts.path.partition(ARTIFACTS_ENDPOINT)
    if parts.scheme not in ("http", "https") or not parts.netloc or not separator:
        raise InvalidParameter(
            f"artifact URI {url!r}: expected http(s)://<server>{ARTIFACTS_ENDPOINT}/<path>"
        )
    if tail and not tail.startswith("/"):
        raise InvalidParameter(f"artifact URI {url!r}: expected {ARTIFACTS_ENDPOINT}/<path>")
    if parts.query or parts.fragment:
        raise InvalidParameter(f"artifact URI {url!r}: must not have a query or fragment")
    return f"{parts.scheme}://{parts.netloc}{head}", tail.lstrip("/")


def _new_session(authorization: str | None) -> Any:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    retry = Retry(
        total=_RETRIES,
        connect=_RETRIES,
        read=0,
        status=_RETRIES,
        other=0,
        redirect=0,
        allowed_methods=frozenset({"GET", "HEAD", "DELETE"}),
        status_forcelist=frozenset({429, 502, 503, 504}),
        backoff_factor=0.25,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if authorization:
        session.headers["Authorization"] = authorization
    return session


class _ResponseStream(io.RawIOBase):
    """Raw reads of a streamed HTTP response body; closing it releases the connection."""

    def __init__(self, response: Any) -> None:
        super().__init__()
        self._response = response

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data: bytes = self._response.raw.read(len(view), decode_content=True)
        except Exception as error:  # urllib3 and requests errors alike
            raise ServiceUnavailable(f"artifact download interrupted: {error}") from None
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._response.close()
        super().close()


class ProxiedArtifactRepository:
    """Artifacts under ``path_prefix`` of a tracking server's artifacts destination.

    Args:
        base_url: the server, e.g. ``http://127.0.0.1:5000`` (with its path prefix, if any).
        path_prefix: the root of this repository below the server's destination, e.g.
            ``1/<run_id>/artifacts``.
        session: a ``requests.Session`` to send requests with (its headers carry the auth);
            by default one with retries on reads.
        authorization: an ``Authorization`` header value for the default session.
        max_threads: files transferred at once by ``log_artifacts`` and folder downloads.

    Example:
        >>> repo = ProxiedArtifactRepository("http://127.0.0.1:5000", "1/abc/artifacts")
        ... # doctest: +SKIP
        >>> repo.log_artifact("model.pkl", "models")  # doctest: +SKIP
    """

    def __init__(
        self,
        base_url: str,
        path_prefix: str = "",
        *,
        session: Any = None,
        authorization: str | None = None,
        max_threads: int = 4,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidParameter(f"server URL {base_url!r}: expected http(s)://host[:port]")
        self._base_url = base_url.rstrip("/")
        try:
            self._prefix = safe_relative_path(path_prefix)
        except InvalidParameter as error:
            raise InvalidParameter(f"artifact root {path_prefix!r}: {error.message}") from None
        self._session = session if session is not None else _new_session(authorization)
        self._max_threads = max(1, max_threads)

    @property
    def root_uri(self) -> str:
        """The HTTP URL of the root on the server."""
        return f"{self._base_url}{ARTIFACTS_ENDPOINT}/{quote(self._prefix)}".rstrip("/")

    def __repr__(self) -> str:
        return f"ProxiedArtifactRepository({self._base_url!r}, {self._prefix!r})"

    # -- requests --------------------------------------------------------------------------

    def _url(self, relative: str) -> str:
        path = join_artifact_path(self._prefix, relative)
        return f"{self._base_url}{ARTIFACTS_ENDPOINT}/{quote(path)}"

    def _send(self, method: str, url: str, **kwargs: Any) -> Any:
        """Send one request; return the response on 2xx, else raise what the server said."""
        import requests

        try:
            response = self._session.request(method, url, timeout=_TIMEOUT_S, **kwargs)
        except requests.RequestException as error:
            raise ServiceUnavailable(
                f"artifact server {self._base_url} unreachable: {type(error).__name__}"
            ) from None
        if 200 <= response.status_code < 300:
            return response
        try:
            body = response.content
        finally:
            response.close()
        raise error_from_response(response.status_code, body)

    # -- writing ---------------------------------------------------------------------------

    def log_artifact(self, local_file: str | Path, artifact_path: str | None = None) -> None:
        """Upload a local file into the folder ``artifact_path`` (the root when None)."""
        source, target = file_target(local_file, artifact_path)
        try:
            stream = source.open("rb")
        except FileNotFoundError:
            raise NotFound(f"local file {str(source)!r} does not exist") from None
        with stream:
            # A file body goes out with its Content-Length, read in blocks by requests.
            self._send("PUT", self._url(target), data=stream).close()

    def log_artifacts(self, local_dir: str | Path, artifact_path: str | None = None) -> None:
        """Upload a local folder tree into ``artifact_path``, several files at a time.

        Symlinks in the local tree are followed; a symlinked folder already visited is skipped
        so that link cycles end. Empty folders are not kept.
        """
        uploads = [
            partial(self.log_artifact, file, folder)
            for folder, _, files in walk_local_folder(local_dir, artifact_path)
            for file in files
        ]
        self._in_parallel(uploads)

    def write_artifact(self, artifact_path: str, stream: BinaryIO) -> None:
        """Upload a file at ``artifact_path`` from a binary stream, in chunks."""
        relative = safe_relative_path(artifact_path)
        if not relative:
            raise InvalidParameter("artifact path '': must name a file, not the root")

        def chunks() -> Iterator[bytes]:
            while chunk := stream.read(CHUNK_BYTES):
                yield chunk

        self._send("PUT", self._url(relative), data=chunks()).close()

    # -- reading ---------------------------------------------------------------------------

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """List the direct children of a folder, sorted by path ([] for files and missing
        folders)."""
        relative = safe_relative_path(path)
        response = self._send(
            "GET",
            f"{self._base_url}{ARTIFACTS_ENDPOINT}",
            params={
                "path": join_artifact_path(self._prefix, relative) if relative else self._prefix
            },
        )
        with response:
            files = response.json().get("files", [])
        infos = []
        for entry in files:
            info = self._entry_info(relative, entry)
            if info is not None:
                infos.append(info)
        return sorted(infos, key=lambda info: (info.path, info.is_dir))

    @staticmethod
    def _entry_info(folder: str, entry: Mapping[str, Any]) -> FileInfo | None:
        """Return a listing entry as a ``FileInfo`` below ``folder``, or None if unsafe."""
        name = entry.get("path")
        try:
            if not isinstance(name, str) or "/" in name or not name:
                raise InvalidParameter(f"listed name {name!r}: must be one path segment")
            child = join_artifact_path(folder, name)
        except InvalidParameter:
            logger.warning("ignoring listed artifact %r: not a safe name", name)
            return None
        is_dir = bool(entry.get("is_dir", False))
        size = entry.get("file_size")
        return FileInfo(path=child, is_dir=is_dir, file_size=None if is_dir else int(size or 0))

    def open_artifact(self, artifact_path: str) -> BinaryIO:
        """Open a file for streaming reads; the caller closes it.

        Raises:
            NotFound: nothing exists at ``artifact_path``.
            InvalidParameter: the path is unsafe or names a folder.
        """
        relative = safe_relative_path(artifact_path)
        if not relative:
            raise InvalidParameter("artifact path '': is a folder, not a file")
        response = self._send("GET", self._url(relative), stream=True)
        return io.BufferedReader(_ResponseStream(response), CHUNK_BYTES)

    def download_artifacts(self, artifact_path: str, dst_path: str | Path) -> Path:
        """Download a file or folder into the local folder ``dst_path``.

        Returns:
            The local path of the copy: ``dst_path / artifact_path`` (``dst_path`` for the root).

        Raises:
            NotFound: nothing exists at ``artifact_path``.
        """
        relative = safe_relative_path(artifact_path)
        local = Path(os.path.abspath(dst_path)).joinpath(*relative.split("/") if relative else ())
        if relative:
            try:
                stream = self.open_artifact(relative)
            except InvalidParameter:
                pass  # a folder
            else:
                local.parent.mkdir(parents=True, exist_ok=True)
                self._save(stream, local)
                return local
        files: list[tuple[str, Path]] = []
        self._plan_folder(relative, local, files)
        self._in_parallel([partial(self._download_file, path, target) for path, target in files])
        return local

    def _plan_folder(self, relative: str, local: Path, files: list[tuple[str, Path]]) -> None:
        local.mkdir(parents=True, exist_ok=True)
        for info in self.list_artifacts(relative):
            target = local / posixpath.basename(info.path)
            if info.is_dir:
                self._plan_folder(info.path, target, files)
            else:
                files.append((info.path, target))

    def _download_file(self, relative: str, local: Path) -> None:
        self._save(self.open_artifact(relative), local)

    @staticmethod
    def _save(stream: BinaryIO, local: Path) -> None:
        with stream, local.open("wb") as target:
            while chunk := stream.read(CHUNK_BYTES):
                target.write(chunk)

    def _in_parallel(self, tasks: Sequence[Callable[[], object]]) -> None:
        """Run the tasks on ``max_threads`` threads; raise the first failure after all ended."""
        if len(tasks) <= 1 or self._max_threads == 1:
            for task in tasks:
                task()
            return
        with ThreadPoolExecutor(self._max_threads) as pool:
            futures = [pool.submit(task) for task in tasks]
        for future in futures:
            error = future.exception()
            if error is not None:
                raise error

    # -- deleting --------------------------------------------------------------------------

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Delete a file or folder (the whole root when None). Missing paths are fine."""
        relative = safe_relative_path(artifact_path)
        self._send("DELETE", self._url(relative)).close()
