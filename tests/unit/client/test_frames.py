"""Runs to a DataFrame with MLflow's ``search_runs`` columns."""

from __future__ import annotations

import math

import pandas as pd

from trackstone.client.frames import BASE_COLUMNS, runs_to_frame
from trackstone.entities import Metric, Run, RunData, RunInfo, RunStatus


def _run(
    run_id: str,
    end_time: int | None,
    metrics: dict[str, float],
    params: dict[str, str],
    tags: dict[str, str],
) -> Run:
    info = RunInfo(
        run_id, "7", run_id, "me", RunStatus.FINISHED, 1_700_000_000_000, end_time, f"/a/{run_id}"
    )
    points = tuple(Metric(key, value, 1, 0) for key, value in metrics.items())
    return Run(info, RunData(points, params, tags))


def test_columns_and_values() -> None:
    frame = runs_to_frame(
        [
            _run("r1", 1_700_000_001_000, {"loss": 0.5}, {"lr": "0.1"}, {"team": "a"}),
            _run("r2", None, {"acc": 0.9}, {}, {"team": "b", "x": "y"}),
        ]
    )
    assert frame.columns.tolist() == [
        *BASE_COLUMNS,
        "metrics.acc",
        "metrics.loss",
        "params.lr",
        "tags.team",
        "tags.x",
    ]
    assert frame["run_id"].tolist() == ["r1", "r2"]
    assert frame["status"].tolist() == ["FINISHED", "FINISHED"]
    assert frame["start_time"][0] == pd.Timestamp(1_700_000_000_000, unit="ms", tz="UTC")
    assert frame["end_time"][0] == pd.Timestamp(1_700_000_001_000, unit="ms", tz="UTC")
    assert pd.isna(frame["end_time"][1])
    assert frame["metrics.loss"].dtype == "float64"
    assert frame["metrics.loss"][0] == 0.5 and math.isnan(frame["metrics.loss"][1])
    assert frame["params.lr"].tolist() == ["0.1", None]
    assert frame["tags.x"].tolist() == [None, "y"]


def test_no_runs_gives_the_base_columns() -> None:
    frame = runs_to_frame([])
    assert frame.columns.tolist() == list(BASE_COLUMNS)
    assert len(frame) == 0
