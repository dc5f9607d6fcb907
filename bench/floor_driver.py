"""Benchmark driver for the floor: raw ``sqlite3.executemany`` of the same rows; prints JSON.

The floor is what SQLite itself costs for the same rows in a minimal table with the same
pragmas as Trackstone (WAL, synchronous=NORMAL) and no indexes: nothing can store faster.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from workload import (
    BATCH_SIZE,
    Sizes,
    call_stats_us,
    chunks,
    database_bytes,
    driver_args,
    emit,
    metric_points,
    time_per_call,
)

_SCHEMA = """
CREATE TABLE metrics (run_id TEXT, key TEXT, value REAL, timestamp INTEGER, step INTEGER);
CREATE TABLE runs (run_id TEXT, experiment_id INTEGER, name TEXT, start_time INTEGER);
"""
_INSERT_METRIC = "INSERT INTO metrics VALUES (?, ?, ?, ?, ?)"


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.executescript(_SCHEMA)
    return connection


def _rows(run_id: str, key: str, count: int) -> list[tuple[str, str, float, int, int]]:
    return [(run_id, key, v, ts, step) for v, ts, step in metric_points(count)]


def _log_metric(connection: sqlite3.Connection, sizes: Sizes) -> dict[str, Any]:
    rows = _rows("call", "loss", sizes.log_metric_calls_mlflow)

    def insert(i: int) -> None:
        connection.execute("BEGIN")
        connection.execute(_INSERT_METRIC, rows[i])
        connection.execute("COMMIT")

    return call_stats_us(time_per_call(len(rows), insert))


def _ingest(connection: sqlite3.Connection, sizes: Sizes) -> dict[str, Any]:
    rows = _rows("ingest", "loss", sizes.ingest_points)
    start = time.perf_counter()
    connection.execute("BEGIN")
    connection.executemany(_INSERT_METRIC, rows)
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - start
    return {"points": len(rows), "stored": len(rows), "points_per_s": len(rows) / elapsed}


def _log_batch(connection: sqlite3.Connection, sizes: Sizes) -> dict[str, Any]:
    rows = _rows("batch", "b", sizes.batches * BATCH_SIZE)
    start = time.perf_counter()
    for chunk in chunks(rows):
        connection.execute("BEGIN")
        connection.executemany(_INSERT_METRIC, chunk)
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - start
    return {"points": len(rows), "points_per_s": len(rows) / elapsed}


def _create_runs(connection: sqlite3.Connection, sizes: Sizes) -> dict[str, Any]:
    count = sizes.runs_created
    start = time.perf_counter()
    for index in range(count):
        connection.execute("BEGIN")
        connection.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?)", (f"{index:032x}", 1, f"run-{index}", index)
        )
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - start
    return {"runs": count, "runs_per_s": count / elapsed}


def _bytes_per_point(path: Path, sizes: Sizes) -> dict[str, Any]:
    connection = _connect(path)
    try:
        before = database_bytes(path)
        connection.execute("BEGIN")
        connection.executemany(_INSERT_METRIC, _rows("history", "h", sizes.history_points))
        connection.execute("COMMIT")
    finally:
        connection.close()
    return {"bytes_per_point": (database_bytes(path) - before) / sizes.history_points}


def main() -> None:
    work_dir, sizes, ingest_only = driver_args()
    connection = _connect(work_dir / "floor.db")
    results: dict[str, Any] = {"system": "floor", "version": sqlite3.sqlite_version}
    if ingest_only:
        results["ingest"] = _ingest(connection, sizes)
        connection.close()
        emit(results)
        return
    try:
        results["log_metric"] = _log_metric(connection, sizes)
        results["ingest"] = _ingest(connection, sizes)
        results["log_batch"] = _log_batch(connection, sizes)
        results["create_runs"] = _create_runs(connection, sizes)
    finally:
        connection.close()
    results["history"] = _bytes_per_point(work_dir / "floor-history.db", sizes)
    emit(results)


if __name__ == "__main__":
    main()
