"""Metric history reads (SQLite, PostgreSQL): special values survive, pages meet exactly."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from trackstone.entities import Metric
from trackstone.store.sql.store import SqlStore

INF = math.inf
# (value, timestamp, step). Ties on step and timestamp go by the stored value, then the NaN
# flag; NaN is stored as 0.0 with its flag set, so it sorts just after a zero.
POINTS = [
    (math.nan, 5, 1),
    (-0.0, 5, 1),
    (INF, 5, 1),
    (-INF, 5, 1),
    (1.5, 5, 1),
    (0.0, 6, 1),
    (math.nan, 6, 1),
    (-0.0, 1, 2),
    (math.nan, 1, 0),
]
# The same points in history order, each as (step, timestamp, repr of the value).
EXPECTED = [
    (0, 1, "nan"),
    (1, 5, "-inf"),
    (1, 5, "-0.0"),
    (1, 5, "nan"),
    (1, 5, "1.5"),
    (1, 5, "inf"),
    (1, 6, "0.0"),
    (1, 6, "nan"),
    (2, 1, "-0.0"),
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path / 't.db'}"
    else:  # looked up lazily, so that SQLite-only runs never start a cluster
        uri = request.getfixturevalue("postgres_uri")
    sql_store = SqlStore(uri, str(tmp_path / "artifacts"))
    yield sql_store
    sql_store.close()


def _seen(points: list[Metric]) -> list[tuple[int, int, str]]:
    # repr tells -0.0 from 0.0 and shows NaN, which == cannot.
    return [(p.step, p.timestamp, repr(p.value)) for p in points]


@pytest.fixture
def run_id(store: SqlStore) -> str:
    run_id = store.create_run("0").info.run_id
    store.log_batch(run_id, metrics=[Metric("m", v, ts, step) for v, ts, step in POINTS])
    return run_id


def test_one_read_returns_every_value_bit_for_bit_in_order(store: SqlStore, run_id: str) -> None:
    assert _seen(list(store.get_metric_history(run_id, "m"))) == EXPECTED


@pytest.mark.parametrize("page_size", [1, 2, 3, 4])
def test_pages_split_ties_on_special_values_without_loss_or_repeat(
    store: SqlStore, run_id: str, page_size: int
) -> None:
    seen: list[Metric] = []
    token = None
    for _ in range(len(POINTS) + 1):
        page = store.get_metric_history(run_id, "m", max_results=page_size, page_token=token)
        seen.extend(page)
        token = page.token
        if not token:
            break

    assert _seen(seen) == EXPECTED
