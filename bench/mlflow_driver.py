"""Benchmark driver for MLflow's embedded SQLite store: runs in bench/.mlflow-venv, prints JSON."""

from __future__ import annotations

import logging
import time
import warnings
from typing import Any

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from workload import (
    BASE_TIMESTAMP_MS,
    BATCH_SIZE,
    FILTER_METRIC_PARAM,
    FILTER_TAG_LIKE,
    ORDER_METRIC,
    PAGE_SIZE,
    Sizes,
    call_stats_us,
    chunks,
    database_bytes,
    driver_args,
    emit,
    median_ms,
    metric_points,
    search_population,
    sqlite_path,
    time_per_call,
)


def _log_metric(client: MlflowClient, sizes: Sizes) -> dict[str, Any]:
    points = metric_points(sizes.log_metric_calls_mlflow)
    mlflow.set_experiment("log-metric")
    with mlflow.start_run():
        durations = time_per_call(
            len(points), lambda i: mlflow.log_metric("loss", points[i][0], step=points[i][2])
        )
    return call_stats_us(durations)


def _ingest(client: MlflowClient, sizes: Sizes) -> dict[str, Any]:
    points = metric_points(sizes.ingest_points_mlflow)
    mlflow.set_experiment("ingest")
    start = time.perf_counter()
    with mlflow.start_run() as run:
        for value, _, step in points:
            mlflow.log_metric("loss", value, step=step)
    elapsed = time.perf_counter() - start
    stored = len(client.get_metric_history(run.info.run_id, "loss"))
    return {"points": len(points), "stored": stored, "points_per_s": len(points) / elapsed}


def _log_batch(client: MlflowClient, experiment_id: str, sizes: Sizes) -> dict[str, Any]:
    run_id = client.create_run(experiment_id).info.run_id
    points = metric_points(sizes.batches_mlflow * BATCH_SIZE)
    batches = [
        [Metric(f"b{step % 10}", value, timestamp, step) for value, timestamp, step in chunk]
        for chunk in chunks(points)
    ]
    start = time.perf_counter()
    for batch in batches:
        client.log_batch(run_id, metrics=batch)
    elapsed = time.perf_counter() - start
    return {"points": len(points), "points_per_s": len(points) / elapsed}


def _create_runs(client: MlflowClient, experiment_id: str, sizes: Sizes) -> dict[str, Any]:
    count = sizes.runs_created_mlflow
    start = time.perf_counter()
    for _ in range(count):
        client.create_run(experiment_id)
    elapsed = time.perf_counter() - start
    return {"runs": count, "runs_per_s": count / elapsed}


def _populate(client: MlflowClient, experiment_id: str, sizes: Sizes) -> float:
    start = time.perf_counter()
    for index, spec in enumerate(search_population(sizes.search_runs)):
        run_id = client.create_run(
            experiment_id, start_time=BASE_TIMESTAMP_MS + index, run_name=spec.name
        ).info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, BASE_TIMESTAMP_MS, 0) for k, v in spec.metrics.items()],
            params=[Param(k, v) for k, v in spec.params.items()],
            tags=[RunTag(k, v) for k, v in spec.tags.items()],
        )
    return time.perf_counter() - start


def _all_pages(client: MlflowClient, experiment_id: str, filter_string: str) -> list[Any]:
    found: list[Any] = []
    token = None
    while True:
        page = client.search_runs(
            [experiment_id], filter_string, max_results=PAGE_SIZE, page_token=token
        )
        found.extend(page)
        token = page.token
        if not token:
            return found


def _searches(client: MlflowClient, experiment_id: str, sizes: Sizes) -> dict[str, Any]:
    def top_100() -> list[Any]:
        return list(
            client.search_runs(
                [experiment_id], FILTER_METRIC_PARAM, order_by=[ORDER_METRIC], max_results=100
            )
        )

    results: dict[str, Any] = {}
    ms, runs = median_ms(sizes.repeats, top_100)
    assert isinstance(runs, list)
    results["filter_order"] = {
        "ms": ms,
        "count": len(runs),
        "first_names": [r.info.run_name for r in runs[:5]],
    }
    ms, runs = median_ms(sizes.repeats, lambda: _all_pages(client, experiment_id, FILTER_TAG_LIKE))
    assert isinstance(runs, list)
    results["tag_like"] = {"ms": ms, "count": len(runs)}
    ms, runs = median_ms(sizes.repeats, lambda: _all_pages(client, experiment_id, ""))
    assert isinstance(runs, list)
    results["all_paginated"] = {"ms": ms, "count": len(runs)}
    ms, frame = median_ms(sizes.repeats, lambda: mlflow.search_runs([experiment_id]))
    results["dataframe"] = {"ms": ms, "count": len(frame)}  # type: ignore[arg-type]
    return results


def _history(client: MlflowClient, uri: str, experiment_id: str, sizes: Sizes) -> dict[str, Any]:
    run_id = client.create_run(experiment_id).info.run_id
    points = metric_points(sizes.history_points)
    before = database_bytes(sqlite_path(uri))
    for chunk in chunks(points):
        client.log_batch(run_id, metrics=[Metric("h", v, ts, step) for v, ts, step in chunk])
    after = database_bytes(sqlite_path(uri))
    ms, history = median_ms(sizes.repeats, lambda: client.get_metric_history(run_id, "h"))
    return {
        "ms": ms,
        "count": len(history),  # type: ignore[arg-type]
        "bytes_per_point": (after - before) / len(points),
    }


def main() -> None:
    work_dir, sizes, _ = driver_args()
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    uri = "sqlite:///" + str((work_dir / "mlflow.db").resolve())
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    experiment_id = client.create_experiment("bench")
    results: dict[str, Any] = {"system": "mlflow", "version": mlflow.__version__}
    results["log_metric"] = _log_metric(client, sizes)
    results["ingest"] = _ingest(client, sizes)
    results["log_batch"] = _log_batch(client, experiment_id, sizes)
    results["create_runs"] = _create_runs(client, experiment_id, sizes)
    search_experiment = client.create_experiment("search")
    results["populate_s"] = _populate(client, search_experiment, sizes)
    results["search"] = _searches(client, search_experiment, sizes)
    results["history"] = _history(client, uri, experiment_id, sizes)
    emit(results)


if __name__ == "__main__":
    main()
