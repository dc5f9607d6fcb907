"""Print the client-library table: each library against its own server, and MLflow's on ours.

Columns: Trackstone's client against ``trackstone server``, MLflow's client against ``mlflow
server``, how many times better Trackstone's figure is and the issue's 10x target; then the
compatibility view, MLflow's client against ``trackstone server``, and how many times better
that is than MLflow's client against its own server (what changing only the server buys).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table
from server_report import Row, format_number, ratio, target_text

# Where each library's driver figures are in a server's workloads (server.py's keys).
OWN_CLIENT = "client"
MLFLOW_CLIENT = "mlflow_client"  # MLflow's client against Trackstone's server


def _figure(*keys: str) -> Callable[[dict[str, Any]], float]:
    """Read a driver figure; a KeyError (an older results file) shows as missing."""

    def read(driver: dict[str, Any]) -> float:
        figures: Any = driver
        for key in keys:
            figures = figures[key]
        return float(figures)

    return read


def _lost(driver: dict[str, Any]) -> float:
    return float(
        sum(driver[key]["points"] - driver[key]["stored"] for key in ("ingest", "log_batch"))
    )


def _wrong(driver: dict[str, Any]) -> float:
    return float(len(driver["problems"]))


ROWS: tuple[Row, ...] = (
    Row("create_run: runs/s", "runs/s", _figure("create_run", "calls_per_s"), True, 10),
    Row("create_run: p50", "ms", _figure("create_run", "p50_ms"), False, 10),
    Row("create_run: p99", "ms", _figure("create_run", "p99_ms"), False, 10),
    Row("get_run: p50", "ms", _figure("get_run", "p50_ms"), False, 10),
    Row("get_run: p99", "ms", _figure("get_run", "p99_ms"), False, 10),
    Row(
        "log_batch, 1,000 metrics, until stored",
        "pt/s",
        _figure("log_batch", "points_per_s"),
        True,
        10,
    ),
    Row(
        "log_batch sync, 10 params/5 metrics/3 tags: p50",
        "ms",
        _figure("log_batch_small", "p50_ms"),
        False,
        10,
    ),
    Row(
        "search_runs, filter + order (100): p50",
        "ms",
        _figure("search_runs", "p50_ms"),
        False,
        10,
    ),
    Row(
        "get_metric_history, long metric: p50",
        "ms",
        _figure("get_history", "p50_ms"),
        False,
        10,
    ),
    Row(
        "log_artifact, large file",
        "MiB/s",
        _figure("artifacts", "large", "upload_mib_per_s"),
        True,
        10,
    ),
    Row(
        "download_artifacts, large file",
        "MiB/s",
        _figure("artifacts", "large", "download_mib_per_s"),
        True,
        10,
    ),
    Row(
        "log_artifacts, 4 KiB files",
        "files/s",
        _figure("artifacts", "small", "upload_files_per_s"),
        True,
        10,
    ),
    Row(
        "download_artifacts, 4 KiB files",
        "files/s",
        _figure("artifacts", "small", "download_files_per_s"),
        True,
        10,
    ),
    Row("fluent log_metric: p50", "ms", _figure("log_metric", "p50_ms"), False, 10),
    Row("fluent log_metric: p99", "ms", _figure("log_metric", "p99_ms"), False, 10),
    Row(
        "log_metric until end_run returned",
        "pt/s",
        _figure("ingest", "points_per_s"),
        True,
        10,
    ),
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
        met = None
        if row.must_be_zero:
            present = [figure for figure in (trackstone, compat) if figure is not None]
            met = all(figure == 0 for figure in present) if present else None
        elif row.target is not None and times is not None:
            met = times >= row.target
        verdicts.append(
            {
                "label": row.label,
                "unit": row.unit,
                "trackstone": trackstone,
                "mlflow": mlflow,
                "times_better": times,
                "target": row.target,
                "met": met,
                "mlflow_client_on_trackstone": compat,
                "mlflow_client_times_better": _times(row, compat, mlflow),
            }
        )
    return verdicts


def _cell(value: float | None) -> str:
    return "-" if value is None else format_number(value)


def _times_cell(times: float | None, style: str = "") -> str:
    if times is None:
        return "-"
    return f"[{style}]{times:.1f}x[/]" if style else f"{times:.1f}x"


def print_client_report(results: dict[str, dict[str, Any]], console: Console) -> None:
    """Print the client-library table (nothing if no client library was timed)."""
    verdicts = client_verdicts(results)
    if all(v["trackstone"] is None for v in verdicts):
        return
    table = Table(title="client libraries, each against its own server (SQLite, loopback)")
    for header, justify in (
        ("measure", "left"),
        ("unit", "left"),
        ("Trackstone", "right"),
        ("MLflow", "right"),
        ("x better", "right"),
        ("target", "right"),
        ("mlflow client\non Trackstone", "right"),
        ("x vs\nMLflow", "right"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for verdict in verdicts:
        met = verdict["met"]
        style = "" if met is None else ("green" if met else "red")
        table.add_row(
            verdict["label"],
            verdict["unit"],
            _cell(verdict["trackstone"]),
            _cell(verdict["mlflow"]),
            _times_cell(verdict["times_better"], style),
            target_text(verdict),
            _cell(verdict["mlflow_client_on_trackstone"]),
            _times_cell(verdict["mlflow_client_times_better"]),
        )
    console.print(table)
