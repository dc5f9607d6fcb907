"""RegistryStore contract: production metrics of a version and its baseline."""

from __future__ import annotations

import math

import pytest

from trackstone.entities import Metric
from trackstone.entities.registry import Baseline, BaselineOrigin, ProductionMetric
from trackstone.errors import InvalidParameter, NotFound
from trackstone.store.base import TrackingStore
from trackstone.store.registry import (
    PRODUCTION_METRICS_MAX_RESULTS_LIMIT,
    PRODUCTION_METRICS_PER_CALL,
    RegistryStore,
)

P = ProductionMetric


@pytest.fixture
def churn(registry: RegistryStore) -> RegistryStore:
    """The registry with model ``churn`` holding version 1 (no run)."""
    registry.create_registered_model("churn")
    registry.create_model_version("churn", "s3://bucket/1")
    return registry


def test_points_come_back_oldest_first(churn: RegistryStore) -> None:
    churn.log_production_metrics("churn", 1, [P("acc", 0.8, 30), P("acc", 0.9, 10)])
    churn.log_production_metrics("churn", "1", [P("latency", 12.5, 20)])

    assert churn.get_production_metrics("churn", 1) == [
        P("acc", 0.9, 10),
        P("latency", 12.5, 20),
        P("acc", 0.8, 30),
    ]


@pytest.mark.parametrize(
    ("key", "start", "end", "expected"),
    [
        ("acc", None, None, [10, 20, 30]),
        ("latency", None, None, [15]),
        (None, 15, 20, [15, 20]),
        ("acc", 11, None, [20, 30]),
        ("acc", None, 10, [10]),
        ("nope", None, None, []),
    ],
)
def test_reads_by_key_and_time_range(
    churn: RegistryStore, key: str | None, start: int | None, end: int | None, expected: list[int]
) -> None:
    churn.log_production_metrics(
        "churn", 1, [P("acc", 0.9, 10), P("acc", 0.8, 20), P("acc", 0.7, 30), P("latency", 3, 15)]
    )

    found = churn.get_production_metrics("churn", 1, key, start, end)

    assert [point.timestamp for point in found] == expected


def _all_pages(
    registry: RegistryStore, max_results: int, key: str | None = None, start: int | None = None
) -> list[list[ProductionMetric]]:
    pages = []
    token = None
    while True:
        page = registry.get_production_metrics(
            "churn", 1, key, start, None, max_results=max_results, page_token=token
        )
        pages.append(list(page))
        token = page.token
        if token is None:
            return pages


# Same-instant points of several keys and special values, so that every sort column matters.
SERIES = [
    P("acc", 0.9, 10),
    P("acc", math.inf, 10),
    P("acc", -0.5, 10),
    P("acc", math.nan, 10),
    P("latency", 3.0, 10),
    P("acc", 0.8, 20),
    P("latency", -math.inf, 20),
    P("acc", 0.7, 30),
]


@pytest.mark.parametrize(
    ("max_results", "key", "start", "sizes"),
    [
        (1, None, None, [1] * 8),
        (3, None, None, [3, 3, 2]),
        (4, None, None, [4, 4]),
        (8, None, None, [8]),
        (100, None, None, [8]),
        (2, "acc", None, [2, 2, 2]),
        (2, None, 20, [2, 1]),
        (5, "nope", None, [0]),
    ],
)
def test_pages_cover_the_series_once_in_order(
    churn: RegistryStore, max_results: int, key: str | None, start: int | None, sizes: list[int]
) -> None:
    churn.log_production_metrics("churn", 1, SERIES)
    everything = churn.get_production_metrics("churn", 1, key, start)

    pages = _all_pages(churn, max_results, key, start)

    assert [len(page) for page in pages] == sizes
    flat = [point for page in pages for point in page]
    assert [(p.key, p.timestamp, repr(p.value)) for p in flat] == [
        (p.key, p.timestamp, repr(p.value)) for p in everything
    ]
    assert everything.token is None


def test_a_page_token_is_refused_by_another_query(churn: RegistryStore) -> None:
    churn.log_production_metrics("churn", 1, SERIES)
    first = churn.get_production_metrics("churn", 1, max_results=2)
    assert first.token is not None

    with pytest.raises(InvalidParameter, match="page_token"):
        churn.get_production_metrics("churn", 1, key="acc", max_results=2, page_token=first.token)
    with pytest.raises(InvalidParameter, match="page_token"):
        churn.get_production_metrics("churn", 1, max_results=2, page_token="not-a-token")


@pytest.mark.parametrize("max_results", [0, -1, PRODUCTION_METRICS_MAX_RESULTS_LIMIT + 1])
def test_max_results_out_of_range_is_refused(churn: RegistryStore, max_results: int) -> None:
    with pytest.raises(InvalidParameter, match="max_results"):
        churn.get_production_metrics("churn", 1, max_results=max_results)


def test_without_max_results_every_point_comes_back(churn: RegistryStore) -> None:
    # More than one wire page's worth, so a remote store has to page.
    total = PRODUCTION_METRICS_MAX_RESULTS_LIMIT + PRODUCTION_METRICS_PER_CALL
    for first in range(0, total, PRODUCTION_METRICS_PER_CALL):
        batch = [P("acc", 0.5, t) for t in range(first, first + PRODUCTION_METRICS_PER_CALL)]
        churn.log_production_metrics("churn", 1, batch)

    found = churn.get_production_metrics("churn", 1)

    assert [point.timestamp for point in found] == list(range(total))
    assert found.token is None


def test_logging_a_batch_twice_stores_it_once(churn: RegistryStore) -> None:
    batch = [P("acc", 0.9, 10), P("acc", 0.9, 10), P("acc", 0.8, 10)]

    churn.log_production_metrics("churn", 1, batch)
    churn.log_production_metrics("churn", 1, batch)

    assert sorted(p.value for p in churn.get_production_metrics("churn", 1)) == [0.8, 0.9]


@pytest.mark.parametrize("value", [math.inf, -math.inf, -0.0, 1e308, 5e-324])
def test_special_values_round_trip(churn: RegistryStore, value: float) -> None:
    churn.log_production_metrics("churn", 1, [P("acc", value, 1)])

    (point,) = churn.get_production_metrics("churn", 1)

    assert point.value == value
    assert math.copysign(1.0, point.value) == math.copysign(1.0, value)


def test_nan_round_trips_and_is_stored_once(churn: RegistryStore) -> None:
    churn.log_production_metrics("churn", 1, [P("acc", math.nan, 1)])
    churn.log_production_metrics("churn", 1, [P("acc", math.nan, 1)])

    (point,) = churn.get_production_metrics("churn", 1)

    assert math.isnan(point.value)


@pytest.mark.parametrize(
    ("point", "message"),
    [
        (P("", 1.0, 1), "metrics\\[1\\].key"),
        (P("acc", "high", 1), "metrics\\[1\\].value"),  # type: ignore[arg-type]
        (P("acc", 1.0, "soon"), "metrics\\[1\\].timestamp"),  # type: ignore[arg-type]
    ],
)
def test_a_bad_point_refuses_the_whole_batch(
    churn: RegistryStore, point: ProductionMetric, message: str
) -> None:
    with pytest.raises(InvalidParameter, match=message):
        churn.log_production_metrics("churn", 1, [P("acc", 0.5, 1), point])

    assert churn.get_production_metrics("churn", 1) == []


@pytest.mark.parametrize(("name", "version"), [("churn", 2), ("nope", 1)])
def test_monitoring_a_missing_version_is_not_found(
    churn: RegistryStore, name: str, version: int
) -> None:
    with pytest.raises(NotFound):
        churn.log_production_metrics(name, version, [P("acc", 0.5, 1)])
    with pytest.raises(NotFound):
        churn.get_production_metrics(name, version)
    with pytest.raises(NotFound):
        churn.set_model_version_baseline(name, version, {"acc": 0.5})
    with pytest.raises(NotFound):
        churn.get_model_version_baseline(name, version)


# -- baselines -------------------------------------------------------------------------


def test_without_a_run_or_explicit_values_there_is_no_baseline(churn: RegistryStore) -> None:
    assert churn.get_model_version_baseline("churn", 1) == Baseline({}, BaselineOrigin.NONE)


def test_the_baseline_comes_from_the_source_run_then_explicit_values_win(
    store: TrackingStore, churn: RegistryStore
) -> None:
    run_id = store.create_run(store.create_experiment("training")).info.run_id
    store.log_batch(
        run_id,
        metrics=[Metric("acc", 0.5, 0, 0), Metric("acc", 0.91, 1, 1), Metric("f1", 0.8, 0, 0)],
    )
    churn.create_model_version("churn", f"runs:/{run_id}/model")

    from_run = churn.get_model_version_baseline("churn", 2)
    churn.set_model_version_baseline("churn", 2, {"acc": 0.95, "drift": math.inf})
    explicit = churn.get_model_version_baseline("churn", 2)
    churn.set_model_version_baseline("churn", 2, {})
    cleared = churn.get_model_version_baseline("churn", 2)

    assert from_run == Baseline({"acc": 0.91, "f1": 0.8}, BaselineOrigin.SOURCE_RUN)
    assert explicit == Baseline({"acc": 0.95, "drift": math.inf}, BaselineOrigin.EXPLICIT)
    assert cleared == from_run


def test_a_baseline_is_replaced_not_merged(churn: RegistryStore) -> None:
    churn.set_model_version_baseline("churn", 1, {"acc": 0.9, "f1": 0.7})

    churn.set_model_version_baseline("churn", 1, {"acc": 0.8})

    assert dict(churn.get_model_version_baseline("churn", 1).metrics) == {"acc": 0.8}


@pytest.mark.parametrize(("metrics", "message"), [({"": 1.0}, "metrics"), ({"acc": "high"}, "acc")])
def test_a_bad_baseline_is_refused_and_the_old_one_kept(
    churn: RegistryStore, metrics: dict[str, object], message: str
) -> None:
    churn.set_model_version_baseline("churn", 1, {"acc": 0.9})

    with pytest.raises(InvalidParameter, match=message):
        churn.set_model_version_baseline("churn", 1, metrics)  # type: ignore[arg-type]

    assert dict(churn.get_model_version_baseline("churn", 1).metrics) == {"acc": 0.9}


def test_a_batch_of_the_shared_limit_is_stored(churn: RegistryStore) -> None:
    batch = [P("acc", 0.5, timestamp) for timestamp in range(PRODUCTION_METRICS_PER_CALL)]

    churn.log_production_metrics("churn", 1, batch)

    assert len(churn.get_production_metrics("churn", 1)) == PRODUCTION_METRICS_PER_CALL


def test_a_batch_above_the_shared_limit_is_refused_whole(churn: RegistryStore) -> None:
    batch = [P("acc", 0.5, timestamp) for timestamp in range(PRODUCTION_METRICS_PER_CALL + 1)]

    with pytest.raises(InvalidParameter, match=f"at most {PRODUCTION_METRICS_PER_CALL} points"):
        churn.log_production_metrics("churn", 1, batch)

    assert churn.get_production_metrics("churn", 1) == []
