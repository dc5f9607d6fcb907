"""RangeWriteback: an early start of a file's disk write that never changes or fails a write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trackstone.artifacts.writeback import RangeWriteback

MiB = 1024 * 1024


@pytest.mark.parametrize("block_bytes", [1, 4096, MiB, 3 * MiB])
def test_a_file_written_with_writeback_holds_its_bytes(tmp_path: Path, block_bytes: int) -> None:
    path = tmp_path / "f.bin"
    total = 10 * MiB + 3 if block_bytes >= 4096 else 5000
    data = bytes(range(256)) * (total // 256) + b"x" * (total % 256)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        writeback = RangeWriteback(fd, step_bytes=MiB)
        for start in range(0, total, block_bytes):
            writeback.written(os.write(fd, data[start : start + block_bytes]))
        os.fsync(fd)
    finally:
        os.close(fd)
    assert path.read_bytes() == data


def test_a_failing_writeback_is_ignored(tmp_path: Path) -> None:
    fd = os.open(tmp_path / "gone.bin", os.O_WRONLY | os.O_CREAT)
    os.close(fd)  # the descriptor is no longer valid: the kernel refuses the writeback
    writeback = RangeWriteback(fd, step_bytes=1)
    writeback.written(10)
    writeback.written(10)
