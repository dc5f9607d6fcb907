"""Run one of ``bench/``'s scripts in its quick mode without MLflow, for the smoke tests.

Example:
    stdout, document = run_quick_bench("run.py", "bench", tmp_path)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["BENCH_DIR", "run_quick_bench"]

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"


def run_quick_bench(script: str, prefix: str, results_dir: Path) -> tuple[str, dict[str, Any]]:
    """Run ``bench/<script> --quick --skip-mlflow``; return its output and the one results file.

    Its spool goes under ``results_dir``; the run must exit 0 and write exactly one
    ``<prefix>-*-quick.json`` there.
    """
    env = {**os.environ, "TRACKSTONE_SPOOL_DIR": str(results_dir / "spool")}
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH_DIR / script),
            "--quick",
            "--skip-mlflow",
            "--results-dir",
            str(results_dir),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [written] = list(results_dir.glob(f"{prefix}-*-quick.json"))
    document: dict[str, Any] = json.loads(written.read_text())
    return done.stdout, document
