"""Keep ``bench/run.py`` from rotting: a quick run without MLflow must work end to end.

This checks that the benchmark runs and that its results are consistent; it never asserts on
how fast anything was.
"""

from __future__ import annotations

from pathlib import Path

from support.bench_runs import run_quick_bench

QUICK_SEARCH_RUNS = 300
QUICK_HISTORY_POINTS = 5_000


def test_quick_bench_without_mlflow(tmp_path: Path) -> None:
    stdout, document = run_quick_bench("run.py", "bench", tmp_path)
    assert "Trackstone vs MLflow vs raw sqlite3" in stdout

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
