"""The benchmark workload: sizes, seeded data every system receives, and timing statistics.

Standard library only: the MLflow driver imports this module from MLflow's own venv.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SEED = 20240611
BATCH_SIZE = 1000
PAGE_SIZE = 1000
BASE_TIMESTAMP_MS = 1_700_000_000_000
# The run id of the floor server's canned answers (floor_server.py, floor_client_driver.py).
FLOOR_RUN_ID = "f" * 32

FILTER_METRIC_PARAM = "metrics.m0 > 0.5 and params.p1 = 'v3'"
ORDER_METRIC = "metrics.m0 DESC"
FILTER_TAG_LIKE = "tags.t0 LIKE 'group-1%'"


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does."""

    log_metric_calls: int  # Trackstone and the floor: calls timed one by one
    log_metric_calls_mlflow: int  # MLflow's call is a database round trip: fewer of them
    ingest_points: int  # sustained ingest, until stored
    ingest_points_mlflow: int
    batches: int  # log_batch calls of BATCH_SIZE metrics
    batches_mlflow: int
    runs_created: int
    runs_created_mlflow: int
    search_runs: int  # runs populated for the search measurements
    history_points: int  # points of the single metric whose history is read
    repeats: int  # each search / history read is repeated; the median is reported
    ingest_rounds: int  # extra ingest runs of the floor and Trackstone, taking turns

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


FULL = Sizes(
    log_metric_calls=100_000,
    log_metric_calls_mlflow=2_000,
    ingest_points=200_000,
    ingest_points_mlflow=2_000,
    batches=200,
    batches_mlflow=20,
    runs_created=2_000,
    runs_created_mlflow=300,
    search_runs=5_000,
    history_points=100_000,
    repeats=3,
    ingest_rounds=5,
)
QUICK = Sizes(
    log_metric_calls=5_000,
    log_metric_calls_mlflow=200,
    ingest_points=10_000,
    ingest_points_mlflow=200,
    batches=10,
    batches_mlflow=3,
    runs_created=100,
    runs_created_mlflow=30,
    search_runs=300,
    history_points=5_000,
    repeats=2,
    ingest_rounds=2,
)


def sizes_for(quick: bool) -> Sizes:
    """Return the quick or the full sizes."""
    return QUICK if quick else FULL


@dataclass(frozen=True)
class SearchRun:
    """One run of the search population: 10 params, 5 metrics, 3 tags."""

    name: str
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]


def search_population(count: int, seed: int = SEED) -> list[SearchRun]:
    """Generate the runs every system stores before the search measurements."""
    rng = random.Random(seed)
    runs = []
    for index in range(count):
        runs.append(
            SearchRun(
                name=f"run-{index:05d}",
                params={f"p{k}": f"v{rng.randrange(10)}" for k in range(10)},
                metrics={f"m{k}": rng.random() for k in range(5)},
                tags={f"t{k}": f"group-{rng.randrange(20)}" for k in range(3)},
            )
        )
    return runs


def metric_points(count: int, seed: int = SEED + 1) -> list[tuple[float, int, int]]:
    """Generate ``(value, timestamp_ms, step)`` points of one metric, steps 0..count-1."""
    rng = random.Random(seed)
    return [(rng.random(), BASE_TIMESTAMP_MS + step, step) for step in range(count)]


def chunks(items: list[Any], size: int = BATCH_SIZE) -> Iterator[list[Any]]:
    """Yield consecutive slices of ``items`` of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def call_stats_us(durations_ns: list[int]) -> dict[str, float]:
    """Return median, p99 and mean of per-call durations, in microseconds."""
    ordered = sorted(durations_ns)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "median_us": statistics.median(ordered) / 1000,
        "p99_us": p99 / 1000,
        "mean_us": statistics.fmean(ordered) / 1000,
        "calls": len(ordered),
    }


def time_per_call(calls: int, call: Callable[[int], None]) -> list[int]:
    """Call ``call(i)`` for i in range(calls) and return each call's duration in ns."""
    clock = time.perf_counter_ns
    durations = [0] * calls
    for i in range(calls):
        start = clock()
        call(i)
        durations[i] = clock() - start
    return durations


def median_ms(repeats: int, action: Callable[[], object]) -> tuple[float, object]:
    """Run ``action`` once to warm up, then ``repeats`` times; return the median ms and result.

    The warm-up call pays one-time costs (lazy imports such as pandas, statement caches) that a
    long-lived process would not pay on every query.
    """
    result = action()
    durations = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = action()
        durations.append((time.perf_counter() - start) * 1000)
    return statistics.median(durations), result


def database_bytes(path: Path) -> int:
    """Checkpoint a SQLite file's WAL and return the size of the database on disk."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return sum(
        candidate.stat().st_size for candidate in (path, Path(f"{path}-wal")) if candidate.exists()
    )


def sqlite_path(uri: str) -> Path:
    """Return the file of a ``sqlite:///`` URI."""
    return Path(uri[len("sqlite:///") :])


def emit(result: dict[str, Any]) -> None:
    """Print the driver's results as one JSON document on stdout (the runner parses it)."""
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def driver_args() -> tuple[Path, Sizes, bool]:
    """Parse a driver's command line: ``WORK_DIR [--quick] [--ingest-only]``.

    With ``--ingest-only`` the driver measures sustained ingest alone (``run.py`` has the floor
    and Trackstone take turns at it).
    """
    parser = argparse.ArgumentParser()
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--ingest-only", action="store_true")
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    return args.work_dir, sizes_for(args.quick), args.ingest_only
