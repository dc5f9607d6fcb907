"""Downsampled metric history keeps each bucket's first, last, lowest and highest points."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from trackstone.clock import ManualClock
from trackstone.entities import Metric
from trackstone.errors import InvalidParameter, NotFound
from trackstone.store.sql.store import SqlStore

POINTS = 10_000
SPIKE_STEP, DIP_STEP, NAN_STEP = 5_123, 7_777, 2_000


def _value(step: int) -> float:
    if step == SPIKE_STEP:
        return 1000.0
    if step == DIP_STEP:
        return -1000.0
    if step == NAN_STEP:
        return math.nan
    return math.sin(step / 100)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = SqlStore(
        f"sqlite:///{tmp_path / 't.db'}", str(tmp_path / "artifacts"), clock=ManualClock()
    )
    yield opened
    opened.close()


@pytest.fixture
def run_id(store: SqlStore) -> str:
    run_id = store.create_run("0").info.run_id
    for start in range(0, POINTS, 1000):
        store.log_batch(
            run_id,
            metrics=[Metric("m", _value(s), 10 + s, s) for s in range(start, start + 1000)],
        )
    return run_id


def _steps(store: SqlStore, run_id: str, max_points: int, **bounds: int) -> list[int]:
    points = store.get_metric_history_downsampled([run_id], "m", max_points, **bounds)
    return [point.metric.step for point in points]


def test_spike_and_dip_survive(store: SqlStore, run_id: str) -> None:
    points = store.get_metric_history_downsampled([run_id], "m", 100)
    values = {point.metric.step: point.metric.value for point in points}

    assert values[SPIKE_STEP] == 1000.0
    assert values[DIP_STEP] == -1000.0
    assert len(points) <= 100


@pytest.mark.parametrize("max_points", [4, 40, 400, 4000])
def test_never_more_than_max_points_and_ends_kept(
    store: SqlStore, run_id: str, max_points: int
) -> None:
    steps = _steps(store, run_id, max_points)

    assert len(steps) <= max_points
    assert steps[0] == 0 and steps[-1] == POINTS - 1
    assert steps == sorted(set(steps))


def test_nan_is_never_the_extreme(store: SqlStore, run_id: str) -> None:
    # One bucket around the NaN point: sin rises from step 1950 (first, lowest) to its top at
    # 2042 (highest), then falls to 2050 (last); the NaN at 2000 is neither extreme.
    points = store.get_metric_history_downsampled(
        [run_id], "m", 4, start_step=NAN_STEP - 50, end_step=NAN_STEP + 50
    )

    assert [point.metric.step for point in points] == [1950, 2042, 2050]


def test_small_ranges_come_back_whole(store: SqlStore, run_id: str) -> None:
    assert _steps(store, run_id, 100, start_step=10, end_step=29) == list(range(10, 30))


def test_points_are_exact_and_tagged_with_their_run(store: SqlStore, run_id: str) -> None:
    points = store.get_metric_history_downsampled([run_id], "m", 50)

    assert {point.run_id for point in points} == {run_id}
    for point in points:
        assert point.metric == Metric(
            "m", _value(point.metric.step), 10 + point.metric.step, point.metric.step
        )


def test_runs_come_in_the_order_asked(store: SqlStore, run_id: str) -> None:
    other = store.create_run("0").info.run_id
    store.log_batch(other, metrics=[Metric("m", 1.0, 1, 0)])

    points = store.get_metric_history_downsampled([other, run_id], "m", 8)

    owners = [point.run_id for point in points]
    assert owners == [other] + [run_id] * (len(owners) - 1)


@pytest.mark.parametrize(
    ("max_points", "bounds", "error"),
    [
        (0, {}, InvalidParameter),
        (10, {"start_step": 5, "end_step": 1}, InvalidParameter),
    ],
)
def test_bad_arguments(
    store: SqlStore, run_id: str, max_points: int, bounds: dict[str, int], error: type
) -> None:
    with pytest.raises(error):
        store.get_metric_history_downsampled([run_id], "m", max_points, **bounds)


def test_unknown_run(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        store.get_metric_history_downsampled(["0" * 32], "m", 10)
