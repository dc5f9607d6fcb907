"""Time MLflow's client against the floor server: what the client itself costs per call.

Usage: ``MLFLOW_TRACKING_URI=http://... bench/.mlflow-venv/bin/python
bench/floor_client_driver.py OPTIONS_JSON``. The floor server (``floor_server.py``) answers
``get_run``, ``create_run`` and ``log_batch`` with canned answers, so each call's time is the
client's own work plus one loopback round trip: no server could answer MLflow's client faster.
The calls are those of ``server_client_driver.py``, timed the same way; the figures are
printed as JSON. Standard library plus MLflow only.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

from server_client_driver import Driver, call_stats
from workload import BASE_TIMESTAMP_MS, FLOOR_RUN_ID, search_population


def _timed(calls: int, call: Callable[[], object]) -> dict[str, float]:
    durations = []
    for _ in range(calls):
        started = time.perf_counter_ns()
        call()
        durations.append(time.perf_counter_ns() - started)
    return call_stats(durations)


def main() -> None:
    options = json.loads(sys.argv[1])
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    import mlflow

    driver = Driver(mlflow)
    client: Any = driver.client
    run = search_population(1)[0]
    batch = driver.small_batch(run)
    calls = options["runs"]
    result = {
        "create_run": _timed(
            calls, lambda: client.create_run("1", start_time=BASE_TIMESTAMP_MS, run_name=run.name)
        ),
        "log_batch_small": _timed(
            calls, lambda: client.log_batch(FLOOR_RUN_ID, **batch, synchronous=True)
        ),
        "get_run": _timed(options["get_runs"], lambda: client.get_run(FLOOR_RUN_ID)),
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
