"""Drive one server through a client library's API; print the figures as JSON.

Usage: ``PYTHON bench/server_client_driver.py MODULE OPTIONS_JSON`` with the tracking URI in the
environment, where MODULE is ``mlflow`` (run in bench/.mlflow-venv) or ``trackstone`` (in .venv)
and OPTIONS_JSON holds the sizes (``ServerSizes.client_options``) and what the plain-HTTP
workload left on the server: the search experiment and the run with the long metric.

Every workload goes through ``MODULE.MlflowClient()`` (``TrackstoneClient`` in Trackstone),
except ``log_metric`` and ingest, which use the fluent API. Every answer is checked against
the data sent (counts, names, values, bytes); a wrong answer is listed under ``problems``.
Standard library plus MODULE only: this file runs in MLflow's venv too.
"""

from __future__ import annotations

import importlib
import json
import logging
import random
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from server_client_artifacts import measure_artifacts
from workload import (
    BASE_TIMESTAMP_MS,
    BATCH_SIZE,
    FILTER_METRIC_PARAM,
    ORDER_METRIC,
    SEED,
    SearchRun,
    metric_points,
    search_population,
)

SEARCH_PAGE = 100


def call_stats(durations_ns: list[int]) -> dict[str, float]:
    """Return calls/s (one caller: count / summed time), p50, p99 and mean, in ms."""
    ordered = sorted(durations_ns)
    return {
        "calls": len(ordered),
        "calls_per_s": len(ordered) / (sum(ordered) / 1e9),
        "p50_ms": statistics.median(ordered) / 1e6,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1e6,
        "mean_ms": statistics.fmean(ordered) / 1e6,
    }


def _latency(module: Any, calls: int) -> dict[str, float]:
    """``log_metric`` calls of the fluent API in one run, each timed."""
    points = metric_points(calls)
    durations = []
    module.set_experiment(f"{module.__name__}-client-log-metric")
    with module.start_run():
        for value, _, step in points:
            started = time.perf_counter_ns()
            module.log_metric("loss", value, step=step)
            durations.append(time.perf_counter_ns() - started)
    return call_stats(durations)


def _ingest(module: Any, points_count: int) -> dict[str, float]:
    """``log_metric`` calls from ``start_run`` until ``end_run`` returned; points read back."""
    points = metric_points(points_count)
    module.set_experiment(f"{module.__name__}-client-ingest")
    started = time.perf_counter()
    run = module.start_run()
    for value, _, step in points:
        module.log_metric("loss", value, step=step)
    module.end_run()
    elapsed = time.perf_counter() - started
    stored = len(module.MlflowClient().get_metric_history(run.info.run_id, "loss"))
    return {"points": points_count, "stored": stored, "points_per_s": points_count / elapsed}


class Driver:
    """One client of one module against one server, and the problems its answers showed."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.client = module.MlflowClient()
        self.entities = module.entities
        self.problems: list[str] = []

    def check(self, ok: bool, problem: str) -> None:
        if not ok:
            self.problems.append(problem)

    def experiment(self, purpose: str) -> str:
        name = f"{self.module.__name__}-client-{purpose}"
        return str(self.client.create_experiment(name))

    def small_batch(self, run: SearchRun) -> dict[str, list[Any]]:
        """The 10 params, 5 metrics and 3 tags of one population run, as entities."""
        return {
            "metrics": [
                self.entities.Metric(key, value, BASE_TIMESTAMP_MS, 0)
                for key, value in run.metrics.items()
            ],
            "params": [self.entities.Param(key, value) for key, value in run.params.items()],
            "tags": [self.entities.RunTag(key, value) for key, value in run.tags.items()],
        }

    def create_runs(self, count: int) -> dict[str, Any]:
        """``create_run`` then a small ``log_batch(..., synchronous=True)``, each timed."""
        experiment_id = self.experiment("runs")
        population = search_population(count)
        created, batched, run_ids = [], [], []
        for index, run in enumerate(population):
            batch = self.small_batch(run)
            started = time.perf_counter_ns()
            answer = self.client.create_run(
                experiment_id, start_time=BASE_TIMESTAMP_MS + index, run_name=run.name
            )
            created.append(time.perf_counter_ns() - started)
            run_ids.append(answer.info.run_id)
            started = time.perf_counter_ns()
            self.client.log_batch(answer.info.run_id, **batch, synchronous=True)
            batched.append(time.perf_counter_ns() - started)
        return {
            "run_ids": run_ids,
            "population": population,
            "create_run": call_stats(created),
            "log_batch_small": call_stats(batched),
        }

    def get_runs(
        self, run_ids: list[str], population: list[SearchRun], calls: int
    ) -> dict[str, float]:
        """``get_run`` of runs picked at random (seeded); each answer checked afterwards."""
        rng = random.Random(SEED)
        picked = [rng.randrange(len(run_ids)) for _ in range(calls)]
        durations, answers = [], []
        for index in picked:
            started = time.perf_counter_ns()
            answers.append(self.client.get_run(run_ids[index]))
            durations.append(time.perf_counter_ns() - started)
        for index, answer in zip(picked, answers, strict=True):
            expected = population[index]
            data = answer.data
            self.check(
                data.params == expected.params
                and data.metrics == expected.metrics
                and all(data.tags.get(k) == v for k, v in expected.tags.items())
                and data.tags.get("mlflow.runName") == expected.name,
                f"get_run({expected.name}) answered other params, metrics or tags",
            )
        return call_stats(durations)

    def log_batches(self, batches: int) -> dict[str, float]:
        """``log_batch`` of 1,000 points of one metric until the last (synchronous) returned.

        The other calls use the library's default: MLflow's waits for the server, Trackstone's
        returns once the batch is in its spool. The points are read back afterwards.
        """
        run_id = self.client.create_run(self.experiment("log-batch")).info.run_id
        points = metric_points(batches * BATCH_SIZE)
        metrics = [self.entities.Metric("loss", v, t, s) for v, t, s in points]
        chunks = [metrics[s : s + BATCH_SIZE] for s in range(0, len(metrics), BATCH_SIZE)]
        durations = []
        wall_start = time.perf_counter()
        for index, chunk in enumerate(chunks):
            # Only the last call asks to wait: MLflow's synchronous=False means "in the
            # background", the default (None) is each library's usual mode.
            last = {"synchronous": True} if index == len(chunks) - 1 else {}
            started = time.perf_counter_ns()
            self.client.log_batch(run_id, metrics=chunk, **last)
            durations.append(time.perf_counter_ns() - started)
        wall_s = time.perf_counter() - wall_start
        stored = self.client.get_metric_history(run_id, "loss")
        self.check(
            sorted((m.step, m.value) for m in stored) == [(s, v) for v, _, s in points],
            f"log_batch: {len(stored)} points read back of {len(points)} sent, or other values",
        )
        return {
            **call_stats(durations),
            "points": len(points),
            "stored": len(stored),
            "points_per_s": len(points) / wall_s,
        }

    def search(self, experiment_id: str, population_size: int, repeats: int) -> dict[str, Any]:
        """The server workload's ordered search, checked against the population computed here."""
        matches = [
            run
            for run in search_population(population_size)
            if run.metrics["m0"] > 0.5 and run.params["p1"] == "v3"
        ]
        matches.sort(key=lambda run: run.metrics["m0"], reverse=True)
        expected = [run.name for run in matches[:SEARCH_PAGE]]

        def once() -> list[Any]:
            return list(
                self.client.search_runs(
                    [experiment_id],
                    FILTER_METRIC_PARAM,
                    max_results=SEARCH_PAGE,
                    order_by=[ORDER_METRIC],
                )
            )

        names = [run.data.tags.get("mlflow.runName") for run in once()]  # warm-up and check
        self.check(names == expected, f"search_runs: {len(names)} runs, not the expected order")
        durations = []
        for _ in range(repeats):
            started = time.perf_counter_ns()
            once()
            durations.append(time.perf_counter_ns() - started)
        return {**call_stats(durations), "results": len(names)}

    def history(self, run_id: str, points: int, repeats: int) -> dict[str, float]:
        """``get_metric_history`` of the long metric: one checked warm-up, then timed reads."""
        answer = self.client.get_metric_history(run_id, "loss")
        expected = metric_points(points)
        self.check(
            sorted((m.step, m.value) for m in answer) == [(s, v) for v, _, s in expected],
            f"get_metric_history: {len(answer)} points of {points}, or other values",
        )
        durations = []
        for _ in range(repeats):
            started = time.perf_counter_ns()
            self.client.get_metric_history(run_id, "loss")
            durations.append(time.perf_counter_ns() - started)
        stats = call_stats(durations)
        return {**stats, "points": len(answer), "points_per_s": points / (stats["p50_ms"] / 1e3)}


def main() -> None:
    name, options = sys.argv[1], json.loads(sys.argv[2])
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    module = importlib.import_module(name)
    driver = Driver(module)
    result: dict[str, Any] = {
        "log_metric": _latency(module, options["calls"]),
        "ingest": _ingest(module, options["points"]),
    }
    runs = driver.create_runs(options["runs"])
    result["create_run"] = runs["create_run"]
    result["log_batch_small"] = runs["log_batch_small"]
    result["get_run"] = driver.get_runs(runs["run_ids"], runs["population"], options["get_runs"])
    result["log_batch"] = driver.log_batches(options["batches"])
    result["search_runs"] = driver.search(
        options["search_experiment_id"], options["search_population"], options["search_repeats"]
    )
    result["get_history"] = driver.history(
        options["history_run_id"], options["history_points"], options["history_repeats"]
    )
    artifacts_run = driver.client.create_run(driver.experiment("artifacts")).info.run_id
    result["artifacts"] = measure_artifacts(
        driver.client,
        artifacts_run,
        Path("artifacts-scratch"),
        options["artifact_mib"],
        options["small_files"],
        driver.check,
    )
    result["problems"] = driver.problems
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
