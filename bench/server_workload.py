"""The server benchmark's workload: the same REST requests against any MLflow-compatible server.

One plain keep-alive ``http.client`` connection (``http_session.py``) talks to
``/api/2.0/mlflow``; request bodies are JSON-encoded before the clock starts and responses are
decoded after it stops, so the figures are the server's (plus loopback), not a client
library's. The concurrent writers are separate processes (``server_writers.py``), each with
such a connection. Data comes from ``workload.py``
(seeded), the same runs and points the embedded benchmark stores.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from http_session import HttpSession
from workload import (
    BASE_TIMESTAMP_MS,
    BATCH_SIZE,
    FILTER_METRIC_PARAM,
    ORDER_METRIC,
    SEED,
    metric_points,
    search_population,
)

API = "/api/2.0/mlflow"
REQUEST_TIMEOUT_S = 600.0
SEARCH_PAGE = 100
WRITER_SCRIPT = Path(__file__).with_name("server_writers.py")
READY = b"ready\n"  # a writer's line once its requests are encoded


@dataclass(frozen=True)
class ServerSizes:
    """How much work each measurement does (the same for every server)."""

    log_batches: int  # log-batch requests of BATCH_SIZE points to one metric: its history
    runs: int  # create-run requests: the population searched afterwards
    get_runs: int
    search_repeats: int
    history_repeats: int
    writers: int  # concurrent writer processes
    writer_batches: int  # log-batch requests of BATCH_SIZE points per writer
    artifact_mib: int  # one file up and down through the artifact proxy
    small_files: int  # 4 KiB files up and down through the artifact proxy, one request each
    client_calls: int  # timed log_metric calls of a client library (fluent API)
    client_points: int  # log_metric calls from start_run to end_run (client ingest)
    # Through a client library's MlflowClient; MLflow's client is slow: fewer of its calls.
    client_runs: int  # create_run + a small log_batch each
    client_runs_mlflow: int
    client_get_runs: int
    client_get_runs_mlflow: int
    client_batches: int  # log_batch calls of BATCH_SIZE points
    client_batches_mlflow: int
    client_search_repeats: int
    client_search_repeats_mlflow: int
    client_history_repeats: int  # timed reads of the log-batch workload's long metric
    client_history_repeats_mlflow: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def client_options(self, module: str) -> dict[str, int]:
        """Return the sizes ``server_client_driver.py`` uses with ``module``'s client."""
        suffix = "_mlflow" if module == "mlflow" else ""
        sizes = self.as_dict()
        per_module = ("runs", "get_runs", "batches", "search_repeats", "history_repeats")
        return {
            "calls": self.client_calls,
            "points": self.client_points,
            **{name: sizes[f"client_{name}{suffix}"] for name in per_module},
            "search_population": self.runs,
            "history_points": self.log_batches * BATCH_SIZE,
            "artifact_mib": self.artifact_mib,
            "small_files": self.small_files,
        }


FULL = ServerSizes(
    log_batches=100,
    runs=5_000,
    get_runs=1_000,
    search_repeats=20,
    history_repeats=5,
    writers=8,
    writer_batches=10,
    artifact_mib=256,
    small_files=500,
    client_calls=2_000,
    client_points=5_000,
    client_runs=1_000,
    client_runs_mlflow=200,
    client_get_runs=1_000,
    client_get_runs_mlflow=200,
    client_batches=100,
    client_batches_mlflow=20,
    client_search_repeats=20,
    client_search_repeats_mlflow=5,
    client_history_repeats=5,
    client_history_repeats_mlflow=2,
)
QUICK = ServerSizes(
    log_batches=10,
    runs=300,
    get_runs=100,
    search_repeats=3,
    history_repeats=2,
    writers=8,
    writer_batches=2,
    artifact_mib=16,
    small_files=100,
    client_calls=200,
    client_points=500,
    client_runs=100,
    client_runs_mlflow=30,
    client_get_runs=100,
    client_get_runs_mlflow=30,
    client_batches=10,
    client_batches_mlflow=3,
    client_search_repeats=3,
    client_search_repeats_mlflow=2,
    client_history_repeats=2,
    client_history_repeats_mlflow=1,
)


class RequestFailed(Exception):
    """A server answered something other than 200."""


class WriterFailed(RequestFailed):
    """A concurrent writer process ended without its report."""


def latency_stats(durations_ns: list[int], wall_s: float | None = None) -> dict[str, float]:
    """Return requests/s, p50, p99 and mean latency (ms) of timed requests."""
    ordered = sorted(durations_ns)
    total_s = wall_s if wall_s is not None else sum(ordered) / 1e9
    return {
        "requests": len(ordered),
        "requests_per_s": len(ordered) / total_s,
        "p50_ms": statistics.median(ordered) / 1e6,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1e6,
        "mean_ms": statistics.fmean(ordered) / 1e6,
    }


class Client:
    """One keep-alive connection to one server's REST API; every call must answer 200."""

    def __init__(self, base_url: str) -> None:
        self.session = HttpSession(base_url)

    def send(self, method: str, path: str, body: bytes | None = None, **params: Any) -> bytes:
        try:
            response = self.session.send(
                method, API + path, body, params, {"Content-Type": "application/json"}
            )
            status, answer = response.status, response.read()
        except (OSError, http.client.HTTPException) as error:
            raise RequestFailed(f"{method} {path}: {error!r}") from error
        if status != 200:
            raise RequestFailed(f"{method} {path}: {status} {answer[:300]!r}")
        return answer

    def timed(self, method: str, path: str, body: bytes | None = None, **params: Any) -> int:
        """Send one request and return how long the answer took, in ns."""
        start = time.perf_counter_ns()
        self.send(method, path, body, **params)
        return time.perf_counter_ns() - start

    def call(self, method: str, path: str, payload: Any = None, **params: Any) -> Any:
        body = None if payload is None else json.dumps(payload).encode()
        return json.loads(self.send(method, path, body, **params))

    def close(self) -> None:
        self.session.close()


def encode_points(key: str, points: list[tuple[float, int, int]]) -> list[dict[str, Any]]:
    return [{"key": key, "value": v, "timestamp": t, "step": s} for v, t, s in points]


def log_batch_body(run_id: str, metrics: list[dict[str, Any]], **extra: Any) -> bytes:
    return json.dumps({"run_id": run_id, "metrics": metrics, **extra}).encode()


def create_run_body(experiment_id: str, name: str, start_time: int) -> bytes:
    payload = {"experiment_id": experiment_id, "run_name": name, "start_time": start_time}
    return json.dumps(payload).encode()


def measure_log_batch(client: Client, experiment_id: str, sizes: ServerSizes) -> dict[str, Any]:
    """log-batch of 1,000 points, ``log_batches`` times, to one metric of one run."""
    run_id = client.call("POST", "/runs/create", {"experiment_id": experiment_id})["run"]["info"][
        "run_id"
    ]
    points = metric_points(sizes.log_batches * BATCH_SIZE)
    bodies = [
        log_batch_body(run_id, encode_points("loss", points[start : start + BATCH_SIZE]))
        for start in range(0, len(points), BATCH_SIZE)
    ]
    durations = [client.timed("POST", "/runs/log-batch", body) for body in bodies]
    stats = latency_stats(durations)
    stats["points_per_s"] = stats["requests_per_s"] * BATCH_SIZE
    return {"run_id": run_id, "stats": stats}


def load_runs(client: Client, experiment_id: str, sizes: ServerSizes) -> dict[str, Any]:
    """Create the search population: create-run (timed), then a small log-batch (timed)."""
    population = search_population(sizes.runs)
    created, batches, run_ids = [], [], []
    for index, run in enumerate(population):
        body = create_run_body(experiment_id, run.name, BASE_TIMESTAMP_MS + index)
        start = time.perf_counter_ns()
        answer = client.send("POST", "/runs/create", body)
        created.append(time.perf_counter_ns() - start)
        run_id = json.loads(answer)["run"]["info"]["run_id"]
        run_ids.append(run_id)
        metrics = [
            {"key": k, "value": v, "timestamp": BASE_TIMESTAMP_MS, "step": 0}
            for k, v in run.metrics.items()
        ]
        extra = {
            "params": [{"key": k, "value": v} for k, v in run.params.items()],
            "tags": [{"key": k, "value": v} for k, v in run.tags.items()],
        }
        batches.append(
            client.timed("POST", "/runs/log-batch", log_batch_body(run_id, metrics, **extra))
        )
    return {
        "run_ids": run_ids,
        "create_run": latency_stats(created),
        "log_batch_small": latency_stats(batches),
    }


def measure_get_run(client: Client, run_ids: list[str], sizes: ServerSizes) -> dict[str, Any]:
    """get-run of runs picked at random (seeded: both servers read the same runs)."""
    rng = random.Random(SEED)
    picked = [run_ids[rng.randrange(len(run_ids))] for _ in range(sizes.get_runs)]
    return latency_stats([client.timed("GET", "/runs/get", run_id=run_id) for run_id in picked])


def measure_search(client: Client, experiment_id: str, sizes: ServerSizes) -> dict[str, Any]:
    """search-runs with a metric + param filter, ordered by a metric, first 100 results."""
    body = json.dumps(
        {
            "experiment_ids": [experiment_id],
            "filter": FILTER_METRIC_PARAM,
            "order_by": [ORDER_METRIC],
            "max_results": SEARCH_PAGE,
        }
    ).encode()
    answer = json.loads(client.send("POST", "/runs/search", body))  # warm-up, and the check
    durations = [client.timed("POST", "/runs/search", body) for _ in range(sizes.search_repeats)]
    names = [
        next(t["value"] for t in run["data"]["tags"] if t["key"] == "mlflow.runName")
        for run in answer.get("runs", [])
    ]
    return {
        "stats": latency_stats(durations),
        "results": len(names),
        "first_names": names[:5],
        "experiment_id": experiment_id,
    }


def _read_history(client: Client, run_id: str) -> int:
    points, token = 0, None
    while True:
        params = {"run_id": run_id, "metric_key": "loss"}
        if token:
            params["page_token"] = token
        answer = json.loads(client.send("GET", "/metrics/get-history", None, **params))
        points += len(answer.get("metrics", []))
        token = answer.get("next_page_token")
        if not token:
            return points


def measure_history(client: Client, run_id: str, sizes: ServerSizes) -> dict[str, Any]:
    """get-history of the 100,000-point metric (all pages), after one warm-up read."""
    points = _read_history(client, run_id)
    durations = []
    for _ in range(sizes.history_repeats):
        start = time.perf_counter_ns()
        _read_history(client, run_id)
        durations.append(time.perf_counter_ns() - start)
    stats = latency_stats(durations)
    stats["points_per_s"] = points / (stats["p50_ms"] / 1000)
    return {"stats": stats, "points": points, "run_id": run_id}


def measure_writers(base_url: str, experiment_id: str, sizes: ServerSizes) -> dict[str, Any]:
    """``writers`` processes, each with its own session and run, log batches at the same time.

    Processes, not threads: the GIL of one client process would cap the aggregate of a fast
    server. Each writer (``server_writers.py``) encodes its batches before the start, all are
    released together, and the aggregate is every point sent over the time from that common
    start to the last writer's finish. Every run's history is read back afterwards.
    """
    setup = Client(base_url)
    try:
        run_ids = [
            setup.call("POST", "/runs/create", {"experiment_id": experiment_id})["run"]["info"][
                "run_id"
            ]
            for _ in range(sizes.writers)
        ]
        start_ns, reports = _run_writers(base_url, run_ids, sizes.writer_batches)
        stored = sum(_read_history(setup, run_id) for run_id in run_ids)
    finally:
        setup.close()
    wall_s = (max(report["finish_ns"] for report in reports) - start_ns) / 1e9
    sent = sizes.writers * sizes.writer_batches * BATCH_SIZE
    durations = [d for report in reports for d in report["durations_ns"]]
    errors = [e for report in reports for e in report["first_errors"]]
    return {
        "stats": latency_stats(durations, wall_s) if durations else {},
        "points_per_s": sent / wall_s,
        "wall_s": wall_s,
        "start_lag_ms": max(report["start_ns"] - start_ns for report in reports) / 1e6,
        "points_sent": sent,
        "points_stored": stored,
        "errors": sum(report["errors"] for report in reports),
        "first_errors": errors[:3],
    }


def _run_writers(
    base_url: str, run_ids: list[str], batches: int
) -> tuple[int, list[dict[str, Any]]]:
    """Start one writer process per run, release them together; return the start and reports.

    The start gun is a pipe every writer reads: closing its write end wakes them all at once.
    """
    gate_read, gate_write = os.pipe()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for run_id in run_ids:
            command = [sys.executable, str(WRITER_SCRIPT), base_url, run_id, str(batches)]
            processes.append(
                subprocess.Popen(
                    [*command, str(gate_read)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    pass_fds=(gate_read,),
                    bufsize=0,  # the ready line is read alone, the report by communicate()
                )
            )
        for process in processes:
            assert process.stdout is not None
            if process.stdout.readline() != READY:
                raise WriterFailed(
                    f"a writer exited before it was ready: {_kill_for_stderr(process)}"
                )
        start_ns = time.monotonic_ns()
        os.close(gate_write)
        gate_write = -1
        reports = []
        for process in processes:
            try:
                output, error = process.communicate(timeout=REQUEST_TIMEOUT_S)
            except subprocess.TimeoutExpired as timeout:
                raise WriterFailed(f"a writer did not finish in {timeout.timeout} s") from None
            if process.returncode != 0:
                raise WriterFailed(f"a writer failed: {error.decode(errors='replace')[-1000:]}")
            reports.append(json.loads(output))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        for fd in (gate_read, gate_write):
            if fd >= 0:
                os.close(fd)
    return start_ns, reports


def _kill_for_stderr(process: subprocess.Popen[bytes]) -> str:
    """End a writer that will not report; return the end of what it wrote to stderr."""
    process.kill()
    _, error = process.communicate()
    return error.decode(errors="replace")[-1000:]


def run_all(base_url: str, sizes: ServerSizes, progress: Callable[[str], None]) -> dict[str, Any]:
    """Run every measurement against one server; return the figures."""
    client = Client(base_url)
    try:
        experiment_id = client.call("POST", "/experiments/create", {"name": "bench"})[
            "experiment_id"
        ]
        progress("log-batch")
        batch = measure_log_batch(client, experiment_id, sizes)
        progress(f"loading {sizes.runs} runs")
        loaded = load_runs(client, experiment_id, sizes)
        progress("get-run")
        get_run = measure_get_run(client, loaded["run_ids"], sizes)
        progress("search-runs")
        search = measure_search(client, experiment_id, sizes)
        progress("get-history")
        history = measure_history(client, batch["run_id"], sizes)
        writers_experiment = client.call("POST", "/experiments/create", {"name": "writers"})[
            "experiment_id"
        ]
        progress(f"{sizes.writers} concurrent writers")
        writers = measure_writers(base_url, writers_experiment, sizes)
    finally:
        client.close()
    return {
        "log_batch": batch["stats"],
        "create_run": loaded["create_run"],
        "log_batch_small": loaded["log_batch_small"],
        "get_run": get_run,
        "search_runs": search,
        "get_history": history,
        "concurrent_writers": writers,
    }
