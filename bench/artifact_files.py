"""The artifact benchmarks' files: making them, hashing them and their transfer rates.

Standard library only: the client driver imports this module from MLflow's own venv.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

MiB = 1024 * 1024
SMALL_FILE_BYTES = 4096


def write_large_file(path: Path, size_mib: int) -> str:
    """Write ``size_mib`` MiB that do not compress (a block of random bytes, numbered).

    Returns the file's SHA-256.
    """
    digest = hashlib.sha256()
    block = os.urandom(MiB)
    with path.open("wb") as stream:
        for index in range(size_mib):
            chunk = index.to_bytes(8, "little") + block[8:]
            digest.update(chunk)
            stream.write(chunk)
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """Return the SHA-256 of a file, read a MiB at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(MiB):
            digest.update(chunk)
    return digest.hexdigest()


def small_file_body(index: int) -> bytes:
    """Return the ``index``-th small file's bytes (its number, repeated)."""
    return index.to_bytes(8, "little") * (SMALL_FILE_BYTES // 8)


def large_file_rates(size_mib: int, upload_s: float, download_s: float) -> dict[str, float]:
    """Return the figures of one large file sent and fetched back."""
    return {
        "size_mib": size_mib,
        "upload_s": upload_s,
        "download_s": download_s,
        "upload_mib_per_s": size_mib / upload_s,
        "download_mib_per_s": size_mib / download_s,
    }


def small_file_rates(files: int, upload_s: float, download_s: float) -> dict[str, float]:
    """Return the figures of ``files`` small files sent and fetched back."""
    return {
        "files": files,
        "file_bytes": SMALL_FILE_BYTES,
        "upload_files_per_s": files / upload_s,
        "download_files_per_s": files / download_s,
    }
