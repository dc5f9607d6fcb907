"""The server benchmark's artifact workload: the ``mlflow-artifacts`` proxy of either server.

One large file is PUT and GET as a stream (the body read from, and the answer written to, a
file on disk), then many small files one request each; both servers serve the same paths
(``/api/2.0/mlflow-artifacts/artifacts/<path>``). Every answer must be 200 and every byte must
come back.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import requests
from artifact_files import (
    MiB,
    large_file_rates,
    small_file_body,
    small_file_rates,
    write_large_file,
)

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
REQUEST_TIMEOUT_S = 600.0


class ArtifactFailed(Exception):
    """The proxy answered something other than 200, or returned other bytes."""


def _check(response: requests.Response, what: str) -> None:
    if response.status_code != 200:
        raise ArtifactFailed(f"{what}: {response.status_code} {response.text[:300]}")


def _large(session: requests.Session, base: str, scratch: Path, size_mib: int) -> dict[str, Any]:
    source = scratch / "large.bin"
    expected = write_large_file(source, size_mib)
    url = f"{base}{ARTIFACTS}/bench/large/large.bin"
    started = time.perf_counter()
    with source.open("rb") as body:
        _check(session.put(url, data=body, timeout=REQUEST_TIMEOUT_S), "PUT large file")
    upload_s = time.perf_counter() - started
    target = scratch / "large.down"
    digest = hashlib.sha256()
    started = time.perf_counter()
    with session.get(url, stream=True, timeout=REQUEST_TIMEOUT_S) as response:
        _check(response, "GET large file")
        with target.open("wb") as stream:
            for chunk in response.iter_content(MiB):
                stream.write(chunk)
                digest.update(chunk)
    download_s = time.perf_counter() - started
    source.unlink()
    target.unlink()
    if digest.hexdigest() != expected:
        raise ArtifactFailed("the large file came back different")
    return large_file_rates(size_mib, upload_s, download_s)


def _small(session: requests.Session, base: str, files: int) -> dict[str, Any]:
    bodies = [small_file_body(index) for index in range(files)]
    urls = [f"{base}{ARTIFACTS}/bench/small/f{index:05d}.bin" for index in range(files)]
    started = time.perf_counter()
    for url, body in zip(urls, bodies, strict=True):
        _check(session.put(url, data=body, timeout=REQUEST_TIMEOUT_S), "PUT small file")
    upload_s = time.perf_counter() - started
    started = time.perf_counter()
    answers = []
    for url in urls:
        response = session.get(url, timeout=REQUEST_TIMEOUT_S)
        _check(response, "GET small file")
        answers.append(response.content)
    download_s = time.perf_counter() - started
    if answers != bodies:
        raise ArtifactFailed("small files came back different")
    return small_file_rates(files, upload_s, download_s)


def measure_artifacts(base_url: str, scratch: Path, size_mib: int, files: int) -> dict[str, Any]:
    """Upload and download one ``size_mib`` file, then ``files`` small files, through the proxy."""
    scratch.mkdir(parents=True, exist_ok=True)
    with requests.Session() as session:
        return {
            "large": _large(session, base_url, scratch, size_mib),
            "small": _small(session, base_url, files),
        }
