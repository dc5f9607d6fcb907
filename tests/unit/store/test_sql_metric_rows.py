"""SqlStore.log_metric_rows (SQLite, PostgreSQL): the bulk path stores what log_batch would."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from trackstone.entities import Metric
from trackstone.errors import InvalidState, NotFound
from trackstone.store.base import BulkMetricStore, MetricPoint
from trackstone.store.sql.store import SqlStore


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path / 't.db'}"
    else:  # looked up lazily, so that SQLite-only runs never start a cluster
        uri = request.getfixturevalue("postgres_uri")
    sql_store = SqlStore(uri, str(tmp_path / "artifacts"))
    yield sql_store
    sql_store.close()


def _history(store: SqlStore, run_id: str, key: str) -> list[tuple[float, int, int]]:
    points = store.get_metric_history(run_id, key, max_results=1_000_000)
    return sorted((p.value, p.timestamp, p.step) for p in points)


def _same(a: float, b: float) -> bool:
    """Equal bit for bit (NaN equals NaN, -0.0 differs from 0.0)."""
    return math.copysign(1.0, a) == math.copysign(1.0, b) and (a == b or (a != a and b != b))


def test_sql_store_has_the_capability(store: SqlStore) -> None:
    assert isinstance(store, BulkMetricStore)


@pytest.mark.parametrize(
    "value",
    [
        0.1,
        1 / 3,
        -2.5,
        5e-324,  # the smallest subnormal
        2.2250738585072014e-308,
        1.7976931348623157e308,
        -1e-300,
        123456789.12345679,
        math.pi * 1e200,
        # These take the row-by-row path (no JSON form, or no sign kept on a stored zero).
        0.0,
        -0.0,
        math.inf,
        -math.inf,
        math.nan,
    ],
)
def test_values_come_back_bit_for_bit(store: SqlStore, value: float) -> None:
    run_id = store.create_run("0").info.run_id
    store.log_metric_rows(run_id, [("m", value, 7, 3), ("m", 1.5, 8, 4)])
    (point, _) = store.get_metric_history(run_id, "m")
    assert _same(point.value, value)
    assert (point.timestamp, point.step) == (7, 3)
    assert _same(store.get_run(run_id).data.metrics["m"], 1.5)


def test_a_resent_call_stores_each_point_once(store: SqlStore) -> None:
    run_id = store.create_run("0").info.run_id
    points: list[MetricPoint] = [("m", i + 0.5, 1_000 + i, i) for i in range(2_500)]
    store.log_metric_rows(run_id, points)
    store.log_metric_rows(run_id, points[1_000:])  # a retry after a lost acknowledgement
    assert _history(store, run_id, "m") == sorted((v, t, s) for _, v, t, s in points)


def test_points_agree_with_log_batch(store: SqlStore) -> None:
    points: list[MetricPoint] = [
        (f"k{i % 3}", (i * 7919 % 101) - 50.25, 10 + i % 4, i % 5) for i in range(60)
    ]
    bulk = store.create_run("0").info.run_id
    batch = store.create_run("0").info.run_id
    store.log_metric_rows(bulk, points)
    store.log_batch(batch, [Metric(*point) for point in points])
    for key in ("k0", "k1", "k2"):
        assert _history(store, bulk, key) == _history(store, batch, key)
    assert store.get_run(bulk).data.metrics == store.get_run(batch).data.metrics


@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        # (value, timestamp, step) of each call's points, and the latest value expected.
        ([[(1.0, 5, 1), (2.0, 5, 1), (0.5, 9, 0)]], 2.0),  # step wins, then greater value
        ([[(1.0, 5, 2)], [(3.0, 9, 1)]], 1.0),  # a later call with an older step loses
        ([[(1.0, 5, 2)], [(3.0, 6, 2)]], 3.0),  # same step: greater timestamp wins
        ([[(1.0, 5, 2)], [(math.nan, 5, 2)]], 1.0),  # NaN is lowest
        ([[(math.nan, 5, 2)], [(-7.0, 5, 2)]], -7.0),
        ([[(4.0, 5, 2)], [(math.inf, 5, 2)]], math.inf),
    ],
)
def test_latest_point_per_key(
    store: SqlStore, calls: list[list[tuple[float, int, int]]], expected: float
) -> None:
    run_id = store.create_run("0").info.run_id
    for call in calls:
        store.log_metric_rows(run_id, [("m", value, ts, step) for value, ts, step in call])
    assert _same(store.get_run(run_id).data.metrics["m"], expected)


def test_refused_for_a_deleted_or_unknown_run(store: SqlStore) -> None:
    run_id = store.create_run("0").info.run_id
    store.delete_run(run_id)
    with pytest.raises(InvalidState):
        store.log_metric_rows(run_id, [("m", 1.0, 1, 1)])
    with pytest.raises(NotFound):
        store.log_metric_rows("0" * 32, [("m", 1.0, 1, 1)])


def test_no_points_is_a_no_op(store: SqlStore) -> None:
    run_id = store.create_run("0").info.run_id
    store.log_metric_rows(run_id, [])
    assert store.get_run(run_id).data.metrics == {}


@pytest.mark.parametrize("count", [1, 19, 20, 21, 2_519, 8_000, 10_021])
def test_every_point_is_stored_once_whatever_the_count(store: SqlStore, count: int) -> None:
    run_id = store.create_run(store.create_experiment("sizes")).info.run_id
    # Two keys interleaved, so chunk boundaries fall between and inside keys.
    points: list[MetricPoint] = [
        (("a", "b")[step % 2], 0.5 + step, 1_000 + step, step) for step in range(count)
    ]
    store.log_metric_rows(run_id, points)
    for key in ("a", "b"):
        expected = sorted((v, ts, step) for k, v, ts, step in points if k == key)
        assert _history(store, run_id, key) == expected
    latest = {m.key: m.step for m in store.get_run(run_id).data.latest_metrics}
    assert latest == {
        key: max(p[3] for p in points if p[0] == key) for key in {p[0] for p in points}
    }
