"""Keep ``bench/ui.py`` from rotting: its Trackstone half must run end to end at tiny sizes.

This checks that every measurement produced a time and that the pages showed the expected
data (the sorted table's first run, the chart's spike); it never asserts on how fast anything
was. MLflow's half is skipped (``--skip-mlflow``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser.conftest import CHROMIUM

BENCH = Path(__file__).resolve().parents[2] / "bench" / "ui.py"
QUICK_TABLE_RUNS = ("100", "1000")
QUICK_CHART_POINTS = 20_000
_DRAWN_POINTS_CAP = 2500  # the server's cap per history request


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Run the quick Trackstone-only UI benchmark once; return its results document."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"the UI benchmark smoke test needs {CHROMIUM} in CI", pytrace=False)
        pytest.skip(f"the UI benchmark needs {CHROMIUM}")
    folder = tmp_path_factory.mktemp("ui-bench")
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--quick",
            "--skip-mlflow",
            "--repeats",
            "1",
            "--results-dir",
            str(folder),
        ],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith(("TRACKSTONE_", "MLFLOW_"))},
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "web UI in headless Chromium" in done.stdout
    [written] = list(folder.glob("ui-*-quick.json"))
    yield json.loads(written.read_text())


def test_only_trackstone_was_measured(document: dict[str, Any]) -> None:
    assert list(document["results"]) == ["trackstone"]
    assert [str(runs) for runs in document["sizes"]["table_runs"]] == list(QUICK_TABLE_RUNS)


@pytest.mark.parametrize("runs", QUICK_TABLE_RUNS)
@pytest.mark.parametrize("measure", ["cold_ms", "warm_ms", "sort_ms"])
def test_every_table_measure_has_a_time(document: dict[str, Any], runs: str, measure: str) -> None:
    figure = document["results"]["trackstone"]["tables"][runs][measure]
    assert figure["timed_out"] == 0
    assert figure["samples"] and all(sample > 0 for sample in figure["samples"])
    assert 0 < figure["min_ms"] <= figure["median_ms"] <= figure["max_ms"]


@pytest.mark.parametrize("runs", QUICK_TABLE_RUNS)
def test_sorting_showed_the_lowest_run_first(document: dict[str, Any], runs: str) -> None:
    table = document["results"]["trackstone"]["tables"][runs]
    # Trackstone's first click on a column header sorts ascending.
    assert table["sort_first"] == [table["expected_first"]["ascending"]]


@pytest.mark.parametrize("measure", ["load_ms", "click_ms"])
def test_every_chart_measure_has_a_time(document: dict[str, Any], measure: str) -> None:
    figure = document["results"]["trackstone"]["chart"][measure]
    assert figure["timed_out"] == 0
    assert figure["samples"] and all(sample > 0 for sample in figure["samples"])


def test_the_chart_kept_the_spike(document: dict[str, Any]) -> None:
    drawn = document["results"]["trackstone"]["chart"]["drawn"]
    assert 0 < drawn["points"] <= min(_DRAWN_POINTS_CAP, QUICK_CHART_POINTS)
    assert drawn["max_value"] == drawn["spike_value"]
