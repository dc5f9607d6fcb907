"""The server benchmark's artifact workload: the ``mlflow-artifacts`` proxy of either server.

One large file is PUT and GET as a stream (the body read from, and the answer written to, a
file on disk, in 1 MiB blocks), then many small files one request each; both servers serve the
same paths (``/api/2.0/mlflow-artifacts/artifacts/<path>``). Every answer must be 200 and every
byte must come back.
"""

from __future__ import annotations

import http.client
import time
from pathlib import Path
from typing import Any

from artifact_files import (
    file_digest,
    large_file_rates,
    small_file_body,
    small_file_rates,
    write_large_file,
)
from http_session import HttpSession

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
REQUEST_TIMEOUT_S = 600.0


class ArtifactFailed(Exception):
    """The proxy answered something other than 200, or returned other bytes."""


def _call(
    session: HttpSession, method: str, path: str, what: str, body: Any = None, size: int = 0
) -> http.client.HTTPResponse:
    """Send one request of ``size`` body bytes; its answer must be 200 (the caller reads it)."""
    headers = {"Content-Length": str(size)} if body is not None else None
    try:
        response = session.send(method, path, body, headers=headers)
    except (OSError, http.client.HTTPException) as error:
        raise ArtifactFailed(f"{what}: {error!r}") from error
    if response.status != 200:
        raise ArtifactFailed(f"{what}: {response.status} {response.read()[:300]!r}")
    return response


def _large(session: HttpSession, scratch: Path, size_mib: int) -> dict[str, Any]:
    source = scratch / "large.bin"
    expected = write_large_file(source, size_mib)
    path = f"{ARTIFACTS}/bench/large/large.bin"
    started = time.perf_counter()
    with source.open("rb") as body:
        _call(session, "PUT", path, "PUT large file", body, source.stat().st_size).read()
    upload_s = time.perf_counter() - started
    target = scratch / "large.down"
    started = time.perf_counter()
    response = _call(session, "GET", path, "GET large file")
    with target.open("wb") as stream:
        for block in session.blocks(response):
            stream.write(block)
    download_s = time.perf_counter() - started
    # Checked after the clock stops, as the client-library downloads are: hashing in the
    # loop (about 1 GiB/s here) capped what the client could take in.
    same = file_digest(target) == expected
    source.unlink()
    target.unlink()
    if not same:
        raise ArtifactFailed("the large file came back different")
    return large_file_rates(size_mib, upload_s, download_s)


def _small(session: HttpSession, files: int) -> dict[str, Any]:
    bodies = [small_file_body(index) for index in range(files)]
    paths = [f"{ARTIFACTS}/bench/small/f{index:05d}.bin" for index in range(files)]
    started = time.perf_counter()
    for path, body in zip(paths, bodies, strict=True):
        _call(session, "PUT", path, "PUT small file", body, len(body)).read()
    upload_s = time.perf_counter() - started
    started = time.perf_counter()
    answers = [_call(session, "GET", path, "GET small file").read() for path in paths]
    download_s = time.perf_counter() - started
    if answers != bodies:
        raise ArtifactFailed("small files came back different")
    return small_file_rates(files, upload_s, download_s)


def measure_artifacts(base_url: str, scratch: Path, size_mib: int, files: int) -> dict[str, Any]:
    """Upload and download one ``size_mib`` file, then ``files`` small files, through the proxy."""
    scratch.mkdir(parents=True, exist_ok=True)
    session = HttpSession(base_url)
    try:
        return {
            "large": _large(session, scratch, size_mib),
            "small": _small(session, files),
        }
    finally:
        session.close()
