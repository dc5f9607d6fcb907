"""Benchmark driver for Trackstone's embedded SQLite store: the same work as MLflow's; prints JSON.

``log_metric`` and ingest go through the fluent API (spool + background sender, as a training
script would); ``log_batch``, run creation and bulk loading use the store directly, which is
synchronous, so "stored" means stored; searches and history reads go through the client.
"""

from __future__ import annotations

import time
from typing import Any

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

import trackstone
from trackstone.client.client import TrackstoneClient
from trackstone.config import Settings
from trackstone.entities import Metric, Param, RunTag
from trackstone.store.base import TrackingStore
from trackstone.store.resolve import store_for_settings


def _stored_points(store: TrackingStore, run_id: str, key: str) -> int:
    count = 0
    token = None
    while True:
        page = store.get_metric_history(run_id, key, max_results=100_000, page_token=token)
        count += len(page)
        token = page.token
        if not token:
            return count


def _log_metric(sizes: Sizes) -> dict[str, Any]:
    points = metric_points(sizes.log_metric_calls)
    trackstone.set_experiment("log-metric")
    with trackstone.start_run():
        durations = time_per_call(
            len(points), lambda i: trackstone.log_metric("loss", points[i][0], step=points[i][2])
        )
    return call_stats_us(durations)


def _let_the_ingest_helper_start() -> None:
    """Give the helper process that stores big runs of points the second it takes to start.

    The first run that logs fast starts it (see ``store/sql/ingest_process.py``); a training
    loop has it from its first second on. Sustained ingest is measured with it running.
    """
    time.sleep(1.0)


def _ingest(store: TrackingStore, sizes: Sizes) -> dict[str, Any]:
    points = metric_points(sizes.ingest_points)
    trackstone.set_experiment("ingest")
    log_metric = trackstone.log_metric
    start = time.perf_counter()
    with trackstone.start_run() as run:
        for value, _, step in points:
            log_metric("loss", value, step=step)
    elapsed = time.perf_counter() - start  # end_run returned: the spool has drained
    stored = _stored_points(store, run.info.run_id, "loss")
    return {"points": len(points), "stored": stored, "points_per_s": len(points) / elapsed}


def _log_batch(store: TrackingStore, experiment_id: str, sizes: Sizes) -> dict[str, Any]:
    run_id = store.create_run(experiment_id).info.run_id
    points = metric_points(sizes.batches * BATCH_SIZE)
    batches = [
        [Metric(f"b{step % 10}", value, timestamp, step) for value, timestamp, step in chunk]
        for chunk in chunks(points)
    ]
    start = time.perf_counter()
    for batch in batches:
        store.log_batch(run_id, metrics=batch)
    elapsed = time.perf_counter() - start
    return {"points": len(points), "points_per_s": len(points) / elapsed}


def _create_runs(store: TrackingStore, experiment_id: str, sizes: Sizes) -> dict[str, Any]:
    count = sizes.runs_created
    start = time.perf_counter()
    for _ in range(count):
        store.create_run(experiment_id)
    elapsed = time.perf_counter() - start
    return {"runs": count, "runs_per_s": count / elapsed}


def _populate(store: TrackingStore, experiment_id: str, sizes: Sizes) -> float:
    start = time.perf_counter()
    for index, spec in enumerate(search_population(sizes.search_runs)):
        run_id = store.create_run(
            experiment_id, start_time=BASE_TIMESTAMP_MS + index, run_name=spec.name
        ).info.run_id
        store.log_batch(
            run_id,
            metrics=[Metric(k, v, BASE_TIMESTAMP_MS, 0) for k, v in spec.metrics.items()],
            params=[Param(k, v) for k, v in spec.params.items()],
            tags=[RunTag(k, v) for k, v in spec.tags.items()],
        )
    return time.perf_counter() - start


def _all_pages(client: TrackstoneClient, experiment_id: str, filter_string: str) -> list[Any]:
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


def _searches(client: TrackstoneClient, experiment_id: str, sizes: Sizes) -> dict[str, Any]:
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
    ms, frame = median_ms(sizes.repeats, lambda: trackstone.search_runs([experiment_id]))
    results["dataframe"] = {"ms": ms, "count": len(frame)}  # type: ignore[arg-type]
    return results


def _history(
    store: TrackingStore, client: TrackstoneClient, uri: str, experiment_id: str, sizes: Sizes
) -> dict[str, Any]:
    run_id = store.create_run(experiment_id).info.run_id
    points = metric_points(sizes.history_points)
    before = database_bytes(sqlite_path(uri))
    for chunk in chunks(points):
        store.log_batch(run_id, metrics=[Metric("h", v, ts, step) for v, ts, step in chunk])
    after = database_bytes(sqlite_path(uri))
    ms, history = median_ms(sizes.repeats, lambda: client.get_metric_history(run_id, "h"))
    return {
        "ms": ms,
        "count": len(history),  # type: ignore[arg-type]
        "bytes_per_point": (after - before) / len(points),
    }


def main() -> None:
    work_dir, sizes, ingest_only = driver_args()
    uri = "sqlite:///" + str((work_dir / "trackstone.db").resolve())
    settings = Settings.from_env(tracking_uri=uri, spool_dir=work_dir / "spool")
    trackstone.set_tracking_uri(uri)
    store = store_for_settings(settings)
    results: dict[str, Any] = {"system": "trackstone", "version": trackstone.__version__}
    if ingest_only:
        # Warm-up, as the full run's log_metric measurement is: the first run opens the
        # logger and its thread, the first big flush prepares the store's statements and
        # starts the ingest helper.
        with trackstone.start_run():
            for step in range(2_000):
                trackstone.log_metric("warm-up", 0.5, step=step)
        _let_the_ingest_helper_start()
        results["ingest"] = _ingest(store, sizes)
        store.close()
        emit(results)
        return
    client = TrackstoneClient(settings=settings)
    experiment_id = store.create_experiment("bench")
    results["log_metric"] = _log_metric(sizes)
    _let_the_ingest_helper_start()
    results["ingest"] = _ingest(store, sizes)
    results["log_batch"] = _log_batch(store, experiment_id, sizes)
    results["create_runs"] = _create_runs(store, experiment_id, sizes)
    search_experiment = store.create_experiment("search")
    results["populate_s"] = _populate(store, search_experiment, sizes)
    results["search"] = _searches(client, search_experiment, sizes)
    results["history"] = _history(store, client, uri, experiment_id, sizes)
    store.close()
    emit(results)


if __name__ == "__main__":
    main()
