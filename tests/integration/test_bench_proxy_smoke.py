"""Keep ``bench/artifact_proxy.py`` from rotting: a small file must go through and back whole.

It never asserts on speed; it checks the digest line and that the memory lines were printed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "artifact_proxy.py"


def test_small_file_through_the_proxy_bench() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--size-mib", "4"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "download intact: True" in done.stdout
    assert "server peak RSS" in done.stdout
    assert done.stdout.count("server RSS") == 4  # after start-up, two uploads, the download
