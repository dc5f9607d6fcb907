"""Drive one server through a client library's fluent API; print the figures as JSON.

Usage: ``PYTHON bench/server_client_driver.py MODULE CALLS POINTS`` with the tracking URI in the
environment, where MODULE is ``mlflow`` (run in bench/.mlflow-venv) or ``trackstone`` (in .venv):
``CALLS`` timed ``log_metric`` calls in one run, then ``POINTS`` ``log_metric`` calls in another
run timed from ``start_run`` until ``end_run`` returned, the points read back afterwards.
"""

from __future__ import annotations

import importlib
import json
import logging
import statistics
import sys
import time
import warnings
from typing import Any

from workload import metric_points


def _latency(module: Any, calls: int) -> dict[str, float]:
    points = metric_points(calls)
    durations = []
    module.set_experiment("client-log-metric")
    with module.start_run():
        for value, _, step in points:
            started = time.perf_counter_ns()
            module.log_metric("loss", value, step=step)
            durations.append(time.perf_counter_ns() - started)
    ordered = sorted(durations)
    return {
        "calls": calls,
        "calls_per_s": calls / (sum(ordered) / 1e9),
        "p50_ms": statistics.median(ordered) / 1e6,
        "p99_ms": ordered[min(calls - 1, int(calls * 0.99))] / 1e6,
    }


def _ingest(module: Any, points_count: int) -> dict[str, float]:
    points = metric_points(points_count)
    module.set_experiment("client-ingest")
    started = time.perf_counter()
    run = module.start_run()
    for value, _, step in points:
        module.log_metric("loss", value, step=step)
    module.end_run()
    elapsed = time.perf_counter() - started
    stored = len(module.MlflowClient().get_metric_history(run.info.run_id, "loss"))
    return {"points": points_count, "stored": stored, "points_per_s": points_count / elapsed}


def main() -> None:
    name, calls, points = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    module = importlib.import_module(name)
    result = {"log_metric": _latency(module, calls), "ingest": _ingest(module, points)}
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
