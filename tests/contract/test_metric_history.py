"""TrackingStore contract: the latest-metric rule, paginated history, downsampled history."""

from __future__ import annotations

import math
import random

import pytest

from support.tracking import all_history, all_pages, float_bits
from trackstone.entities import Metric
from trackstone.errors import InvalidParameter, NotFound
from trackstone.store.base import METRIC_HISTORY_MAX_RESULTS_LIMIT, TrackingStore

Point = tuple[int, int, float]  # (step, timestamp, value)


@pytest.fixture
def experiment_id(store: TrackingStore) -> str:
    return store.create_experiment("exp")


@pytest.fixture
def run_id(store: TrackingStore, experiment_id: str) -> str:
    return store.create_run(experiment_id).info.run_id


LATEST_CASES: list[tuple[str, list[Point], Point]] = [
    ("greater-step-beats-newer-timestamp", [(0, 100, 1.0), (1, 50, 2.0)], (1, 50, 2.0)),
    ("lower-step-logged-later-loses", [(1, 50, 2.0), (0, 100, 1.0)], (1, 50, 2.0)),
    ("same-step-newest-timestamp", [(3, 100, 1.0), (3, 200, 5.0), (3, 150, 9.0)], (3, 200, 5.0)),
    ("nan-can-be-latest", [(5, 100, math.nan), (2, 300, 1.0)], (5, 100, math.nan)),
    ("inf-is-a-value", [(1, 1, -math.inf), (0, 2, 7.0)], (1, 1, -math.inf)),
    ("negative-steps", [(-1, 10, 1.0), (-5, 20, 2.0)], (-1, 10, 1.0)),
    ("single", [(0, 0, 0.5)], (0, 0, 0.5)),
]


@pytest.mark.parametrize("one_batch", [False, True], ids=["separate-calls", "one-batch"])
@pytest.mark.parametrize(
    ("points", "expected"),
    [(points, expected) for _, points, expected in LATEST_CASES],
    ids=[name for name, _, _ in LATEST_CASES],
)
def test_latest_metric_is_greatest_step_then_timestamp(
    store: TrackingStore, run_id: str, points: list[Point], expected: Point, one_batch: bool
) -> None:
    metrics = [Metric("m", value, timestamp, step) for step, timestamp, value in points]
    if one_batch:
        store.log_batch(run_id, metrics=metrics)
    else:
        for metric in metrics:
            store.log_metric(run_id, metric)

    (latest,) = store.get_run(run_id).data.latest_metrics

    step, timestamp, value = expected
    assert (latest.key, latest.step, latest.timestamp) == ("m", step, timestamp)
    assert float_bits(latest.value) == float_bits(value)


def test_latest_metric_is_kept_per_key(store: TrackingStore, run_id: str) -> None:
    store.log_batch(
        run_id,
        metrics=[Metric("a", 1.0, 5, 1), Metric("b", 2.0, 1, 9), Metric("a", 3.0, 1, 0)],
    )

    latest = sorted(store.get_run(run_id).data.latest_metrics, key=lambda m: m.key)

    assert latest == [Metric("a", 1.0, 5, 1), Metric("b", 2.0, 1, 9)]


def _shuffled_points(count: int, seed: int = 7) -> list[Metric]:
    rng = random.Random(seed)
    points = [
        Metric("loss", rng.uniform(-1, 1), 1_000 + rng.randrange(5), i // 3) for i in range(count)
    ]
    rng.shuffle(points)
    return points


def _history_key(point: Metric) -> tuple[int, int]:
    return (point.step, point.timestamp)


def _full_key(point: Metric) -> tuple[int, int, float]:
    return (point.step, point.timestamp, point.value)


def test_history_is_ordered_by_step_then_timestamp(store: TrackingStore, run_id: str) -> None:
    points = _shuffled_points(60)
    store.log_batch(run_id, metrics=points[:30])
    store.log_batch(run_id, metrics=points[30:])

    history = all_history(store, run_id, "loss")

    assert [_history_key(p) for p in history] == sorted(_history_key(p) for p in points)
    assert sorted(history, key=_full_key) == sorted(points, key=_full_key)


@pytest.mark.parametrize("page_size", [1, 2, 7, 10, 57, 58, 1000])
def test_history_pages_cover_every_point_once(
    store: TrackingStore, run_id: str, page_size: int
) -> None:
    points = _shuffled_points(57)
    store.log_batch(run_id, metrics=points)
    everything = list(store.get_metric_history(run_id, "loss", max_results=1000))

    pages = all_pages(lambda token: store.get_metric_history(run_id, "loss", page_size, token))

    assert all(len(page) <= page_size for page in pages)
    assert all(pages[:-1]), "only the last page may be empty"
    paged = [p for page in pages for p in page]
    assert [_history_key(p) for p in paged] == sorted(_history_key(p) for p in points)
    assert sorted(paged, key=_full_key) == sorted(everything, key=_full_key)
    assert len(everything) == 57


def test_history_without_max_results_returns_every_point(store: TrackingStore, run_id: str) -> None:
    points = [Metric("loss", float(i), i, i) for i in range(2_500)]
    for start in range(0, len(points), 1000):
        store.log_batch(run_id, metrics=points[start : start + 1000])

    assert all_history(store, run_id, "loss") == points


def test_history_of_one_key_of_one_run(store: TrackingStore, experiment_id: str) -> None:
    run_a = store.create_run(experiment_id).info.run_id
    run_b = store.create_run(experiment_id).info.run_id
    store.log_batch(run_a, metrics=[Metric("loss", 1.0, 1), Metric("loss2", 2.0, 1)])
    store.log_batch(run_b, metrics=[Metric("loss", 3.0, 1)])

    assert all_history(store, run_a, "loss") == [Metric("loss", 1.0, 1)]
    assert all_history(store, run_b, "loss") == [Metric("loss", 3.0, 1)]


def test_history_of_a_deleted_run_stays_readable(store: TrackingStore, run_id: str) -> None:
    points = [Metric("loss", float(i), i, i) for i in range(5)]
    store.log_batch(run_id, metrics=points)

    store.delete_run(run_id)

    assert all_history(store, run_id, "loss") == points
    sampled = store.get_metric_history_downsampled([run_id], "loss", max_points=100)
    assert [item.metric for item in sampled] == points


def test_history_of_unknown_key_is_empty(store: TrackingStore, run_id: str) -> None:
    store.log_metric(run_id, Metric("loss", 1.0, 1))

    page = store.get_metric_history(run_id, "nope")

    assert list(page) == []
    assert not page.token


def test_history_of_missing_run_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.get_metric_history("0" * 32, "loss")


@pytest.mark.parametrize("max_results", [0, -1, METRIC_HISTORY_MAX_RESULTS_LIMIT + 1])
def test_history_max_results_out_of_bounds(
    store: TrackingStore, run_id: str, max_results: int
) -> None:
    with pytest.raises(InvalidParameter, match="max_results"):
        store.get_metric_history(run_id, "loss", max_results=max_results)


def test_history_bad_page_token(store: TrackingStore, run_id: str) -> None:
    store.log_batch(run_id, metrics=[Metric("loss", float(i), i, i) for i in range(5)])
    token = store.get_metric_history(run_id, "loss", max_results=2).token
    assert token

    for bad in ["garbage", token[:-3], token[::-1]]:
        with pytest.raises(InvalidParameter):
            store.get_metric_history(run_id, "loss", max_results=2, page_token=bad)


# -- downsampled history ------------------------------------------------------------------


def _bound(max_points: int) -> int:
    """Return the most points per run the docstring's "at most about max_points" allows."""
    return int(max_points * 1.1) + 4


def _spiky_series(count: int) -> list[Metric]:
    points = [Metric("loss", math.sin(i / 50), 1_000 + i, i) for i in range(count)]
    points[537] = Metric("loss", 100.0, 1_537, 537)
    points[612] = Metric("loss", -50.0, 1_612, 612)
    return points


def _log(store: TrackingStore, run_id: str, points: list[Metric]) -> None:
    for start in range(0, len(points), 1000):
        store.log_batch(run_id, metrics=points[start : start + 1000])


@pytest.mark.parametrize("max_points", [10, 50, 200])
def test_downsampled_is_bounded_and_keeps_spikes_and_ends(
    store: TrackingStore, run_id: str, max_points: int
) -> None:
    points = _spiky_series(1_000)
    _log(store, run_id, points)

    sampled = store.get_metric_history_downsampled([run_id], "loss", max_points=max_points)

    # A chart needs more than the ends and the extremes: buckets must follow the series.
    assert max(4, max_points // 4) <= len(sampled) <= _bound(max_points)
    assert all(item.run_id == run_id for item in sampled)
    kept = [item.metric for item in sampled]
    assert set(kept) <= set(points), "only real points are returned"
    assert kept == sorted(kept, key=_history_key)
    assert len(set(kept)) == len(kept), "no point twice"
    assert points[537] in kept and points[612] in kept
    assert points[0] in kept and points[-1] in kept


def test_downsampled_returns_everything_when_it_fits(store: TrackingStore, run_id: str) -> None:
    points = _spiky_series(1_000)[:40]
    _log(store, run_id, points)

    sampled = store.get_metric_history_downsampled([run_id], "loss", max_points=100)

    assert [item.metric for item in sampled] == points


@pytest.mark.parametrize(
    ("start_step", "end_step", "max_points", "expected_steps"),
    [
        (100, 199, 1_000, list(range(100, 200))),
        (None, 9, 1_000, list(range(10))),
        (990, None, 1_000, list(range(990, 1_000))),
        (500, 500, 10, [500]),
        (2_000, 3_000, 10, []),
    ],
)
def test_downsampled_step_range(
    store: TrackingStore,
    run_id: str,
    start_step: int | None,
    end_step: int | None,
    max_points: int,
    expected_steps: list[int],
) -> None:
    _log(store, run_id, _spiky_series(1_000))

    sampled = store.get_metric_history_downsampled(
        [run_id], "loss", max_points=max_points, start_step=start_step, end_step=end_step
    )

    assert [item.metric.step for item in sampled] == expected_steps


def test_downsampled_range_is_bounded_and_keeps_spike(store: TrackingStore, run_id: str) -> None:
    points = _spiky_series(1_000)
    _log(store, run_id, points)

    sampled = store.get_metric_history_downsampled(
        [run_id], "loss", max_points=20, start_step=400, end_step=700
    )

    steps = [item.metric.step for item in sampled]
    assert all(400 <= step <= 700 for step in steps)
    assert len(sampled) <= _bound(20)
    assert {537, 612} <= set(steps)


def test_downsampled_several_runs_in_the_order_asked(
    store: TrackingStore, experiment_id: str
) -> None:
    run_a = store.create_run(experiment_id).info.run_id
    run_b = store.create_run(experiment_id).info.run_id
    run_empty = store.create_run(experiment_id).info.run_id
    _log(store, run_a, _spiky_series(1_000))
    _log(store, run_b, [Metric("loss", float(i), i, i) for i in range(30)])
    store.log_metric(run_empty, Metric("other", 1.0, 1))

    sampled = store.get_metric_history_downsampled([run_b, run_empty, run_a], "loss", 50)

    run_order = [item.run_id for item in sampled]
    first_a = run_order.index(run_a)
    assert run_order == [run_b] * first_a + [run_a] * (len(run_order) - first_a)
    assert [item.metric.step for item in sampled[:first_a]] == list(range(30))
    assert len(sampled) - first_a <= _bound(50)


def test_downsampled_keeps_nan_and_inf_points(store: TrackingStore, run_id: str) -> None:
    points = [Metric("loss", 1.0, i, i) for i in range(500)]
    points[100] = Metric("loss", math.inf, 100, 100)
    points[200] = Metric("loss", -math.inf, 200, 200)
    _log(store, run_id, points)

    sampled = store.get_metric_history_downsampled([run_id], "loss", max_points=20)

    values = [item.metric.value for item in sampled]
    assert math.inf in values and -math.inf in values
