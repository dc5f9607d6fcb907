"""The client driver's artifact workload: ``log_artifact(s)`` and ``download_artifacts`` of a run.

One large file of random bytes is logged and downloaded (MiB/s each way), then a folder of
small 4 KiB files (files/s each way), through whichever client the driver holds; its run's
artifacts go through the server's ``mlflow-artifacts`` proxy. The bytes that come back are
compared with those sent. Standard library only: this runs in MLflow's venv too.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from artifact_files import (
    file_digest,
    large_file_rates,
    small_file_body,
    small_file_rates,
    write_large_file,
)


def _large(
    client: Any, run_id: str, scratch: Path, size_mib: int, check: Callable[[bool, str], None]
) -> dict[str, float]:
    source = scratch / "up" / "large.bin"
    source.parent.mkdir(parents=True)
    expected = write_large_file(source, size_mib)
    started = time.perf_counter()
    client.log_artifact(run_id, str(source))
    upload_s = time.perf_counter() - started
    started = time.perf_counter()
    local = client.download_artifacts(run_id, "large.bin", str(scratch / "down-large"))
    download_s = time.perf_counter() - started
    check(file_digest(Path(local)) == expected, "download_artifacts: the large file differs")
    return large_file_rates(size_mib, upload_s, download_s)


def _small(
    client: Any, run_id: str, scratch: Path, files: int, check: Callable[[bool, str], None]
) -> dict[str, float]:
    folder = scratch / "small"
    folder.mkdir()
    for index in range(files):
        (folder / f"f{index:05d}.bin").write_bytes(small_file_body(index))
    started = time.perf_counter()
    client.log_artifacts(run_id, str(folder), "small")
    upload_s = time.perf_counter() - started
    started = time.perf_counter()
    local = Path(client.download_artifacts(run_id, "small", str(scratch / "down-small")))
    download_s = time.perf_counter() - started
    names = sorted(path.name for path in local.iterdir())
    check(
        names == [f"f{index:05d}.bin" for index in range(files)]
        and all((local / name).read_bytes() == small_file_body(i) for i, name in enumerate(names)),
        f"download_artifacts: {len(names)} small files of {files}, or other bytes",
    )
    return small_file_rates(files, upload_s, download_s)


def measure_artifacts(
    client: Any,
    run_id: str,
    scratch: Path,
    size_mib: int,
    files: int,
    check: Callable[[bool, str], None],
) -> dict[str, Any]:
    """Log and download one ``size_mib`` file, then a folder of ``files`` small files."""
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        return {
            "large": _large(client, run_id, scratch, size_mib, check),
            "small": _small(client, run_id, scratch, files, check),
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
