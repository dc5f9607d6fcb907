"""JSON conversion and time formatting used by every CLI command."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from trackstone.cli.output import format_duration_ms, run_to_json, to_jsonable
from trackstone.entities import (
    LifecycleStage,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunStatus,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (1.5, 1.5),
        (RunStatus.FAILED, "FAILED"),
        (LifecycleStage.DELETED, "deleted"),
        ((1, (2, math.nan)), [1, [2, "NaN"]]),
        ({"k": math.inf}, {"k": "Infinity"}),
        (
            Metric("loss", math.nan, 5, 2),
            {"key": "loss", "value": "NaN", "timestamp": 5, "step": 2},
        ),
    ],
)
def test_to_jsonable(value: Any, expected: Any) -> None:
    assert to_jsonable(value) == expected


def test_run_to_json_is_strict_json() -> None:
    info = RunInfo(
        "abc", "1", "brave-fox", "ana", RunStatus.FINISHED, 10, 20, "/a", LifecycleStage.ACTIVE
    )
    data = RunData(
        latest_metrics=(Metric("loss", -math.inf, 3, 1),), params={"lr": "0.1"}, tags={"t": "x"}
    )
    document = json.loads(json.dumps(run_to_json(Run(info, data))), parse_constant=_refuse)
    assert document["info"]["status"] == "FINISHED"
    assert document["info"]["lifecycle_stage"] == "active"
    assert document["data"]["metrics"] == {"loss": "-Infinity"}
    assert document["data"]["params"] == {"lr": "0.1"}
    assert document["data"]["tags"] == {"t": "x"}


def _refuse(name: str) -> None:
    raise AssertionError(f"non-standard JSON constant {name}")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, 5, ""),
        (5, None, ""),
        (0, 4_200, "4.2s"),
        (0, 63_000, "1m03s"),
        (0, 3_723_000, "1h02m03s"),
        (10, 5, "0.0s"),
    ],
)
def test_format_duration(start: int | None, end: int | None, expected: str) -> None:
    assert format_duration_ms(start, end) == expected
