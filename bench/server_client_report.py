"""Print the client-library table: each library against its own server, and MLflow's on ours.

Columns: Trackstone's client against ``trackstone server``, MLflow's client against ``mlflow
server``, how many times better Trackstone's figure is and the issue's 10x target; then the
compatibility view, MLflow's client against ``trackstone server``, and how many times better
that is than MLflow's client against its own server (what changing only the server buys).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from report_tables import comparison_table, number_cell, read_path, times_cell
from rich.console import Console
from server_report import Row, make_verdict, ratio, target_met, verdict_cells

# Where each library's driver figures are in a server's workloads (server.py's keys).
OWN_CLIENT = "client"
MLFLOW_CLIENT = "mlflow_client"  # MLflow's client against Trackstone's server


def _figure(*keys: str) -> Callable[[dict[str, Any]], float]:
    """Read a driver figure; a KeyError (an older results file) shows as missing."""
    return lambda driver: read_path(driver, keys)


def _faster(label: str, unit: str, *keys: str) -> Row:
    """A rate row (higher is better) with the issue's 10x target."""
    return Row(label, unit, _figure(*keys), True, 10)


def _quicker(label: str, *keys: str) -> Row:
    """A latency row in ms (lower is better) with the issue's 10x target."""
    return Row(label, "ms", _figure(*keys), False, 10)


def _lost(driver: dict[str, Any]) -> float:
    return float(
        sum(driver[key]["points"] - driver[key]["stored"] for key in ("ingest", "log_batch"))
    )


def _wrong(driver: dict[str, Any]) -> float:
    return float(len(driver["problems"]))


ROWS: tuple[Row, ...] = (
    _faster("create_run: runs/s", "runs/s", "create_run", "calls_per_s"),
    _quicker("create_run: p50", "create_run", "p50_ms"),
    _quicker("create_run: p99", "create_run", "p99_ms"),
    _quicker("get_run: p50", "get_run", "p50_ms"),
    _quicker("get_run: p99", "get_run", "p99_ms"),
    _faster("log_batch, 1,000 metrics, until stored", "pt/s", "log_batch", "points_per_s"),
    _quicker("log_batch sync, 10 params/5 metrics/3 tags: p50", "log_batch_small", "p50_ms"),
    _quicker("search_runs, filter + order (100): p50", "search_runs", "p50_ms"),
    _quicker("get_metric_history, long metric: p50", "get_history", "p50_ms"),
    _faster("log_artifact, large file", "MiB/s", "artifacts", "large", "upload_mib_per_s"),
    _faster("download_artifacts, large file", "MiB/s", "artifacts", "large", "download_mib_per_s"),
    _faster("log_artifacts, 4 KiB files", "files/s", "artifacts", "small", "upload_files_per_s"),
    _faster(
        "download_artifacts, 4 KiB files", "files/s", "artifacts", "small", "download_files_per_s"
    ),
    _quicker("fluent log_metric: p50", "log_metric", "p50_ms"),
    _quicker("fluent log_metric: p99", "log_metric", "p99_ms"),
    _faster("log_metric until end_run returned", "pt/s", "ingest", "points_per_s"),
    Row("points lost (ingest, log_batch)", "pt", _lost, False, None, must_be_zero=True),
    Row("wrong answers (reads checked)", "", _wrong, False, None, must_be_zero=True),
)


def _read(row: Row, results: dict[str, dict[str, Any]], server: str, key: str) -> float | None:
    """Return one row's figure of the driver ``key`` against ``server`` (None if absent)."""
    driver = results.get(server, {}).get("workloads", {}).get(key)
    if driver is None:
        return None
    try:
        return row.read(driver)
    except KeyError:
        return None


def _times(row: Row, better: float | None, worse: float | None) -> float | None:
    if better is None or worse is None or row.must_be_zero or not row.compared:
        return None
    return ratio(row, better, worse)


def client_verdicts(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Return each row's figures, ratios and whether it meets its target.

    ``met`` judges Trackstone's own client against MLflow's (the target), and for rows that
    must be zero, both columns that involve Trackstone's server.
    """
    verdicts = []
    for row in ROWS:
        trackstone = _read(row, results, "trackstone", OWN_CLIENT)
        mlflow = _read(row, results, "mlflow", OWN_CLIENT)
        compat = _read(row, results, "trackstone", MLFLOW_CLIENT)
        times = _times(row, trackstone, mlflow)
        if row.must_be_zero:
            present = [figure for figure in (trackstone, compat) if figure is not None]
            met = all(figure == 0 for figure in present) if present else None
        else:
            met = target_met(row, times)
        verdicts.append(
            {
                **make_verdict(row, trackstone, mlflow, times, met),
                "mlflow_client_on_trackstone": compat,
                "mlflow_client_times_better": _times(row, compat, mlflow),
            }
        )
    return verdicts


def print_client_report(results: dict[str, dict[str, Any]], console: Console) -> None:
    """Print the client-library table (nothing if no client library was timed)."""
    verdicts = client_verdicts(results)
    if all(v["trackstone"] is None for v in verdicts):
        return
    table = comparison_table(
        "client libraries, each against its own server (SQLite, loopback)",
        "Trackstone",
        "MLflow",
        "x better",
        "target",
        "mlflow client\non Trackstone",
        "x vs\nMLflow",
    )
    for verdict in verdicts:
        table.add_row(
            *verdict_cells(verdict),
            number_cell(verdict["mlflow_client_on_trackstone"]),
            times_cell(verdict["mlflow_client_times_better"]),
        )
    console.print(table)
