"""Keep ``bench/run.py`` from rotting: a quick run without MLflow must work end to end.

This checks that the benchmark runs and that its results are consistent; it never asserts on
how fast anything was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "run.py"
QUICK_SEARCH_RUNS = 300
QUICK_HISTORY_POINTS = 5_000


def test_quick_bench_without_mlflow(tmp_path: Path) -> None:
    env = {**os.environ, "TRACKSTONE_SPOOL_DIR": str(tmp_path / "spool")}
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--skip-mlflow", "--results-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Trackstone vs MLflow vs raw sqlite3" in done.stdout
    [written] = list(tmp_path.glob("bench-*-quick.json"))
    document = json.loads(written.read_text())

    assert set(document["results"]) == {"trackstone", "floor"}
    ours = document["results"]["trackstone"]
    assert ours["ingest"]["stored"] == ours["ingest"]["points"]
    assert ours["search"]["all_paginated"]["count"] == QUICK_SEARCH_RUNS
    assert ours["search"]["dataframe"]["count"] == QUICK_SEARCH_RUNS
    assert ours["history"]["count"] == QUICK_HISTORY_POINTS
    assert ours["log_metric"]["calls"] == document["sizes"]["log_metric_calls"]
    assert all(
        target["met"] is None for target in document["targets"] if "MLflow" in target["target"]
    )
