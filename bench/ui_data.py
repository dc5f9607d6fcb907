"""The UI benchmark's data: seeded runs and one long metric, written into either server's SQLite.

Filling 100,000 runs through either server's API takes many minutes (about 100 runs/s through
Trackstone's store, fewer through MLflow's), so the runs are written straight into each
server's own SQLite schema with ``sqlite3.executemany``, in one transaction, after the server
created that schema and the experiment (through its REST API). Both servers get the same rows
from the same generator: the same run ids, names, times, users, params, tags and latest metric
values. Each metric has one point (the last epoch's), stored both as a history point and as the
run's latest value, which is what a runs table shows and sorts by.

The long metric's run is created through the REST API; its points go in through Trackstone's
bulk store path (``SqlStore.log_metric_rows``) and through ``executemany`` into MLflow's
``metrics`` and ``latest_metrics`` tables. Standard library only, apart from the Trackstone
store imported inside the one function that uses it.
"""

from __future__ import annotations

import math
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BASE_TIME_MS",
    "CHART_METRIC",
    "CHART_SPIKE",
    "FINAL_STEP",
    "METRIC_KEYS",
    "SORT_METRIC",
    "UiRun",
    "chart_points",
    "expected_first",
    "generate_runs",
    "write_mlflow_points",
    "write_mlflow_runs",
    "write_trackstone_points",
    "write_trackstone_runs",
]

SEED = 20_261_126
BASE_TIME_MS = 1_760_000_000_000
RUN_SPACING_MS = 60_000
FINAL_STEP = 49
METRIC_KEYS = ("accuracy", "loss", "val_accuracy", "val_loss")
SORT_METRIC = "loss"
CHART_METRIC = "grad_norm"
CHART_SPIKE = 100.0  # one point far above the curve: a chart that keeps extremes shows it
_USERS = ("alice", "bob", "carol", "dmitri", "eun-ji")
_OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
_DATASETS = ("cifar10", "cifar100", "imagenet-64")
_SOURCE = "train.py"
_CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class UiRun:
    """One finished run: identity, times, params, user tags and latest metric values."""

    run_id: str
    name: str
    user: str
    start_time_ms: int
    end_time_ms: int
    params: tuple[tuple[str, str], ...]
    tags: tuple[tuple[str, str], ...]
    metrics: tuple[tuple[str, float], ...]

    def system_tags(self) -> tuple[tuple[str, str], ...]:
        """The tags an MLflow-compatible client writes for every run."""
        return (
            ("mlflow.runName", self.name),
            ("mlflow.user", self.user),
            ("mlflow.source.name", _SOURCE),
            ("mlflow.source.type", "LOCAL"),
        )


def generate_runs(count: int, label: str) -> list[UiRun]:
    """Return ``count`` runs, the same for the same ``count`` and ``label`` on every system.

    Run ``i`` starts ``i`` minutes after BASE_TIME_MS, so the newest run (the first row of a
    runs table in its default order) is the last one. Metric values are distinct floats.
    """
    rng = random.Random(f"{SEED}-{label}-{count}")
    runs = []
    for i in range(count):
        lr = 10 ** rng.uniform(-5, -1)
        loss = rng.uniform(0.05, 2.5)
        accuracy = max(0.0, min(1.0, 1.0 - loss / 3 + rng.gauss(0, 0.02)))
        start = BASE_TIME_MS + i * RUN_SPACING_MS
        runs.append(
            UiRun(
                run_id=f"{rng.getrandbits(128):032x}",
                name=f"{label}-{i:06d}",
                user=_USERS[i % len(_USERS)],
                start_time_ms=start,
                end_time_ms=start + rng.randint(30_000, 3_600_000),
                params=(
                    ("lr", f"{lr:.6g}"),
                    ("batch_size", str(2 ** rng.randint(4, 9))),
                    ("optimizer", rng.choice(_OPTIMIZERS)),
                    ("layers", str(rng.randint(2, 48))),
                    ("dropout", f"{rng.uniform(0, 0.5):.3f}"),
                ),
                tags=(("dataset", rng.choice(_DATASETS)), ("team", f"team-{i % 7}")),
                metrics=(
                    ("accuracy", accuracy),
                    ("loss", loss),
                    ("val_accuracy", max(0.0, accuracy - rng.uniform(0, 0.05))),
                    ("val_loss", loss + rng.uniform(0, 0.3)),
                ),
            )
        )
    return runs


def expected_first(runs: list[UiRun], metric: str, ascending: bool) -> UiRun:
    """Return the run a table sorted by ``metric`` shows first."""
    by_value = sorted(runs, key=lambda run: dict(run.metrics)[metric], reverse=not ascending)
    return by_value[0]


def chart_points(count: int) -> Iterator[tuple[str, float, int, int]]:
    """Yield ``(key, value, timestamp_ms, step)`` of the long metric: a noisy decay, one spike."""
    rng = random.Random(f"{SEED}-chart")
    spike = count * 2 // 3
    for step in range(count):
        value = 5.0 * math.exp(-step / (count / 4)) + 0.5 + rng.random() * 0.3
        if step == spike:
            value = CHART_SPIKE
        yield (CHART_METRIC, value, BASE_TIME_MS + step * 10, step)


def _chunks(rows: Iterator[tuple[object, ...]]) -> Iterator[list[tuple[object, ...]]]:
    chunk: list[tuple[object, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == _CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(connection: sqlite3.Connection, sql: str, rows: Iterator[tuple[object, ...]]) -> None:
    for chunk in _chunks(rows):
        connection.executemany(sql, chunk)


def _artifact_location(connection: sqlite3.Connection, experiment_id: str) -> str:
    found = connection.execute(
        "SELECT artifact_location FROM experiments WHERE experiment_id = ?", (int(experiment_id),)
    ).fetchone()
    if found is None:
        raise LookupError(f"experiment {experiment_id} is not in the database")
    return str(found[0]).rstrip("/")


def write_trackstone_runs(database: Path, experiment_id: str, runs: list[UiRun]) -> None:
    """Insert ``runs`` into Trackstone's schema (runs, params, tags, metrics, latest_metrics)."""
    connection = sqlite3.connect(database, timeout=60)
    try:
        with connection:
            location = _artifact_location(connection, experiment_id)
            connection.executemany(
                "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, "
                "end_time, artifact_uri, lifecycle_stage, deleted_time, deleted_with_experiment) "
                "VALUES (?, ?, ?, ?, 'FINISHED', ?, ?, ?, 'active', NULL, 0)",
                [
                    (
                        run.run_id,
                        run.name,
                        int(experiment_id),
                        run.user,
                        run.start_time_ms,
                        run.end_time_ms,
                        f"{location}/{run.run_id}/artifacts",
                    )
                    for run in runs
                ],
            )
            keys = dict(
                connection.execute(
                    "SELECT run_uuid, run_pk FROM runs WHERE experiment_id = ?",
                    (int(experiment_id),),
                ).fetchall()
            )
            _insert(
                connection,
                "INSERT INTO params (run_pk, key, value) VALUES (?, ?, ?)",
                ((keys[run.run_id], k, v) for run in runs for k, v in run.params),
            )
            _insert(
                connection,
                "INSERT INTO tags (run_pk, key, value) VALUES (?, ?, ?)",
                (
                    (keys[run.run_id], k, v)
                    for run in runs
                    for k, v in (*run.system_tags(), *run.tags)
                ),
            )
            _insert(
                connection,
                "INSERT INTO metrics (run_pk, key, step, timestamp, value, is_nan, "
                "is_negative_zero) VALUES (?, ?, ?, ?, ?, 0, 0)",
                (
                    (keys[run.run_id], k, FINAL_STEP, run.end_time_ms, v)
                    for run in runs
                    for k, v in run.metrics
                ),
            )
            _insert(
                connection,
                "INSERT INTO latest_metrics (run_pk, key, value, is_nan, is_negative_zero, "
                "timestamp, step) VALUES (?, ?, ?, 0, 0, ?, ?)",
                (
                    (keys[run.run_id], k, v, run.end_time_ms, FINAL_STEP)
                    for run in runs
                    for k, v in run.metrics
                ),
            )
    finally:
        connection.close()


def write_mlflow_runs(database: Path, experiment_id: str, runs: list[UiRun]) -> None:
    """Insert ``runs`` into MLflow's schema (runs, params, tags, metrics, latest_metrics)."""
    connection = sqlite3.connect(database, timeout=60)
    try:
        with connection:
            location = _artifact_location(connection, experiment_id)
            connection.executemany(
                "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
                "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
                "artifact_uri, experiment_id, deleted_time) "
                "VALUES (?, ?, 'LOCAL', ?, '', ?, 'FINISHED', ?, ?, '', 'active', ?, ?, NULL)",
                [
                    (
                        run.run_id,
                        run.name,
                        _SOURCE,
                        run.user,
                        run.start_time_ms,
                        run.end_time_ms,
                        f"{location}/{run.run_id}/artifacts",
                        int(experiment_id),
                    )
                    for run in runs
                ],
            )
            _insert(
                connection,
                "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                ((k, v, run.run_id) for run in runs for k, v in run.params),
            )
            _insert(
                connection,
                "INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
                ((k, v, run.run_id) for run in runs for k, v in (*run.system_tags(), *run.tags)),
            )
            _insert(
                connection,
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                "VALUES (?, ?, ?, ?, ?, 0)",
                (
                    (k, v, run.end_time_ms, run.run_id, FINAL_STEP)
                    for run in runs
                    for k, v in run.metrics
                ),
            )
            _insert(
                connection,
                "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
                "VALUES (?, ?, ?, ?, 0, ?)",
                (
                    (k, v, run.end_time_ms, FINAL_STEP, run.run_id)
                    for run in runs
                    for k, v in run.metrics
                ),
            )
    finally:
        connection.close()


def write_trackstone_points(database: Path, run_id: str, count: int) -> None:
    """Store the long metric's ``count`` points through ``SqlStore.log_metric_rows``."""
    from trackstone.store.resolve import store_for_uri

    store = store_for_uri(f"sqlite:///{database}", str(database.parent / "artifacts"))
    try:
        points = [
            (key, value, timestamp, step) for key, value, timestamp, step in chart_points(count)
        ]
        store.log_metric_rows(run_id, points)
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            close()


def write_mlflow_points(database: Path, run_id: str, count: int) -> None:
    """Insert the long metric's ``count`` points and its latest value into MLflow's tables."""
    connection = sqlite3.connect(database, timeout=60)
    last: tuple[str, float, int, int] | None = None
    try:
        with connection:

            def rows() -> Iterator[tuple[object, ...]]:
                nonlocal last
                for point in chart_points(count):
                    last = point
                    key, value, timestamp, step = point
                    yield (key, value, timestamp, run_id, step)

            _insert(
                connection,
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                "VALUES (?, ?, ?, ?, ?, 0)",
                rows(),
            )
            if last is not None:
                key, value, timestamp, step = last
                connection.execute(
                    "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
                    "VALUES (?, ?, ?, ?, 0, ?)",
                    (key, value, timestamp, step, run_id),
                )
    finally:
        connection.close()
